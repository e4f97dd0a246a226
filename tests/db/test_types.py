"""The reversible NUL escape used on PostgreSQL, and UTC handling, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from etl.load.plans import sqlite_datetime
from etl.schema.types import (
    MARK,
    NUL_FLAG,
    escape_json,
    escape_text,
    needs_json_escape,
    pg_json_value,
    unescape_json,
    unescape_text,
)

TRICKY = ["", "plain", "100%", "%00", "a\x00b", "\x00", MARK, MARK + "x%00\x00", "%25\x00%"]


@pytest.mark.parametrize("value", TRICKY)
def test_text_escape_round_trips_and_never_leaves_nul(value: str) -> None:
    escaped = escape_text(value)
    assert "\x00" not in escaped
    assert unescape_text(escaped) == value


def test_text_escape_is_identity_for_ordinary_text() -> None:
    for value in ["", "plain", "100%", "%00 literally", "日本語 🎉"]:
        assert escape_text(value) is value


@pytest.mark.parametrize(
    "doc",
    [
        {"msg": "a\x00b", "nested": [{"k\x00": MARK + "v"}, 1, None, True, 2.5]},
        {"value": "x\x00"},  # a dict whose only key is "value" must not be unwrapped
        ["top", "level\x00", {"list": True}],
        "just a string\x00",
    ],
)
def test_json_escape_round_trips(doc: object) -> None:
    escaped = escape_json(doc)
    assert "\\u0000" not in pg_json_value(escaped)
    assert escaped[NUL_FLAG] in (1, 2)
    assert unescape_json(escaped) == doc


def test_documents_without_nul_are_stored_unchanged() -> None:
    doc = {"msg": "hello", "n": 1}
    assert not needs_json_escape(pg_json_value(doc))
    assert unescape_json(doc) is doc


def test_sqlite_datetime_text_is_utc_and_fixed_width() -> None:
    moment = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    plus_two = moment.astimezone(timezone(timedelta(hours=2)))
    assert sqlite_datetime(moment) == "2024-03-01 10:00:00.000000"
    assert sqlite_datetime(plus_two) == "2024-03-01 10:00:00.000000"
    assert sqlite_datetime(moment.replace(tzinfo=None)) == "2024-03-01 10:00:00.000000"
