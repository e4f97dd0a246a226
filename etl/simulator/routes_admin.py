"""Custom user statuses, integrations and their history, statistics (server-behaviour §4).

Integration envelopes say `items` where other lists say `count` (the docs' envelope); current
servers send `count` as well. Without the integration permissions the answer is a 403; without
`view-statistics` a 400 `error-not-allowed`.
"""

from __future__ import annotations

from typing import Any

from etl.simulator.access import has_permission
from etl.simulator.errors import ApiError, invalid_params, not_allowed
from etl.simulator.pagination import page_items, paged, parse_sort, sort_docs, window
from etl.simulator.routing import Ctx, Registry
from etl.simulator.stats import compute_statistics, list_view

routes = Registry()

INCOMING, OUTGOING = "webhook-incoming", "webhook-outgoing"


def unauthorized_action() -> ApiError:
    text = "User does not have the permissions required for this action [error-unauthorized]"
    return ApiError(403, {"success": False, "error": text})


def _items_page(key: str, docs: list[dict[str, Any]], ctx: Ctx) -> dict[str, Any]:
    offset, count = page_items(ctx.ws, ctx.params)
    page = list(window(docs, offset, count))
    return {key: page, "offset": offset, "items": len(page), "count": len(page), "total": len(docs)}


@routes.get("custom-user-status.list")
def statuses_list(ctx: Ctx) -> dict[str, Any]:
    statuses = list(ctx.ws.custom_statuses.values())
    if ctx.params.get("name"):
        statuses = [s for s in statuses if ctx.params["name"].lower() in s["name"].lower()]
    offset, count = page_items(ctx.ws, ctx.params)
    spec = parse_sort(ctx.params, [("name", 1)])
    return paged("statuses", sort_docs(statuses, spec), offset, count)


def _visible(ctx: Ctx, kind: str) -> bool | str:
    """True: all of `kind`; the caller's id: only its own; False: none."""
    direction = "incoming" if kind == INCOMING else "outgoing"
    if has_permission(ctx.ws, ctx.uid, f"manage-{direction}-integrations"):
        return True
    if has_permission(ctx.ws, ctx.uid, f"manage-own-{direction}-integrations"):
        return ctx.uid
    return False


def _allowed(ctx: Ctx, doc: dict[str, Any]) -> bool:
    scope = _visible(ctx, doc.get("type", ""))
    return scope is True or (bool(scope) and doc.get("_createdBy", {}).get("_id") == scope)


@routes.get("integrations.list")
def integrations_list(ctx: Ctx) -> dict[str, Any]:
    if not (_visible(ctx, INCOMING) or _visible(ctx, OUTGOING)):
        raise unauthorized_action()
    docs = [d for d in ctx.ws.integrations.values() if _allowed(ctx, d)]
    if "sort" in ctx.params:  # no default sort: the collection's own (insertion) order
        docs = sort_docs(docs, parse_sort(ctx.params, []))
    return _items_page("integrations", docs, ctx)


@routes.get("integrations.history")
def integrations_history(ctx: Ctx) -> dict[str, Any]:
    scope = _visible(ctx, OUTGOING)
    if not scope:
        raise unauthorized_action()
    if not ctx.params.get("id"):
        raise invalid_params("must have required property 'id'")
    found = [
        h
        for h in ctx.ws.integration_history.values()
        if h["integration"]["_id"] == ctx.params["id"]
        and (scope is True or h["integration"].get("_createdBy", {}).get("_id") == scope)
    ]
    docs = sort_docs(found, parse_sort(ctx.params, [("_updatedAt", -1)]))
    return _items_page("history", docs, ctx)


def _require_statistics(ctx: Ctx) -> None:
    if not has_permission(ctx.ws, ctx.uid, "view-statistics"):
        raise not_allowed()


@routes.get("statistics")
def statistics(ctx: Ctx) -> dict[str, Any]:
    """The newest snapshot at top level; `refresh=true` computes and saves a new one first."""
    _require_statistics(ctx)
    ws = ctx.ws
    if ctx.params.get("refresh") == "true" or not ws.statistics:
        ws.statistics.append(compute_statistics(ws))
    return dict(ws.statistics[-1])


@routes.get("statistics.list")
def statistics_list(ctx: Ctx) -> dict[str, Any]:
    _require_statistics(ctx)
    ws = ctx.ws
    if not ws.statistics:
        ws.statistics.append(compute_statistics(ws))
    docs = sort_docs([list_view(d) for d in ws.statistics], parse_sort(ctx.params, [("_id", 1)]))
    offset, count = page_items(ws, ctx.params)
    return paged("statistics", docs, offset, count)
