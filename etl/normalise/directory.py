"""Users, roles, permissions, custom emoji and sounds, public settings."""

from __future__ import annotations

from typing import Any

from etl.normalise.fields import (
    boolean,
    date,
    doc_id,
    integer,
    items,
    key_text,
    number,
    text,
)
from etl.normalise.record import Record


def normalise_user(doc: dict[str, Any]) -> Record:
    uid = doc_id(doc)
    row = {
        "id": uid,
        "username": text(doc, "username"),
        "name": text(doc, "name"),
        "nickname": text(doc, "nickname"),
        "type": text(doc, "type"),
        "active": boolean(doc, "active"),
        "status": text(doc, "status"),
        "status_connection": text(doc, "statusConnection"),
        "status_text": text(doc, "statusText"),
        "created_at": date(doc, "createdAt"),
        "last_login": date(doc, "lastLogin"),
        "utc_offset": number(doc, "utcOffset"),
        "language": text(doc, "language"),
        "bio": text(doc, "bio"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    roles = dict.fromkeys(r for r in items(doc, "roles") if key_text(r))
    emails = [e for e in items(doc, "emails") if type(e) is dict and key_text(e.get("address"))]
    children = {
        "user_roles": [{"user_id": uid, "role": role} for role in roles],
        "user_emails": [
            {"user_id": uid, "address": e["address"], "verified": boolean(e, "verified")}
            for e in emails
        ],
    }
    return Record("users", row, children)


def normalise_role(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "name": text(doc, "name"),
        "description": text(doc, "description"),
        "protected": boolean(doc, "protected"),
        "scope": text(doc, "scope"),
        "mandatory2fa": boolean(doc, "mandatory2fa"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("roles", row, {})


def normalise_permission(doc: dict[str, Any]) -> Record:
    pid = doc_id(doc)
    row = {
        "id": pid,
        "group": text(doc, "group"),
        "section": text(doc, "section"),
        "level": text(doc, "level"),
        "setting_id": text(doc, "settingId"),
        "group_permission_id": text(doc, "groupPermissionId"),
        "section_permission_id": text(doc, "sectionPermissionId"),
        "sorter": integer(doc, "sorter"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    roles = dict.fromkeys(r for r in items(doc, "roles") if key_text(r))
    children = {"permission_roles": [{"permission_id": pid, "role": r} for r in roles]}
    return Record("permissions", row, children)


def normalise_custom_emoji(doc: dict[str, Any]) -> Record:
    eid = doc_id(doc)
    row = {
        "id": eid,
        "name": text(doc, "name"),
        "extension": text(doc, "extension"),
        "etag": text(doc, "etag"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    aliases = doc.get("aliases")
    if type(aliases) is str:  # old servers sent a comma-separated string
        aliases = [a.strip() for a in aliases.split(",")]
    if type(aliases) is not list:
        aliases = []
    unique = dict.fromkeys(a for a in aliases if key_text(a))
    children = {"emoji_aliases": [{"emoji_id": eid, "alias": a} for a in unique]}
    return Record("custom_emoji", row, children)


def normalise_custom_sound(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "name": text(doc, "name"),
        "extension": text(doc, "extension"),
        "random": boolean(doc, "random"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("custom_sounds", row, {})


def normalise_setting(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "value": doc.get("value"),
        "type": text(doc, "type"),
        "group": text(doc, "group"),
        "section": text(doc, "section"),
        "public": boolean(doc, "public"),
        "package_value": doc.get("packageValue"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("settings", row, {})
