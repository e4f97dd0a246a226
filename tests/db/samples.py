"""Server documents shaped like Rocket.Chat's REST output (ISO dates with ms and Z)."""

from __future__ import annotations

from typing import Any

from tests.db.samples_omnichannel import OMNICHANNEL_DOCS

Doc = dict[str, Any]


def message(mid: str = "m1", rid: str = "GENERAL", **extra: Any) -> Doc:
    doc: Doc = {
        "_id": mid,
        "rid": rid,
        "msg": "hello @alice see https://example.org",
        "ts": "2024-03-01T10:00:00.123Z",
        "u": {"_id": "u1", "username": "bob", "name": "Bob B"},
        "_updatedAt": "2024-03-01T10:05:00.456Z",
        "mentions": [{"_id": "u2", "username": "alice", "name": "Alice", "type": "user"}],
        "channels": [{"_id": "GENERAL", "name": "general"}],
        "reactions": {
            ":+1:": {"usernames": ["alice", "carol"], "names": ["Alice", "Carol"]},
            ":tada:": {"usernames": ["bob"]},
        },
        "attachments": [
            {"title": "report.pdf", "type": "file", "title_link": "/file-upload/f1/report.pdf"}
        ],
        "files": [{"_id": "f1", "name": "report.pdf", "type": "application/pdf", "size": 1234}],
        "urls": [{"url": "https://example.org", "meta": {"pageTitle": "Example"}}],
        "md": [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": "hello"}]}],
        "groupable": False,
    }
    doc.update(extra)
    return doc


def thread_parent(mid: str = "p1", rid: str = "GENERAL") -> Doc:
    return message(
        mid,
        rid,
        tcount=2,
        tlm="2024-03-01T11:00:00.000Z",
        replies=["u1", "u2", "u2"],
        reactions={},
        attachments=[],
        files=[],
        urls=[],
    )


def reply(mid: str, tmid: str = "p1", rid: str = "GENERAL") -> Doc:
    return message(mid, rid, tmid=tmid, msg=f"reply {mid}", reactions={}, mentions=[])


def room(rid: str = "GENERAL", **extra: Any) -> Doc:
    doc: Doc = {
        "_id": rid,
        "t": "c",
        "name": "general",
        "fname": "general",
        "u": {"_id": "u1", "username": "bob"},
        "topic": "all things",
        "ts": "2020-01-01T00:00:00.000Z",
        "lm": "2024-03-01T10:00:00.123Z",
        "msgs": 42,
        "usersCount": 3,
        "default": True,
        "ro": False,
        "lastMessage": {"_id": "m1", "msg": "hello"},
        "_updatedAt": "2024-03-01T10:00:00.200Z",
    }
    doc.update(extra)
    return doc


def dm_room(rid: str = "u1u2") -> Doc:
    return {
        "_id": rid,
        "t": "d",
        "uids": ["u1", "u2"],
        "usernames": ["bob", "alice"],
        "msgs": 1,
        "usersCount": 2,
        "_updatedAt": "2024-03-01T10:00:00.000Z",
    }


def user(uid: str = "u1", **extra: Any) -> Doc:
    doc: Doc = {
        "_id": uid,
        "username": "bob",
        "name": "Bob B",
        "type": "user",
        "active": True,
        "status": "online",
        "roles": ["user", "admin"],
        "emails": [{"address": "bob@example.org", "verified": True}],
        "createdAt": "2019-01-01T00:00:00.000Z",
        "lastLogin": "2024-03-01T09:00:00.000Z",
        "utcOffset": 2,
        "_updatedAt": "2024-03-01T09:00:00.001Z",
    }
    doc.update(extra)
    return doc


SMALL_DOCS: dict[str, Doc] = {
    "roles": {"_id": "admin", "name": "admin", "scope": "Users", "protected": True,
              "_updatedAt": "2024-01-01T00:00:00.000Z"},
    "permissions": {"_id": "view-c-room", "roles": ["admin", "user", "bot"],
                    "_updatedAt": "2024-01-01T00:00:00.000Z"},
    "subscriptions": {"_id": "s1", "rid": "GENERAL", "t": "c", "name": "general",
                      "u": {"_id": "u1", "username": "bob"}, "open": True, "unread": 3,
                      "userMentions": 1, "groupMentions": 0, "ts": "2020-01-01T00:00:00.000Z",
                      "_updatedAt": "2024-01-01T00:00:00.000Z"},
    "custom_emoji": {"_id": "e1", "name": "party", "aliases": ["fiesta", "tada2"],
                     "extension": "png", "_updatedAt": "2024-01-01T00:00:00.000Z"},
    "custom_sounds": {"_id": "snd1", "name": "ding", "extension": "mp3",
                      "_updatedAt": "2019-12-03T14:30:02.315Z"},
    "teams": {"_id": "team1", "name": "core", "type": 0, "roomId": "R1",
              "createdBy": {"_id": "u1", "username": "bob"},
              "createdAt": "2021-01-01T00:00:00.000Z",
              "_updatedAt": "2024-01-01T00:00:00.000Z"},
    "settings": {"_id": "API_Upper_Count_Limit", "value": 100, "type": "int", "public": True,
                 "_updatedAt": "2024-01-01T00:00:00.000Z"},
    "custom_user_statuses": {"_id": "st1", "name": "status 1", "statusType": "busy",
                             "_updatedAt": "2019-12-09T20:26:06.477Z"},
    "integrations": {"_id": "i1", "type": "webhook-outgoing", "enabled": True, "name": "Guggy",
                     "token": "[redacted]", "script": "[redacted]", "scriptEnabled": True,
                     "_createdBy": {"_id": "u1", "username": "bob"},
                     "_createdAt": "2017-01-05T17:06:05.660Z",
                     "_updatedAt": "2017-01-05T17:06:05.660Z"},
    "integration_history": {"_id": "h1", "type": "outgoing-webhook", "step": "finished",
                            "integration": {"_id": "i1"}, "event": "sendMessage",
                            "data": {"token": "[redacted]"}, "finished": True,
                            "_createdAt": "2017-01-05T17:06:05.660Z",
                            "_updatedAt": "2017-01-05T17:06:05.660Z"},
    # api-reference.md §3.14 (channels.files), without its `token` (never stored)
    "uploads": {"_id": "S78TNnvaWGwdYRaCD", "name": "images.jpeg", "size": 9778,
                "type": "image/jpeg", "rid": "GENERAL", "description": "",
                "store": "GridFS:Uploads", "complete": True, "uploading": False,
                "extension": "jpeg", "progress": 1,
                "user": {"_id": "ksKsKmrjvxzkzxkw", "username": "rocket.cat", "name": "Rocket Cat"},
                "_updatedAt": "2018-03-08T14:47:37.003Z", "instanceId": "uZG54xuoKauKHykbQ",
                "etag": "jPavis9qG22xC5sDC",
                "path": "/ufs/GridFS:Uploads/S78TNnvaWGwdYRaCD/images.jpeg",
                "uploadedAt": "2018-03-08T14:47:37.295Z",
                "url": "/ufs/GridFS:Uploads/S78TNnvaWGwdYRaCD/images.jpeg"},
    **OMNICHANNEL_DOCS,
}  # fmt: skip
