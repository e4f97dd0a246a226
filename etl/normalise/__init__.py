"""Server documents -> table rows: `normalise(table, doc) -> Record` or `NormaliseError`.

Plain dict work on the hot path (no validation library): every message of a sync passes here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from etl.normalise.admin import (
    normalise_custom_user_status,
    normalise_integration,
    normalise_integration_history,
)
from etl.normalise.directory import (
    normalise_custom_emoji,
    normalise_custom_sound,
    normalise_permission,
    normalise_role,
    normalise_setting,
    normalise_user,
)
from etl.normalise.fields import NormaliseError, parse_date
from etl.normalise.messages import normalise_message
from etl.normalise.omnichannel import OMNICHANNEL_NORMALISERS
from etl.normalise.record import Record
from etl.normalise.rooms import (
    normalise_room,
    normalise_room_member,
    normalise_subscription,
    normalise_team,
)
from etl.normalise.uploads import normalise_upload

NORMALISERS: dict[str, Callable[[dict[str, Any]], Record]] = {
    "rooms": normalise_room,
    "messages": normalise_message,
    "users": normalise_user,
    "roles": normalise_role,
    "permissions": normalise_permission,
    "subscriptions": normalise_subscription,
    "custom_emoji": normalise_custom_emoji,
    "custom_sounds": normalise_custom_sound,
    "teams": normalise_team,
    "settings": normalise_setting,
    "room_members": normalise_room_member,
    "custom_user_statuses": normalise_custom_user_status,
    "integrations": normalise_integration,
    "integration_history": normalise_integration_history,
    "uploads": normalise_upload,
    **OMNICHANNEL_NORMALISERS,
}

# The tables a server document can become rows of (keyed like NORMALISERS).
TABLES: tuple[str, ...] = tuple(NORMALISERS)


def normalise(table: str, doc: Any) -> Record:
    """One server document -> its Record for `table`; raises NormaliseError if it cannot be stored
    as rows."""
    try:
        fn = NORMALISERS[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}; known: {', '.join(TABLES)}") from None
    if not isinstance(doc, dict):
        raise NormaliseError(f"document is not an object but {type(doc).__name__}")
    return fn(doc)


__all__ = ["NORMALISERS", "TABLES", "NormaliseError", "Record", "normalise", "parse_date"]
