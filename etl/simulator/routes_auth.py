"""Authentication: login (password, resume, 2FA code), logout, me, personal access tokens."""

from __future__ import annotations

import secrets
from typing import Any

from etl.simulator.access import has_permission, user_view
from etl.simulator.clock import iso
from etl.simulator.errors import ApiError, failure
from etl.simulator.routing import Ctx, Registry

routes = Registry()
SERVER_VERSION = "7.10.0"


def _legacy_error(error: str, message: str, details: dict[str, Any] | None = None) -> ApiError:
    """Login answers with the legacy `{status: 'error'}` envelope and HTTP 401."""
    body: dict[str, Any] = {"status": "error", "error": error, "message": message}
    if details:
        body["details"] = details
    return ApiError(401, body)


def _find_login_user(ctx: Ctx) -> str | None:
    ws, body = ctx.ws, ctx.body
    ident = body.get("user") or body.get("username") or body.get("email")
    if isinstance(ident, dict):
        ident = ident.get("username") or ident.get("email")
    if not isinstance(ident, str):
        return None
    if ident in ws.usernames:
        return ws.usernames[ident]
    return next(
        (
            uid
            for uid, u in ws.users.items()
            if any(e["address"] == ident for e in u.get("emails", []))
        ),
        None,
    )


@routes.post("login", auth=False)
def login(ctx: Ctx) -> dict[str, Any]:
    ws, body = ctx.ws, ctx.body
    uid: str | None
    if body.get("resume"):
        uid = ws.tokens.get(str(body["resume"]))
    else:
        uid = _find_login_user(ctx)
        if uid is not None and ws.passwords.get(uid) != body.get("password"):
            uid = None
    user = ws.users.get(uid or "")
    if user is None or not user.get("active"):
        raise _legacy_error("Unauthorized", "Unauthorized")
    expected = ws.two_factor_codes.get(user["_id"])
    if expected is not None and not body.get("resume"):
        code = body.get("code") or ctx.headers.get("x-2fa-code")
        details = {"method": "totp", "codeGenerated": False, "availableMethods": ["totp"]}
        if not code:
            raise _legacy_error("totp-required", "TOTP Required [totp-required]", details)
        if str(code) != expected:
            raise _legacy_error("totp-invalid", "TOTP Invalid [totp-invalid]", {"method": "totp"})
    auth = secrets.token_urlsafe(32)
    ws.tokens[auth] = user["_id"]
    me = user_view(ws, user["_id"], user)
    return {
        "status": "success",
        "data": {"authToken": auth, "userId": user["_id"], "me": me},
        "_legacy": True,
    }


@routes.post("logout")
def logout(ctx: Ctx) -> dict[str, Any]:
    token = ctx.headers.get("x-auth-token", "")
    ctx.ws.tokens.pop(token, None)
    return {"status": "success", "data": {"message": "You've been logged out!"}, "_legacy": True}


@routes.get("me")
def me(ctx: Ctx) -> dict[str, Any]:
    user = ctx.ws.users[ctx.uid]
    return user_view(ctx.ws, ctx.uid, user)


@routes.post("users.generatePersonalAccessToken")
def generate_pat(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.ws
    name = ctx.body.get("tokenName")
    if not name:
        raise failure("invalid-params", "must have required property 'tokenName'")
    if not has_permission(ws, ctx.uid, "create-personal-access-tokens"):
        raise failure("not-authorized", "Not Authorized")
    user = ws.users[ctx.uid]
    tokens = user.setdefault("services", {}).setdefault("resume", {}).setdefault("loginTokens", [])
    if any(t.get("name") == name for t in tokens):
        raise failure("error-token-already-exists", "A token with this name already exists")
    auth = secrets.token_urlsafe(32)
    now = ws.now()
    tokens.append(
        {
            "type": "personalAccessToken",
            "name": name,
            "createdAt": iso(now),
            "lastTokenPart": auth[-6:],
            "bypassTwoFactor": bool(ctx.body.get("bypassTwoFactor")),
        }
    )
    user["_updatedAt"] = iso(now)
    ws.tokens[auth] = ctx.uid
    return {"token": auth}
