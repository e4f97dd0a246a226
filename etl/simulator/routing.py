"""The endpoint catalogue: handlers by name and method, with auth and the parameters they accept."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from etl.simulator.errors import invalid_params
from etl.simulator.messages import Msg, TrashMsg
from etl.simulator.workspace import Workspace

PAGING = frozenset({"offset", "count", "sort"})
# `query`/`fields` are still accepted (and ignored) by the untyped endpoints of a 7.x server.
LEGACY = frozenset({"query", "fields"})


@dataclass
class Ctx:
    ws: Workspace
    uid: str
    params: dict[str, str]
    multi: dict[str, list[str]]
    body: dict[str, Any]
    client_ip: str = "127.0.0.1"
    headers: dict[str, str] = field(default_factory=dict)

    def require(self, name: str) -> str:
        value = self.params.get(name)
        if not value:
            raise invalid_params(f"must have required property '{name}'")
        return value


Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    fn: Handler
    auth: bool
    # Only the typed (ajv, `additionalProperties: false`) message and thread endpoints reject
    # unknown parameters; None: unknown parameters are ignored, as the untyped endpoints do.
    allowed: frozenset[str] | None


@dataclass
class Registry:
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)

    def add(
        self,
        method: str,
        names: Iterable[str] | str,
        *,
        auth: bool = True,
        allowed: Iterable[str] | None = None,
    ) -> Callable[[Handler], Handler]:
        def wrap(fn: Handler) -> Handler:
            for name in [names] if isinstance(names, str) else names:
                strict = None if allowed is None else frozenset(allowed)
                self.routes[(method, name)] = Route(name, method, fn, auth, strict)
            return fn

        return wrap

    def get(self, names: Iterable[str] | str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("GET", names, **kw)

    def post(self, names: Iterable[str] | str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("POST", names, **kw)

    def merge(self, other: Registry) -> None:
        self.routes.update(other.routes)


def check_params(route: Route, params: dict[str, str]) -> None:
    if route.allowed is None:
        return
    extra = sorted(k for k in params if k not in route.allowed)
    if extra:
        raise invalid_params(f"must NOT have additional properties '{extra[0]}'")


def for_user(msg: Msg | TrashMsg, uid: str) -> orjson.Fragment:
    """`normalizeMessagesForUser`: `starred` is reduced to the caller's own star."""
    if isinstance(msg, Msg) and msg.starred:
        doc = msg.doc()
        doc["starred"] = [s for s in doc.get("starred", []) if s.get("_id") == uid]
        return orjson.Fragment(orjson.dumps(doc))
    return orjson.Fragment(msg.raw)


def raw(msg: Msg | TrashMsg) -> orjson.Fragment:
    return orjson.Fragment(msg.raw)
