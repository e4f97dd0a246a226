"""`getPaginationItems` and `parseJsonQuery`'s `sort`, quirks included; generic doc sorting."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import orjson

from etl.simulator.errors import failure, invalid_params
from etl.simulator.workspace import Workspace

SortSpec = list[tuple[str, int]]
T = TypeVar("T")


def parse_int(value: str | None, name: str) -> int:
    """JavaScript `parseInt`: leading digits count, anything else is not a number."""
    match = re.match(r"\s*([+-]?\d+)", value or "")
    if not match:
        raise invalid_params(f"{name} must be number")
    return int(match.group(1))


def page_items(ws: Workspace, params: dict[str, str]) -> tuple[int, int | None]:
    """(offset, count); count None means no limit (`count=0` with `API_Allow_Infinite_Count`)."""
    upper = ws.setting("API_Upper_Count_Limit") or 100
    default = ws.setting("API_Default_Count") or 50
    upper = upper if upper > 0 else 100
    default = default if default > 0 else 50
    offset = parse_int(params["offset"], "offset") if params.get("offset") else 0
    count = parse_int(params["count"] or "0", "count") if "count" in params else default
    if count > upper:
        count = upper  # silently clamped: callers must advance by what they received
    if count == 0 and not ws.setting("API_Allow_Infinite_Count"):
        count = default
    # Mongo reads a negative limit as its absolute value (one batch); 0 is no limit at all.
    return max(offset, 0), (None if count == 0 else abs(count))


def parse_sort(params: dict[str, str], default: SortSpec) -> SortSpec:
    raw = params.get("sort")
    if raw is None:
        return default
    try:
        spec = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise failure("error-invalid-sort", f'Invalid sort parameter provided: "{raw}"') from None
    if not isinstance(spec, dict) or any(
        v not in (1, -1) or isinstance(v, bool) for v in spec.values()
    ):
        raise failure("error-invalid-sort", f'Invalid sort parameter provided: "{raw}"')
    return [(k, int(v)) for k, v in spec.items()]


def _rank(value: Any) -> tuple[Any, ...]:
    """Mongo's cross-type order, roughly: null < numbers < strings < objects < arrays < bools."""
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (5, value)
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, dict):
        return (3, str(sorted(value.items())))
    return (4, str(value))


def _get(doc: dict[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def sort_docs(docs: Iterable[dict[str, Any]], spec: SortSpec) -> list[dict[str, Any]]:
    out = list(docs)
    for field, direction in reversed(spec):
        out.sort(key=_sort_key(field), reverse=direction < 0)
    return out


def _sort_key(path: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    return lambda doc: _rank(_get(doc, path))


def window(items: Sequence[T], offset: int, count: int | None) -> Sequence[T]:
    return items[offset:] if count is None else items[offset : offset + count]


def paged(key: str, docs: Sequence[object], offset: int, count: int | None) -> dict[str, Any]:
    page = window(docs, offset, count)
    return {key: list(page), "count": len(page), "offset": offset, "total": len(docs)}
