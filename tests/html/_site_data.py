"""A workspace for the HTML site and search tests, written through the real normalise + load path:
rooms of every kind (odd ids included), a thread, a discussion, system messages, md tokens,
reactions, files, URLs, a pin, a star, an edit, a deletion and hostile texts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.export._data import T0, delete, message_doc, reactions, room_doc, save, user_doc

HOSTILE = '<script>alert(1)</script> and <img src=x onerror=alert(2)> "quoted" & more'
ODD = "../../evil/<b>"
KNOWN_WORD = "zanzibar"
PARENT = "m-parent"
REPLIES = ("m-reply1", "m-reply2")
DISCUSSION = "disc1"

RICH_MD: list[dict[str, Any]] = [
    {
        "type": "PARAGRAPH",
        "value": [
            {"type": "BOLD", "value": [{"type": "PLAIN_TEXT", "value": "bold"}]},
            {"type": "PLAIN_TEXT", "value": " and "},
            {"type": "ITALIC", "value": [{"type": "PLAIN_TEXT", "value": "italic"}]},
            {"type": "STRIKE", "value": [{"type": "PLAIN_TEXT", "value": "gone"}]},
            {"type": "INLINE_CODE", "value": {"type": "PLAIN_TEXT", "value": "x<y"}},
            {"type": "MENTION_USER", "value": {"type": "PLAIN_TEXT", "value": "user2"}},
            {"type": "MENTION_CHANNEL", "value": {"type": "PLAIN_TEXT", "value": "dev"}},
            {
                "type": "EMOJI",
                "value": {"type": "PLAIN_TEXT", "value": "smile"},
                "shortCode": "smile",
            },
            {
                "type": "LINK",
                "value": {
                    "src": {"type": "PLAIN_TEXT", "value": "https://example.org/a?b=1&c=2"},
                    "label": [{"type": "PLAIN_TEXT", "value": "docs"}],
                },
            },
        ],
    },
    {
        "type": "CODE",
        "language": "python",
        "value": [{"type": "CODE_LINE", "value": {"type": "PLAIN_TEXT", "value": "print('<hi>')"}}],
    },
    {
        "type": "QUOTE",
        "value": [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": "quoted"}]}],
    },
    {
        "type": "UNORDERED_LIST",
        "value": [{"type": "LIST_ITEM", "value": [{"type": "PLAIN_TEXT", "value": "first"}]}],
    },
    {
        "type": "ORDERED_LIST",
        "value": [
            {"type": "LIST_ITEM", "number": 1, "value": [{"type": "PLAIN_TEXT", "value": "one"}]}
        ],
    },
    {"type": "HEADING", "level": 2, "value": [{"type": "PLAIN_TEXT", "value": "Title"}]},
    {"type": "MYSTERY_TOKEN", "value": "<b>unknown</b>"},
]


def seed(engine: sa.Engine) -> None:
    save(engine, "users", [user_doc(f"{i}", ["user"]) for i in range(4)])
    parent_room = room_doc("GENERAL", "general")
    parent_room["topic"] = "all <things>"
    discussion = room_doc(DISCUSSION, "a discussion")
    discussion["prid"] = "GENERAL"
    rooms = [parent_room, room_doc("dev", "dev", "p"), room_doc(ODD, "odd"), discussion]
    rooms.append(room_doc("u1u2", "dm", "d", ["1", "2"]))
    save(engine, "rooms", rooms)
    docs = []
    for i in range(30):
        ts = T0 + timedelta(hours=i)
        docs.append(message_doc(f"g{i:02d}", "GENERAL", ts, f"general message number {i}"))
    docs.append(
        message_doc(PARENT, "GENERAL", T0 + timedelta(minutes=5), "thread parent", tcount=2)
    )
    for n, mid in enumerate(REPLIES):
        ts = T0 + timedelta(days=40 + n)  # the next month: shown under the parent all the same
        docs.append(message_doc(mid, "GENERAL", ts, f"reply {n} {KNOWN_WORD}", tmid=PARENT))
    docs.append(message_doc("m-hostile", "GENERAL", T0 + timedelta(minutes=7), HOSTILE, md=None))
    docs.append(message_doc("m-rich", "GENERAL", T0 + timedelta(minutes=8), "rich", md=RICH_MD))
    docs.append(
        message_doc(
            "m-extras",
            "GENERAL",
            T0 + timedelta(minutes=9),
            "with extras https://example.org/x",
            reactions=reactions("user1", "user3"),
            pinned=True,
            starred=[{"_id": "1"}],
            editedAt="2024-11-21T10:00:00.000Z",
            editedBy={"_id": "2", "username": "user2"},
            files=[{"_id": "f1", "name": "report.pdf", "type": "application/pdf", "size": 2048}],
            attachments=[{"title": "report.pdf", "type": "file", "description": "Q3 numbers"}],
            urls=[{"url": "https://example.org/x", "meta": {"pageTitle": "X page"}}],
        )
    )
    docs.append(
        message_doc(
            "m-disc",
            "GENERAL",
            T0 + timedelta(minutes=10),
            "a discussion",
            t="discussion-created",
            drid=DISCUSSION,
            dcount=1,
        )
    )
    docs.append(message_doc("m-joined", "GENERAL", T0 + timedelta(minutes=11), "user1", t="uj"))
    docs.append(message_doc("m-gone", "GENERAL", T0 + timedelta(minutes=12), "secret text"))
    docs.append(message_doc("d1", DISCUSSION, T0 + timedelta(minutes=13), "inside the discussion"))
    docs.append(message_doc("o1", ODD, T0 + timedelta(minutes=14), "odd room message"))
    docs.append(message_doc("p1", "dev", T0 + timedelta(minutes=15), f"private {KNOWN_WORD}"))
    save(engine, "messages", docs)
    delete(engine, "messages", ["m-gone"], "redact")
