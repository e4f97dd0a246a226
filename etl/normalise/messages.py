"""Messages: one `messages` row plus reactions, mentions, attachments, files, urls, followers."""

from __future__ import annotations

from typing import Any

from etl.normalise.fields import (
    NO_ITEMS,
    NormaliseError,
    boolean,
    date,
    doc_id,
    integer,
    items,
    key_text,
    loose_text,
    obj,
    ref,
    required_text,
    text,
)
from etl.normalise.omnichannel import TRANSFER_TYPE, transfer_rows
from etl.normalise.record import Record, Rows


def normalise_message(doc: dict[str, Any]) -> Record:
    mid = doc_id(doc)
    u = obj(doc, "u")
    edited_by = obj(doc, "editedBy")
    pinned_by = obj(doc, "pinnedBy")
    row = {
        "id": mid,
        "rid": required_text(doc, "rid"),
        # Unknown system message types (`t`) are kept as they come; 64 KB+ texts are kept whole.
        "msg": text(doc, "msg"),
        "ts": date(doc, "ts"),
        "t": text(doc, "t"),
        "u_id": text(u, "_id"),
        "u_username": text(u, "username"),
        "u_name": text(u, "name"),
        "alias": text(doc, "alias"),
        "tmid": ref(doc, "tmid"),
        "tshow": boolean(doc, "tshow"),
        "tcount": integer(doc, "tcount"),
        "tlm": date(doc, "tlm"),
        "drid": text(doc, "drid"),
        "dcount": integer(doc, "dcount"),
        "dlm": date(doc, "dlm"),
        "edited_at": date(doc, "editedAt"),
        "edited_by_id": text(edited_by, "_id"),
        "edited_by_username": text(edited_by, "username"),
        "pinned": boolean(doc, "pinned"),
        "pinned_at": date(doc, "pinnedAt"),
        "pinned_by_id": text(pinned_by, "_id"),
        "pinned_by_username": text(pinned_by, "username"),
        "groupable": boolean(doc, "groupable"),
        "emoji": text(doc, "emoji"),
        "avatar": text(doc, "avatar"),
        "content_digest": None,  # set by etl.load.history.prepare_version when tracking
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    children = {
        "message_reactions": _reactions(mid, doc),
        "message_mentions": _mentions(mid, doc),
        "message_attachments": _attachments(mid, doc),
        "message_files": _files(mid, doc),
        "message_urls": _urls(mid, doc),
        "thread_followers": _followers(mid, doc),
    }
    if row["t"] == TRANSFER_TYPE:
        children["livechat_transfers"] = transfer_rows(mid, doc)
    return Record("messages", row, children)


def _reactions(mid: str, doc: dict[str, Any]) -> Rows:
    reactions = obj(doc, "reactions")
    if not reactions:
        return NO_ITEMS
    rows = []
    for emoji, reaction in reactions.items():
        if type(reaction) is not dict:
            raise NormaliseError(f"reaction {emoji!r} is not an object")
        if key_text(emoji) is None:
            continue
        names = items(reaction, "names")
        for i, username in enumerate(items(reaction, "usernames")):
            if key_text(username):
                name = names[i] if i < len(names) and type(names[i]) is str else None
                rows.append({"message_id": mid, "emoji": emoji, "username": username, "name": name})
    return rows


def _mentions(mid: str, doc: dict[str, Any]) -> Rows:
    if not doc.get("mentions") and not doc.get("channels"):
        return NO_ITEMS
    rows = []
    for kind, key in (("user", "mentions"), ("channel", "channels")):
        for i, m in enumerate(items(doc, key)):
            if type(m) is not dict:
                continue
            rows.append(
                {
                    "message_id": mid,
                    "kind": kind,
                    "position": i,
                    "mention_id": key_text(m.get("_id")),
                    "username": loose_text(m.get("username")),
                    "name": loose_text(m.get("name")),
                    "type": loose_text(m.get("type")),
                }
            )
    return rows


def _attachments(mid: str, doc: dict[str, Any]) -> Rows:
    if not doc.get("attachments"):
        return NO_ITEMS
    return [
        {
            "message_id": mid,
            "position": i,
            "title": loose_text(a.get("title")),
            "type": loose_text(a.get("type")),
            "text": loose_text(a.get("text")),
            "image_url": loose_text(a.get("image_url")),
            "title_link": loose_text(a.get("title_link")),
            "raw": a,
        }
        for i, a in enumerate(items(doc, "attachments"))
        if type(a) is dict
    ]


def _files(mid: str, doc: dict[str, Any]) -> Rows:
    files = items(doc, "files")
    if not files and doc.get("file"):
        files = [obj(doc, "file")]  # servers before `files[]` carried a single `file`
    if not files:
        return NO_ITEMS
    return [
        {
            "message_id": mid,
            "position": i,
            "file_id": key_text(f.get("_id")),
            "name": loose_text(f.get("name")),
            "type": loose_text(f.get("type")),
            "size": f.get("size") if type(f.get("size")) is int else None,
        }
        for i, f in enumerate(files)
        if type(f) is dict
    ]


def _urls(mid: str, doc: dict[str, Any]) -> Rows:
    if not doc.get("urls"):
        return NO_ITEMS
    rows = []
    for i, u in enumerate(items(doc, "urls")):
        if type(u) is not dict:
            continue
        meta = u.get("meta")
        if type(meta) is not dict:
            meta = {}
        rows.append(
            {
                "message_id": mid,
                "position": i,
                "url": loose_text(u.get("url")),
                "title": loose_text(meta.get("pageTitle") or meta.get("ogTitle")),
                "description": loose_text(meta.get("description") or meta.get("ogDescription")),
            }
        )
    return rows


def _followers(mid: str, doc: dict[str, Any]) -> Rows:
    if not doc.get("replies"):
        return NO_ITEMS
    user_ids = dict.fromkeys(uid for uid in items(doc, "replies") if key_text(uid))
    return [{"message_id": mid, "user_id": uid} for uid in user_ids]
