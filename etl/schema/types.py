"""Column types shared by every table: aware UTC datetimes, JSON/JSONB, NUL-safe text.

PostgreSQL refuses the NUL character in TEXT and in JSONB strings, while Rocket.Chat happily stores
messages that contain it. On PostgreSQL only, a string that contains NUL (or that happens to start
with the escape marker) is stored as ``MARK + percent-escaped text`` where only ``%`` and NUL are
escaped. Every other string is stored unchanged: the escaping is reversible and almost never seen.
JSON documents are escaped string by string and flagged with a top-level ``_rcetl_nul_escaped`` key.
SQLite stores everything verbatim.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Dialect, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

MARK = "\ue000"
NUL_FLAG = "_rcetl_nul_escaped"


def escape_text(value: str) -> str:
    """Make a string storable in PostgreSQL TEXT/JSONB; identity unless it holds NUL or MARK."""
    if "\x00" not in value and not value.startswith(MARK):
        return value
    return MARK + value.replace("%", "%25").replace("\x00", "%00")


def unescape_text(value: str) -> str:
    """Inverse of `escape_text`."""
    if not value.startswith(MARK):
        return value
    return value[1:].replace("%00", "\x00").replace("%25", "%")


def _map_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {fn(k): _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value


def dumps_json(value: Any) -> str:
    """orjson first (fast); the stdlib for what orjson refuses (ints beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        import json

        return json.dumps(value, default=str)


def needs_json_escape(text: str) -> bool:
    """Whether a serialized JSON document must be escaped for PostgreSQL JSONB."""
    return "\\u0000" in text or MARK in text or NUL_FLAG in text


def escape_json(value: Any) -> Any:
    """Escape every string of a document for JSONB; flags the document so it can be undone."""
    escaped = _map_strings(value, escape_text)
    if isinstance(escaped, dict):
        return {NUL_FLAG: 1, **escaped}
    return {NUL_FLAG: 2, "value": escaped}


def unescape_json(value: Any) -> Any:
    """Inverse of `escape_json`; documents without the flag come back as they are."""
    if not isinstance(value, dict) or NUL_FLAG not in value:
        return value
    if value[NUL_FLAG] == 2:
        return _map_strings(value["value"], unescape_text)
    body = {k: v for k, v in value.items() if k != NUL_FLAG}
    return _map_strings(body, unescape_text)


class JSONText(str):
    """A document already serialised for its column (by `dumps_json` on SQLite, `pg_json_value`
    on PostgreSQL): the loader writes it as it is. The sync serialises a message once, on its
    fetch thread, for both its `messages.raw` and its first version's `raw`."""

    __slots__ = ()


def pg_json_value(value: Any) -> str:
    """Serialize a document for PostgreSQL (JSON text, escaped when needed)."""
    text = dumps_json(value)
    if needs_json_escape(text):
        text = dumps_json(escape_json(value))
    return text


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both dialects; SQLite keeps naive UTC text, read back as aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class SafeText(TypeDecorator[str]):
    """TEXT that survives NUL characters on PostgreSQL (see module docstring)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value
        return escape_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value
        return unescape_text(value)


class RawJSON(TypeDecorator[Any]):
    """JSON on SQLite, JSONB on PostgreSQL, NUL-safe on PostgreSQL (see module docstring)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "postgresql":
            return value
        if needs_json_escape(dumps_json(value)):
            return escape_json(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name != "postgresql":
            return value
        return unescape_json(value)
