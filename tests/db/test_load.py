"""Upserts, change markers, deletion policies and quarantine on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text

import etl.load.records
from etl.load import (
    mark_deleted,
    next_change_seq,
    replace_room_members,
    save_quarantine,
    set_room_readable,
)
from etl.normalise import NormaliseError, normalise
from etl.schema import CHILD_TABLES, metadata
from etl.schema.types import unescape_text
from tests.db import samples
from tests.db.helpers import fetch, save

MESSAGE_CHILDREN = [t for t, (parent, _c) in CHILD_TABLES.items() if parent == "messages"]


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
            for name in ["messages", *MESSAGE_CHILDREN, "tombstones"]
        }


def test_upsert_is_idempotent(db_engine: Engine) -> None:
    docs = [samples.message(), samples.thread_parent(), samples.reply("r1")]
    first = save(db_engine, "messages", docs)
    before = counts(db_engine)
    second = save(db_engine, "messages", docs)
    assert second == first + 1
    assert counts(db_engine) == before
    # Identical rows are not written again: they and their children keep their change marker,
    # so an incremental export does not carry them again (issue 15).
    assert {r["change_seq"] for r in fetch(db_engine, "messages")} == {first}
    assert {r["change_seq"] for r in fetch(db_engine, "message_reactions")} == {first}
    third = save(db_engine, "messages", [samples.message(msg="changed"), *docs[1:]])
    changed = {r["id"]: r["change_seq"] for r in fetch(db_engine, "messages")}
    assert sorted(changed.values()) == sorted([third, first, first])


def test_update_replaces_children_and_keeps_bookkeeping(db_engine: Engine) -> None:
    save(db_engine, "rooms", [samples.room()])
    with db_engine.begin() as conn:
        set_room_readable(conn, "GENERAL", False, "403 from channels.messages", 99)
    save(db_engine, "messages", [samples.message()])
    edited = samples.message(msg="edited", reactions={":tada:": {"usernames": ["bob"]}}, urls=[])
    save(db_engine, "messages", [edited])
    assert fetch(db_engine, "messages")[0]["msg"] == "edited"
    assert [(r["emoji"], r["username"]) for r in fetch(db_engine, "message_reactions")] == [
        (":tada:", "bob")
    ]
    assert fetch(db_engine, "message_urls") == []
    save(db_engine, "rooms", [samples.room(topic="new topic")])
    room = fetch(db_engine, "rooms")[0]
    assert (room["topic"], room["readable"]) == ("new topic", False)
    assert room["unreadable_reason"] == "403 from channels.messages"


def test_batches_and_duplicates(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(etl.load.records, "BATCH_SIZE", 3)
    docs = [samples.message(f"m{i}", msg=f"v1 {i}") for i in range(10)]
    docs.append(samples.message("m4", msg="v2 4"))  # the later copy wins
    save(db_engine, "messages", docs)
    rows = {r["id"]: r["msg"] for r in fetch(db_engine, "messages")}
    assert len(rows) == 10 and rows["m4"] == "v2 4"
    assert counts(db_engine)["message_reactions"] == 30


def test_change_seq_is_monotonic_per_transaction(db_engine: Engine) -> None:
    seen = []
    for _ in range(3):
        with db_engine.begin() as conn:
            seen.append(next_change_seq(conn))
    with pytest.raises(RuntimeError), db_engine.begin() as conn:
        next_change_seq(conn)
        raise RuntimeError("rolled back")
    with db_engine.begin() as conn:
        seen.append(next_change_seq(conn))
    assert seen == [1, 2, 3, 4]


def test_reseen_rows_are_undeleted(db_engine: Engine) -> None:
    save(db_engine, "messages", [samples.message()])
    with db_engine.begin() as conn:
        mark_deleted(conn, "messages", [("m1", None)], "keep", next_change_seq(conn))
    assert fetch(db_engine, "messages")[0]["deleted_at"] is not None
    save(db_engine, "messages", [samples.message()])
    assert fetch(db_engine, "messages")[0]["deleted_at"] is None


def test_room_members_listing_replaces_the_room(db_engine: Engine) -> None:
    def members(*names: str) -> list:
        return [normalise("room_members", {"_id": n, "username": n, "rid": "R"}) for n in names]

    save(db_engine, "rooms", [samples.room("R")])
    with db_engine.begin() as conn:
        replace_room_members(conn, "R", members("a", "b", "c"), next_change_seq(conn))
    with db_engine.begin() as conn:
        seq = next_change_seq(conn)
        replace_room_members(conn, "R", members("b", "d"), seq)
    assert sorted(m["user_id"] for m in fetch(db_engine, "room_members")) == ["b", "d"]
    assert fetch(db_engine, "rooms")[0]["change_seq"] == seq  # the feed sees "a", "c" left


DELETED_AT = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)


def delete(engine: Engine, ids: list[str], policy: str) -> int:
    with engine.begin() as conn:
        seq = next_change_seq(conn)
        mark_deleted(conn, "messages", [(i, DELETED_AT) for i in ids], policy, seq)  # type: ignore[arg-type]
    return seq


def test_keep_marks_and_keeps_content(db_engine: Engine) -> None:
    save(db_engine, "messages", [samples.message()])
    before = counts(db_engine)
    seq = delete(db_engine, ["m1", "never-synced"], "keep")
    row = fetch(db_engine, "messages")[0]
    assert (row["deleted_at"], row["change_seq"]) == (DELETED_AT, seq)
    assert row["msg"] == samples.message()["msg"] and row["raw"] == samples.message()
    assert counts(db_engine) == {**before, "tombstones": 1}
    assert fetch(db_engine, "tombstones")[0]["id"] == "never-synced"


def test_redact_blanks_content_keeps_shape(db_engine: Engine) -> None:
    save(db_engine, "messages", [samples.message(), samples.thread_parent()])
    delete(db_engine, ["m1", "p1"], "redact")
    rows = {r["id"]: r for r in fetch(db_engine, "messages")}
    m1 = rows["m1"]
    assert m1["deleted_at"] == DELETED_AT and m1["msg"] is None
    assert m1["raw"]["msg"] == "" and "attachments" not in m1["raw"] and "md" not in m1["raw"]
    assert (m1["rid"], m1["u_id"], m1["raw"]["ts"]) == ("GENERAL", "u1", "2024-03-01T10:00:00.123Z")
    left = counts(db_engine)
    assert all(left[t] == 0 for t in MESSAGE_CHILDREN if t != "thread_followers")
    assert left["thread_followers"] == 2 and rows["p1"]["tcount"] == 2


def test_purge_removes_rows_and_children_and_leaves_tombstones(db_engine: Engine) -> None:
    save(db_engine, "messages", [samples.message(), samples.message("m2")])
    seq = delete(db_engine, ["m1", "ghost"], "purge")
    assert [r["id"] for r in fetch(db_engine, "messages")] == ["m2"]
    assert {r["message_id"] for r in fetch(db_engine, "message_reactions")} == {"m2"}
    tombstones = {(t["table_name"], t["id"]): t for t in fetch(db_engine, "tombstones")}
    assert set(tombstones) == {("messages", "m1"), ("messages", "ghost")}
    assert tombstones[("messages", "m1")]["deleted_at"] == DELETED_AT
    assert tombstones[("messages", "m1")]["change_seq"] == seq


def test_deleted_ids_with_nul_become_tombstones(db_engine: Engine) -> None:
    delete(db_engine, ["odd\x00id"], "keep")
    stored = fetch(db_engine, "tombstones")[0]["id"]
    assert unescape_text(stored) == "odd\x00id"  # escaped on PostgreSQL, verbatim on SQLite


def test_deletion_arguments_are_checked(db_engine: Engine) -> None:
    with db_engine.begin() as conn, pytest.raises(ValueError, match="policy"):
        mark_deleted(conn, "messages", [("m1", None)], "shred", 1)  # type: ignore[arg-type]
    with db_engine.begin() as conn, pytest.raises(ValueError, match="not a synced table"):
        mark_deleted(conn, "message_reactions", [("m1", None)], "keep", 1)


def test_quarantine_keeps_bad_records_verbatim(db_engine: Engine) -> None:
    bad = [{"_id": "m9", "rid": "R", "ts": "not a date"}, {"_id": "m\x00x", "rid": "R"}]
    with db_engine.begin() as conn:
        for doc in bad:
            with pytest.raises(NormaliseError) as err:
                normalise("messages", doc)
            save_quarantine(conn, "messages", doc, err.value.reason, run_id=7)
        save_quarantine(conn, "messages", '{"_id": "trunc\x00', "malformed JSON", None)
    rows = sorted(fetch(db_engine, "quarantine"), key=lambda r: r["id"])
    assert [r["record_id"] for r in rows] == ["m9", "m\x00x", None]
    assert "'ts'" in rows[0]["reason"] and rows[0]["run_id"] == 7
    assert rows[2]["raw"] == '{"_id": "trunc\x00'
    assert rows[0]["seen_at"].tzinfo == UTC
    with db_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM messages")).scalar_one() == 0


def test_large_batches_take_the_bulk_path_and_stay_idempotent(db_engine: Engine) -> None:
    # 1200 rows crosses COPY_MIN_ROWS, so PostgreSQL goes through COPY + staging table.
    docs = [samples.message(f"b{i:04d}", msg=f"bulk {i}") for i in range(1200)]
    docs[7] = samples.message("b0007", msg="nul\x00inside", customFields={"k": "v\x00"})
    save(db_engine, "messages", docs)
    before = counts(db_engine)
    assert before["messages"] == 1200 and before["message_reactions"] == 3600
    docs[8] = samples.message("b0008", msg="edited", reactions={})
    save(db_engine, "messages", docs)
    after = counts(db_engine)
    assert after["messages"] == 1200 and after["message_reactions"] == 3597
    rows = {r["id"]: r for r in fetch(db_engine, "messages")}
    assert rows["b0007"]["raw"] == docs[7] and rows["b0007"]["msg"] == "nul\x00inside"
    assert rows["b0008"]["msg"] == "edited"


def test_dm_members_replace_a_listing_written_before_the_room(db_engine: Engine) -> None:
    member = normalise("room_members", {"_id": "stale", "username": "gone", "rid": "u1u2"})
    with db_engine.begin() as conn:
        replace_room_members(conn, "u1u2", [member], next_change_seq(conn))
    save(db_engine, "rooms", [samples.dm_room("u1u2")])
    assert sorted(m["user_id"] for m in fetch(db_engine, "room_members")) == ["u1", "u2"]
