"""Uploads (`*.files`): one row per upload. Its `token` is an access token for the file itself,
so it is dropped before anything is stored (the row's `raw` included)."""

from __future__ import annotations

from typing import Any

from etl.normalise.fields import boolean, date, doc_id, integer, obj, ref, text
from etl.normalise.record import Record

SECRET_KEYS = ("token",)


def without_token(item: Any) -> Any:
    """An upload document without its file access token (rows, raw and quarantine alike)."""
    if isinstance(item, dict):
        return {k: v for k, v in item.items() if k not in SECRET_KEYS}
    return item


def normalise_upload(doc: dict[str, Any]) -> Record:
    raw = without_token(doc)
    user = obj(doc, "user")
    row = {
        "id": doc_id(doc),
        "name": text(doc, "name"),
        "size": integer(doc, "size"),
        "type": text(doc, "type"),
        "extension": text(doc, "extension"),
        "rid": ref(doc, "rid"),
        # `userId` before 0.64.0, `user {_id, username, name}` since
        "user_id": ref(user, "_id") or ref(doc, "userId"),
        "user_username": text(user, "username"),
        "uploaded_at": date(doc, "uploadedAt"),
        "store": text(doc, "store"),
        "path": text(doc, "path"),
        "url": text(doc, "url"),
        "complete": boolean(doc, "complete"),
        "description": text(doc, "description"),
        "etag": text(doc, "etag"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": raw,
    }
    return Record("uploads", row)
