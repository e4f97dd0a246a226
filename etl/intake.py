"""Where documents enter: every item a server returns is screened before any cursor, edge or date
logic reads it.

An item that cannot be a row (not an object, no usable `_id`, a timestamp that is not a date or
lies beyond year 9999, text that is not valid Unicode) becomes a `Rejected` with its reason and raw
text: the sync quarantines it and walks on. Nothing is dropped without a trace, and one bad item
never costs its page, room or run.

Also here: the server's clock, which bounds every watermark (a document dated in 2999 is kept, but
must not move a cursor past the server's own time, or every later change would be skipped).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from etl.timestamps import stamp_ms

Doc = dict[str, Any]

# How far past the server's clock (its Date header, truncated to the second) a timestamp may lie
# and still move a watermark. Beyond it the document is kept and the watermark held.
SERVER_SKEW_MS = 2_000


class LenientBody(dict[str, Any]):
    """A response body orjson refused but the standard library could read (lone surrogates such
    as "\\ud800", which Node's JSON emits; bytes that are not UTF-8). Its strings may hold
    surrogates that no database accepts: every item of it is checked for them."""


@dataclass(frozen=True)
class Rejected:
    """An item the server returned that cannot be stored: quarantined with `reason`."""

    raw: Any  # the item as decoded, or its JSON text when it cannot be re-encoded as UTF-8
    reason: str
    record_id: str | None = None  # its `_id` when that is a usable string


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 64 else text[:61] + "..."


def _problem(
    item: Any, stamps: Iterable[str], required: Iterable[str], lenient: bool
) -> str | None:
    if not isinstance(item, dict):
        return f"item is not an object but {type(item).__name__}"
    doc_id = item.get("_id")
    if doc_id is None:
        return "missing '_id'"
    if not isinstance(doc_id, str):
        return f"'_id' is {type(doc_id).__name__} {_describe(doc_id)}, not a string"
    if not doc_id:
        return "empty '_id'"
    if "\x00" in doc_id:
        return "'_id' contains a NUL character"
    for key in required:
        if item.get(key) is None:
            return f"missing {key!r} (the field its cursor is built on)"
    for key in stamps:
        value = item.get(key)
        if value is not None and stamp_ms(value) is None:
            return f"{key!r} is not a date between 1970 and 9999: {_describe(value)}"
    if lenient:
        try:
            orjson.dumps(item)
        except TypeError as exc:  # lone surrogates: no database accepts them
            return f"not valid Unicode text ({exc})"
    return None


def _raw(item: Any) -> Any:
    """The item for the quarantine: an object as is, anything else as its JSON text (a string
    item must not be mistaken for the text of a record)."""
    try:
        text = orjson.dumps(item).decode()
        return item if isinstance(item, dict) else text
    except TypeError:
        # json escapes lone surrogates as \udXXX: the text keeps what the server sent.
        return json.dumps(item, ensure_ascii=True, default=repr)


def screen(
    items: Any,
    stamps: tuple[str, ...] = ("_updatedAt",),
    *,
    required: tuple[str, ...] = (),
    lenient: bool = False,
) -> tuple[list[Doc], list[Rejected]]:
    """Split what a server returned into storable documents and rejected items (with reasons).
    `stamps` are the timestamp fields that must be dates when present, `required` those that must
    be present (a cursor is built on them); `lenient` bodies are checked for invalid text."""
    if not isinstance(items, list):
        return [], []
    good: list[Doc] = []
    rejected: list[Rejected] = []
    for item in items:
        reason = _problem(item, stamps, required, lenient)
        if reason is None:
            good.append(item)
            continue
        doc_id = item.get("_id") if isinstance(item, dict) else None
        usable = doc_id if isinstance(doc_id, str) and doc_id and "\x00" not in doc_id else None
        rejected.append(Rejected(_raw(item), reason, usable))
    return good, rejected


def _key(bad: Rejected) -> tuple[str, str]:
    raw = bad.raw if isinstance(bad.raw, str) else orjson.dumps(bad.raw).decode()
    return bad.reason, raw


def unique(
    rejected: Iterable[Rejected], seen: set[tuple[str, str]] | None = None
) -> list[Rejected]:
    """Each bad item once: a cursor's 1 ms overlap and overlapping listings serve some twice.
    `seen` carries the items already reported across the pages of a walk."""
    seen = set() if seen is None else seen
    kept = []
    for bad in rejected:
        key = _key(bad)
        if key not in seen:
            seen.add(key)
            kept.append(bad)
    return kept


def rejected_ids(rejected: Iterable[Rejected]) -> set[str]:
    """Ids of rejected items that are still known to exist: never mistake them for deletions."""
    return {r.record_id for r in rejected if r.record_id}


# --- the server's clock ------------------------------------------------------------------


class ServerClock(Protocol):
    """The part of `etl.client.Client` that knows the server's time."""

    def server_time_ms(self) -> float | None: ...


def server_now_ms(client: ServerClock) -> int:
    """The server's current time in epoch ms: from the Date header of its latest answer (the
    client tracks it), else the local clock."""
    value = client.server_time_ms()
    return int(value) if value is not None else int(time.time() * 1000)


def watermark_bound(client: ServerClock) -> int:
    """The highest watermark a walk may record now."""
    return server_now_ms(client) + SERVER_SKEW_MS
