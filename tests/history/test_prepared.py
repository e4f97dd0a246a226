"""A prepared message record's version columns, built from its row when a version is written,
equal those the record used to carry from the fetch thread (etl.load.history.prepare_version)."""

from __future__ import annotations

from typing import Any

import pytest

from etl.load.history import _version_of, content_hash, prepare_version
from etl.load.plans import json_serialiser
from etl.normalise import normalise
from etl.schema.types import JSONText

DOCS: list[dict[str, Any]] = [
    {"_id": "m1", "rid": "r", "msg": "plain", "ts": "2026-01-01T00:00:00.000Z"},
    {
        "_id": "m2",
        "rid": "r",
        "msg": "edited \u0000 text",
        "ts": "2026-01-01T00:00:00.000Z",
        "editedAt": "2026-01-02T03:04:05.678Z",
        "editedBy": {"_id": "u1", "username": "ann"},
        "attachments": [{"title": "x", "size": 2**70}],
        "md": [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": "edited"}]}],
    },
    {"_id": "m3", "rid": "r", "ts": "2026-01-01T00:00:00.000Z", "attachments": []},
    {"_id": "m4", "rid": "r", "msg": "", "ts": "2026-01-01T00:00:00.000Z", "attachments": None},
]


def _previous(doc: dict[str, Any], row: dict[str, Any], dialect: str) -> dict[str, Any]:
    """What prepare_version stored in `record.version` before the change."""
    return {
        "msg": row["msg"],
        "attachments": doc.get("attachments"),
        "edited_at": row["edited_at"],
        "edited_by_id": row["edited_by_id"],
        "edited_by_username": row["edited_by_username"],
        "content_hash": content_hash(doc),
        "raw": JSONText(json_serialiser(dialect)(doc)),
    }


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize("doc", DOCS, ids=[d["_id"] for d in DOCS])
def test_version_columns_equal_the_previous_ones(doc: dict[str, Any], dialect: str) -> None:
    record = normalise("messages", doc)
    expected = _previous(doc, dict(record.row), dialect)
    prepare_version(record, dialect)
    prepare_version(record, dialect)  # a second call changes nothing
    version = _version_of(record)
    assert version == expected
    assert type(version["raw"]) is JSONText
    assert record.row["content_digest"] == expected["content_hash"]
    assert record.row["raw"] == expected["raw"]
