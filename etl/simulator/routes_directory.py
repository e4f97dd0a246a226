"""Small collections: roles, permissions, emoji, sounds, users, subscriptions, public settings."""

from __future__ import annotations

import re
from typing import Any

from etl.simulator.access import has_permission, user_view
from etl.simulator.errors import failure, forbidden
from etl.simulator.lookup import date_param, ms_of
from etl.simulator.pagination import page_items, paged, parse_sort, sort_docs
from etl.simulator.routing import Ctx, Registry

routes = Registry()


def _since(ctx: Ctx, code: str = "error-updatedSince-param-invalid") -> int | None:
    return date_param(
        ctx, "updatedSince", code, 'The "updatedSince" query parameter must be a valid date.'
    )


@routes.get("roles.list")
def roles_list(ctx: Ctx) -> dict[str, Any]:
    return {
        "roles": [{k: v for k, v in r.items() if k != "_updatedAt"} for r in ctx.ws.roles.values()]
    }


@routes.get("roles.sync")
def roles_sync(ctx: Ctx) -> dict[str, Any]:
    """Without `updatedSince` it returns nothing at all: first loads must use `roles.list`."""
    since = _since(ctx)
    if since is None:
        return {"roles": {"update": [], "remove": []}}
    update = [r for r in ctx.ws.roles.values() if ms_of(r) > since]
    return {
        "roles": {"update": update, "remove": [t.doc for t in ctx.ws.trash_after("roles", since)]}
    }


@routes.get("permissions.listAll")
def permissions_list_all(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    since = _since(ctx)
    if since is None:
        return {"update": list(ws.permissions.values()), "remove": []}
    update = [p for p in ws.permissions.values() if ms_of(p) > since]
    remove = ws.tombstones("permissions", since)
    return {"update": update, "remove": remove}


@routes.get("emoji-custom.list")
def emoji_list(ctx: Ctx) -> dict[str, Any]:
    """`remove` holds full trash docs; a bad date gets the (sic) `error-roomId-param-invalid`."""
    ws = ctx.ws
    since = _since(ctx, "error-roomId-param-invalid")
    if since is None:
        return {"emojis": {"update": list(ws.custom_emoji.values()), "remove": []}}
    update = [e for e in ws.custom_emoji.values() if ms_of(e) > since]
    return {
        "emojis": {
            "update": update,
            "remove": [t.doc for t in ws.trash_after("custom_emoji", since)],
        }
    }


@routes.get("emoji-custom.all")
def emoji_all(ctx: Ctx) -> dict[str, Any]:
    offset, count = page_items(ctx.ws, ctx.params)
    spec = parse_sort(ctx.params, [("name", 1)])
    return paged("emojis", sort_docs(ctx.ws.custom_emoji.values(), spec), offset, count)


@routes.get("custom-sounds.list")
def sounds_list(ctx: Ctx) -> dict[str, Any]:
    sounds = list(ctx.ws.custom_sounds.values())
    if ctx.params.get("name"):
        pattern = re.compile(re.escape(ctx.params["name"]), re.IGNORECASE)
        sounds = [s for s in sounds if pattern.search(s["name"])]
    offset, count = page_items(ctx.ws, ctx.params)
    return paged("sounds", sort_docs(sounds, parse_sort(ctx.params, [("name", 1)])), offset, count)


@routes.get("users.list")
def users_list(ctx: Ctx) -> dict[str, Any]:
    """Callers without `view-full-other-user-info` lose emails, roles, `_updatedAt` and more."""
    ws = ctx.ws
    if not has_permission(ws, ctx.uid, "view-d-room"):
        raise forbidden()
    docs = []
    for user in ws.users.values():
        view = user_view(ws, ctx.uid, user, self_full=False)
        view["nameInsensitive"] = (user.get("name") or "").lower()
        docs.append(view)
    offset, count = page_items(ws, ctx.params)
    return paged("users", sort_docs(docs, parse_sort(ctx.params, [("username", 1)])), offset, count)


@routes.get("users.info")
def users_info(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    uid = ctx.params.get("userId") or ws.usernames.get(ctx.params.get("username") or "")
    if not (ctx.params.get("userId") or ctx.params.get("username")):
        raise failure("invalid-params", "must have required property 'userId'")
    user = ws.users.get(uid or "")
    if user is None:
        raise failure("error-invalid-user", "User not found.")
    return {"user": user_view(ws, ctx.uid, user)}


@routes.get("subscriptions.get")
def subscriptions_get(ctx: Ctx) -> dict[str, Any]:
    """Only the caller's subscriptions: there is no endpoint for everybody's."""
    ws = ctx.ws
    since = date_param(
        ctx,
        "updatedSince",
        "error-roomId-param-invalid",
        'The "lastUpdate" query parameter must be a valid date.',
    )
    subs = [ws.subscriptions[sid] for sid in ws.subs_by_user.get(ctx.uid, {}).values()]
    if since is None:
        return {"update": subs, "remove": []}
    mine = [t for t in ws.trash_after("subscriptions", since) if t.doc["u"]["_id"] == ctx.uid]
    return {
        "update": [s for s in subs if ms_of(s) > since],
        "remove": [{"_id": t.doc["_id"], "_deletedAt": t.doc["_deletedAt"]} for t in mine],
    }


@routes.get("settings.public", auth=False)
def settings_public(ctx: Ctx) -> dict[str, Any]:
    docs = [
        {"_id": s["_id"], "value": s["value"]} for s in ctx.ws.settings.values() if s.get("public")
    ]
    offset, count = page_items(ctx.ws, ctx.params)
    return paged("settings", sort_docs(docs, parse_sort(ctx.params, [("_id", 1)])), offset, count)
