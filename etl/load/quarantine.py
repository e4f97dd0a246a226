"""Quarantine: records that could not be normalised, kept verbatim with the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert

from etl.schema.bookkeeping import Quarantine
from etl.schema.types import dumps_json


def save_quarantine(
    conn: Connection,
    resource: str,
    doc_or_text: Any,
    reason: str,
    run_id: int | None = None,
    record_id: Any = None,
) -> None:
    """Keep a record that could not be normalised, verbatim, with the reason. `record_id`
    defaults to the document's `_id` (give it when the record is passed as text)."""
    if isinstance(doc_or_text, bytes):
        raw = doc_or_text.decode("utf-8", errors="backslashreplace")
    elif isinstance(doc_or_text, str):
        raw = doc_or_text
    else:
        raw = dumps_json(doc_or_text)
    if record_id is None and isinstance(doc_or_text, dict):
        record_id = doc_or_text.get("_id")
    conn.execute(
        insert(Quarantine).values(
            resource=resource,
            record_id=str(record_id) if record_id is not None else None,
            reason=reason,
            raw=raw,
            run_id=run_id,
            seen_at=datetime.now(UTC),
        )
    )
