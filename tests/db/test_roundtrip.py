"""Normalised documents go in and come back unchanged, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select, text

from etl.schema import metadata
from etl.schema.types import MARK
from tests.db import samples
from tests.db.helpers import fetch, save


def test_every_resource_round_trips(db_engine: Engine) -> None:
    docs = {
        **{k: [v] for k, v in samples.SMALL_DOCS.items()},
        "messages": [samples.message(), samples.thread_parent()],
        "rooms": [samples.room(), samples.dm_room()],
        "users": [samples.user()],
    }
    for resource, batch in docs.items():
        seq = save(db_engine, resource, batch)
        rows = {r["id"]: r for r in fetch(db_engine, resource)}
        for doc in batch:
            row = rows[doc["_id"]]
            assert row["raw"] == doc, resource
            assert row["change_seq"] == seq and row["deleted_at"] is None
            if "_updatedAt" not in doc:  # projected out (livechat agents, inquiries)
                assert row["updated_at"] is None
                continue
            assert row["updated_at"] == datetime.fromisoformat(doc["_updatedAt"])
            assert row["updated_at"].tzinfo == UTC
    setting = fetch(db_engine, "settings")[0]
    assert setting["value"] == 100 and setting["public"] is True


def test_children_and_threads_view(db_engine: Engine) -> None:
    save(db_engine, "messages", [samples.message(), samples.thread_parent(), samples.reply("r1")])
    save(db_engine, "rooms", [samples.dm_room()])
    save(db_engine, "users", [samples.user()])
    assert len(fetch(db_engine, "message_reactions", message_id="m1")) == 3
    assert len(fetch(db_engine, "message_mentions", message_id="m1")) == 2
    assert fetch(db_engine, "message_files", message_id="m1")[0]["size"] == 1234
    assert fetch(db_engine, "message_attachments", message_id="m1")[0]["raw"]["title"] == (
        "report.pdf"
    )
    assert {f["user_id"] for f in fetch(db_engine, "thread_followers", message_id="p1")} == {
        "u1",
        "u2",
    }
    assert {m["username"] for m in fetch(db_engine, "room_members", room_id="u1u2")} == {
        "bob",
        "alice",
    }
    assert fetch(db_engine, "user_emails")[0]["address"] == "bob@example.org"
    with db_engine.connect() as conn:
        threads = conn.execute(text("SELECT id, tcount FROM threads")).all()
        replies = conn.execute(text("SELECT id FROM messages WHERE tmid = 'p1'")).all()
    assert [tuple(t) for t in threads] == [("p1", 2)]
    assert [r[0] for r in replies] == ["r1"]


def test_nul_unicode_and_huge_text_survive(db_engine: Engine) -> None:
    huge = "🎉 مرحبا " * 9000  # ~100 KB of non-ASCII text
    tricky = {
        "nul": "before\x00after %00 100%",
        "marker": MARK + "starts with the escape marker",
        "huge": huge,
        "astral": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b zero-width, ✓, 日本語",
    }
    docs = [
        samples.message(name, msg=value, attachments=[{"title": value, "text": "a\x00b"}])
        for name, value in tricky.items()
    ]
    docs[0]["customFields"] = {"key\x00with nul": ["x\x00", 1, None, True]}
    save(db_engine, "messages", docs)
    rows = {r["id"]: r for r in fetch(db_engine, "messages")}
    for doc in docs:
        assert rows[doc["_id"]]["msg"] == doc["msg"]
        assert rows[doc["_id"]]["raw"] == doc
    attachment = fetch(db_engine, "message_attachments", message_id="nul")[0]
    assert attachment["title"] == tricky["nul"] and attachment["raw"]["text"] == "a\x00b"
    with db_engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT id, msg FROM messages")).all())
    if db_engine.dialect.name == "postgresql":
        # Documented escape: marker + percent-escaped NUL and %, only where needed.
        assert stored["nul"] == MARK + "before%00after %2500 100%25"
        assert stored["astral"] == tricky["astral"]
    else:
        assert stored == tricky


def test_timestamps_are_aware_utc_whatever_the_input_offset(db_engine: Engine) -> None:
    doc = samples.message(ts="2024-03-01T12:00:00.500+02:00", editedAt={"$date": 1709287200000})
    save(db_engine, "messages", [doc])
    row = fetch(db_engine, "messages")[0]
    assert row["ts"] == datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert row["ts"].utcoffset().total_seconds() == 0
    assert row["edited_at"] == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    with db_engine.connect() as conn:
        t = metadata.tables["messages"]
        later = conn.execute(
            select(t.c.id).where(t.c.ts > datetime(2024, 3, 1, 9, 59, 59, tzinfo=UTC))
        ).all()
    assert len(later) == 1
