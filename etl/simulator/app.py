"""The ASGI app: auth, rate limiting, parameter checks, dispatch to the route catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from etl.simulator import (
    routes_admin,
    routes_auth,
    routes_chat,
    routes_directory,
    routes_files,
    routes_history,
    routes_livechat,
    routes_rooms,
    routes_sim,
)
from etl.simulator.access import has_permission
from etl.simulator.clock import iso
from etl.simulator.errors import ApiError, not_found, too_many_requests, unauthorized
from etl.simulator.options import SimOptions
from etl.simulator.ratelimit import RateLimiter
from etl.simulator.routing import Ctx, Registry, check_params
from etl.simulator.workspace import Workspace

JSON = "application/json"
BYPASS = "api-bypass-rate-limit"
PASSED_HEADERS = ("x-auth-token", "x-2fa-code", "x-2fa-method")
# Every public route; `routes_sim` (the test-only control routes) is served on its own.
ROUTE_MODULES = (
    routes_admin,
    routes_auth,
    routes_chat,
    routes_directory,
    routes_files,
    routes_history,
    routes_livechat,
    routes_rooms,
)


def catalogue() -> Registry:
    registry = Registry()
    for module in ROUTE_MODULES:
        registry.merge(module.routes)
    return registry


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type=JSON)


class ApiApp:
    def __init__(self, ws: Workspace, options: SimOptions) -> None:
        self.ws = ws
        self.options = options
        self.registry = catalogue()
        self.limiter = RateLimiter(*options.rate_limit) if options.rate_limit else None
        self.grant_bypass(options.bypass_roles)
        self.files = routes_files.FileRoute(ws, options.file_redirect, options.file_bytes_per_s)
        routes = [
            StarletteRoute("/api/info", self.info, methods=["GET"]),
            StarletteRoute(
                "/file-upload/{fid}/{name:path}", self.files.handle, methods=["GET", "HEAD"]
            ),
            StarletteRoute(
                "/api/v1/{endpoint:path}", self.dispatch, methods=["GET", "POST", "PUT", "DELETE"]
            ),
        ]
        if options.enable_mutations:
            routes.append(StarletteRoute("/_sim/{op:path}", self.sim, methods=["GET", "POST"]))
        self.starlette = Starlette(routes=routes)

    def grant_bypass(self, roles: Sequence[str]) -> None:
        """`SimOptions.bypass_roles` becomes the permission document, the limiter's one source."""
        doc = self.ws.permissions.get(BYPASS)
        if doc is not None and sorted(doc["roles"]) != sorted(roles):
            with self.ws.lock:
                doc.update(roles=list(roles), _updatedAt=iso(self.ws.now()))

    async def info(self, request: Request) -> Response:
        return Response(
            b'{"version":"%s","success":true}' % routes_auth.SERVER_VERSION.encode(),
            media_type=JSON,
        )

    def authenticate(self, request: Request) -> str:
        uid = request.headers.get("x-user-id")
        token = request.headers.get("x-auth-token")
        if not uid or not token or self.ws.tokens.get(token) != uid:
            raise unauthorized()
        user = self.ws.users.get(uid)
        if user is None or not user.get("active"):
            raise unauthorized()
        return uid

    def rate_limit(self, endpoint: str, uid: str, ip: str, headers: dict[str, str]) -> None:
        """Skipped (no headers either) for users whose roles hold `api-bypass-rate-limit`."""
        if self.limiter is None:
            return
        if uid and has_permission(self.ws, uid, BYPASS):
            return
        verdict = self.limiter.hit(endpoint, ip)
        headers.update(verdict.headers())
        if not verdict.allowed:
            raise too_many_requests(verdict.wait_seconds)

    async def dispatch(self, request: Request) -> Response:
        name = request.path_params["endpoint"]
        route = self.registry.routes.get((request.method, name))
        path_id = None
        if route is None and "/" in name:  # `livechat/department/:_id`: an id in the path
            head, path_id = name.rsplit("/", 1)
            route = self.registry.routes.get((request.method, f"{head}/:_id"))
        headers: dict[str, str] = {}
        try:
            if route is None:
                raise not_found()
            uid = self.authenticate(request) if route.auth else ""
            ip = request.headers.get("x-real-ip") or (request.client.host if request.client else "")
            self.rate_limit(name, uid, ip, headers)
            query = request.scope["query_string"].decode("utf-8", "replace")
            pairs = parse_qsl(query, keep_blank_values=True)
            params = dict(pairs)
            if path_id is not None:
                params[":_id"] = path_id
            multi: dict[str, list[str]] = {}
            for key, value in pairs:
                multi.setdefault(key, []).append(value)
            body = await self.read_body(request) if request.method != "GET" else {}
            check_params(route, params)
            wanted = {k: request.headers[k] for k in PASSED_HEADERS if k in request.headers}
            ctx = Ctx(self.ws, uid, params, multi, body, ip, wanted)
            with self.ws.lock:  # encode under the lock too: documents may change right after
                result = route.fn(ctx)
                legacy = result.pop("_legacy", False)
                if not legacy:
                    result["success"] = True
                encoded = orjson.dumps(result)
        except ApiError as exc:
            return json_response(exc.status, exc.body, headers)
        return Response(encoded, 200, headers, media_type=JSON)

    @staticmethod
    async def read_body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(raw.decode()))
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ApiError(400, {"success": False, "error": "Invalid JSON body"}) from None
        return body if isinstance(body, dict) else {}

    async def sim(self, request: Request) -> Response:
        try:
            body = (
                await self.read_body(request)
                if request.method == "POST"
                else dict(request.query_params)
            )
            result = routes_sim.run(self.ws, request.path_params["op"], body)
        except ApiError as exc:
            return json_response(exc.status, exc.body)
        return Response(orjson.dumps({"result": result, "success": True}), media_type=JSON)
