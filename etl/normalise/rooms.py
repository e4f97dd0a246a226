"""Rooms, subscriptions, teams and room members."""

from __future__ import annotations

from typing import Any

from etl.normalise.fields import (
    NormaliseError,
    boolean,
    date,
    doc_id,
    integer,
    items,
    key_text,
    loose_text,
    obj,
    required_text,
    text,
)
from etl.normalise.record import Record


def normalise_room(doc: dict[str, Any]) -> Record:
    rid = doc_id(doc)
    u = obj(doc, "u")
    last_message = obj(doc, "lastMessage")
    row = {
        "id": rid,
        "t": text(doc, "t"),
        "name": text(doc, "name"),
        "fname": text(doc, "fname"),
        "u_id": text(u, "_id"),
        "u_username": text(u, "username"),
        "topic": text(doc, "topic"),
        "description": text(doc, "description"),
        "announcement": text(doc, "announcement"),
        "ts": date(doc, "ts"),
        "lm": date(doc, "lm"),
        "msgs": integer(doc, "msgs"),
        "users_count": integer(doc, "usersCount"),
        "prid": text(doc, "prid"),
        "team_id": text(doc, "teamId"),
        "team_main": boolean(doc, "teamMain"),
        "archived": boolean(doc, "archived"),
        "ro": boolean(doc, "ro"),
        "default": boolean(doc, "default"),
        "broadcast": boolean(doc, "broadcast"),
        "encrypted": boolean(doc, "encrypted"),
        "last_message_id": text(last_message, "_id"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    children: dict[str, list[dict[str, Any]]] = {}
    uids = items(doc, "uids")
    if uids:
        # DMs list their members in the room itself (`uids` parallel to `usernames`).
        usernames = items(doc, "usernames")
        children["room_members"] = [
            {
                "room_id": rid,
                "user_id": uid,
                "username": loose_text(usernames[i]) if i < len(usernames) else None,
                "name": None,
                "status": None,
            }
            for i, uid in enumerate(uids)
            if key_text(uid)
        ]
    return Record("rooms", row, children)


def normalise_room_member(doc: dict[str, Any]) -> Record:
    """A member from `channels.members`/`groups.members`/`im.members` plus the room id in `rid`.

    Those endpoints do not name the room in each member, so the sync puts it in `rid`.
    """
    uid = doc_id(doc)
    row = {
        "room_id": required_text(doc, "rid"),
        "user_id": uid,
        "username": text(doc, "username"),
        "name": text(doc, "name"),
        "status": text(doc, "status"),
    }
    return Record("room_members", row, {})


def normalise_subscription(doc: dict[str, Any]) -> Record:
    u = obj(doc, "u")
    row = {
        "id": doc_id(doc),
        "rid": text(doc, "rid"),
        "t": text(doc, "t"),
        "name": text(doc, "name"),
        "fname": text(doc, "fname"),
        "u_id": text(u, "_id"),
        "u_username": text(u, "username"),
        "ts": date(doc, "ts"),
        "ls": date(doc, "ls"),
        "lr": date(doc, "lr"),
        "open": boolean(doc, "open"),
        "alert": boolean(doc, "alert"),
        "unread": integer(doc, "unread"),
        "user_mentions": integer(doc, "userMentions"),
        "group_mentions": integer(doc, "groupMentions"),
        "f": boolean(doc, "f"),
        "archived": boolean(doc, "archived"),
        "prid": text(doc, "prid"),
        "team_id": text(doc, "teamId"),
        "team_main": boolean(doc, "teamMain"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("subscriptions", row, {})


def normalise_team(doc: dict[str, Any]) -> Record:
    created_by = obj(doc, "createdBy")
    team_type = doc.get("type")
    if team_type is not None and type(team_type) is not int:
        raise NormaliseError(f"field 'type': expected 0 or 1, got {team_type!r}"[:120])
    row = {
        "id": doc_id(doc),
        "name": text(doc, "name"),
        "type": team_type,
        "room_id": text(doc, "roomId"),
        "created_by_id": text(created_by, "_id"),
        "created_by_username": text(created_by, "username"),
        "created_at": date(doc, "createdAt"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("teams", row, {})
