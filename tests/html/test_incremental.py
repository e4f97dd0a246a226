"""Incremental HTML exports equal a full export of the same database, page for page and byte for
byte, after edits, new messages and replies, deletions, a purge and a redaction under a legal hold;
search index included; and only the changed room-months' search shards are written again."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from etl.export.html import HtmlResult, export_html
from etl.export.html.fragments import SIDECAR
from etl.export.html.layout import page_path
from etl.export.html.search_index import ROUTER, shard_path
from etl.export.verify import verify_archive
from etl.load import next_change_seq
from etl.load.history_deletes import apply_deletions
from etl.load.holds import active_holds, add_hold
from tests.export._data import T0, delete, message_doc, reactions, save
from tests.html._site_data import KNOWN_WORD, PARENT, REPLIES, seed


def pages(out: Path) -> dict[str, bytes]:
    """Every page and search index file of the site; index.html without its run date."""
    found = {}
    for path in sorted([*out.rglob("*.html"), *out.glob("search/**/*.json")]):
        relative = path.relative_to(out).as_posix()
        data = path.read_bytes()
        if relative == "index.html":
            data = data.split(b"<footer>")[0]
        found[relative] = data
    return found


def _delete(engine: sa.Engine, ids: list[str], policy: str) -> None:
    with engine.begin() as conn:
        holds = active_holds(conn)
        items = [(i, T0 + timedelta(days=31)) for i in ids]
        when = datetime(2024, 12, 22, tzinfo=UTC)
        apply_deletions(conn, "messages", items, policy, next_change_seq(conn), holds, when)  # type: ignore[arg-type]


def change_everything(engine: sa.Engine, out: Path) -> HtmlResult:
    """Edits, new messages (one in a new month), a new reply, then deletions in a second run;
    returns the first run's result."""
    later = T0 + timedelta(days=3)
    save(
        engine,
        "messages",
        [
            message_doc("g05", "GENERAL", T0 + timedelta(hours=5), "general message edited"),
            message_doc("n1", "GENERAL", later, "a new message"),
            message_doc("n2", "dev", T0 + timedelta(days=90), "a new month in dev"),
            message_doc("n3", "GENERAL", later, "a third reply", tmid=PARENT),
            message_doc(
                REPLIES[1], "GENERAL", T0 + timedelta(days=41), "reply 1 edited", tmid=PARENT
            ),
        ],
    )
    first = export_html(engine, str(out))
    with engine.begin() as conn:
        add_hold(conn, "room", "GENERAL", target_name="general", created_by="test")
    _delete(engine, ["g07"], "redact")  # held: kept, shown as deleted with its text
    _delete(engine, ["p1"], "redact")  # not held: redacted
    delete(engine, "messages", ["o1"], "purge")  # its room's only month disappears
    _delete(engine, ["g09"], "keep")
    return first


def test_incremental_export_equals_a_full_export(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed(db_engine)
    inc = tmp_path / "incremental"
    export_html(db_engine, str(inc))
    first = change_everything(db_engine, inc)
    assert first.rooms_placed_from_sidecar > 0  # pages placed without reading their months
    result = export_html(db_engine, str(inc))
    assert not result.full and result.months_rewritten > 0
    assert result.rooms_spliced > 0  # deletions leave messages where they were: pages patched
    full = tmp_path / "full"
    export_html(db_engine, str(full))
    assert pages(inc) == pages(full)
    general = (inc / page_path("GENERAL", "2024-11", 1)).read_text()
    assert "general message edited" in general and "a third reply" in general
    assert "message deleted" in general
    assert verify_archive(str(inc)) == [] and verify_archive(str(full)) == []


def test_a_lost_sidecar_only_costs_rendering(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out), search=False)
    before = pages(out)
    (out / SIDECAR).write_bytes(b"not a database")
    save(db_engine, "messages", [message_doc("n1", "dev", T0, "after the loss")])
    export_html(db_engine, str(out), search=False)
    after = pages(out)
    assert "after the loss" in after[page_path("dev", "2024-11", 1)].decode()
    assert {k: v for k, v in after.items() if "rid=dev" not in k and k != "index.html"} == {
        k: v for k, v in before.items() if "rid=dev" not in k and k != "index.html"
    }


def test_unchanged_pages_are_not_written_again(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out), search=False)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.html") if p.name != "index.html"}
    export_html(db_engine, str(out), search=False)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_search_shards_follow_their_months(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out))
    shards = {p: p.stat().st_mtime_ns for p in (out / "search").rglob("*.json")}
    edited = message_doc(
        REPLIES[0], "GENERAL", T0 + timedelta(days=40), "reply 0 kilimanjaro", tmid=PARENT
    )
    save(db_engine, "messages", [edited])
    delete(db_engine, "messages", ["o1"], "purge")
    result = export_html(db_engine, str(out))
    assert result.search_shards_written == result.months_rewritten
    rewritten = {p for p, t in shards.items() if not p.is_file() or p.stat().st_mtime_ns != t}
    router = json.loads((out / ROUTER).read_text())
    found = [router["shards"][i][0] for i in router["terms"]["kilimanjaro"]]
    assert found == [shard_path("GENERAL", "2024-11")]  # the reply shows under its parent
    assert out / found[0] in rewritten and len(rewritten) < len(shards)
    general = json.loads((out / found[0]).read_text())
    reply = next(d for d in general["docs"] if d[0] == REPLIES[0])
    assert reply[4] == "reply 0 kilimanjaro" and general["pages"][reply[1]].endswith("2024-11.html")
    shown = [
        d[0] for p in out.glob("search/rid=*/*.json") for d in json.loads(p.read_text())["docs"]
    ]
    assert "o1" not in shown and REPLIES[0] in shown
    assert verify_archive(str(out)) == []
    assert KNOWN_WORD not in edited["msg"]


def test_a_lost_router_is_made_again_from_the_shards(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out))
    before = json.loads((out / ROUTER).read_text())
    (out / ROUTER).unlink()  # as a run killed between its shards and its router could leave it
    save(db_engine, "messages", [message_doc("n1", "dev", T0, "after the loss")])
    result = export_html(db_engine, str(out))
    assert not result.full and result.search_shards_written == 1
    after = json.loads((out / ROUTER).read_text())
    assert after["shards"] == before["shards"] and "loss" in after["terms"]
    assert {t: v for t, v in after["terms"].items() if t not in ("after", "the", "loss")} == {
        t: v for t, v in before["terms"].items() if t not in ("after", "the", "loss")
    }


def test_the_sidecar_rewrites_only_changed_messages(db_engine: sa.Engine, tmp_path: Path) -> None:
    """A month rendered again keeps its unchanged messages' sidecar rows (SQLite gives a
    replaced row a new rowid): positions count within a month, not within the run's months."""
    seed(db_engine)
    later = T0 + timedelta(days=60)  # a month after the room's first ones
    docs = [
        message_doc(f"j{i}", "GENERAL", later + timedelta(hours=i), f"january {i}") for i in (1, 2)
    ]
    save(db_engine, "messages", docs)
    out = tmp_path / "site"
    export_html(db_engine, str(out))

    def rowids() -> dict[str, int]:
        with sqlite3.connect(out / SIDECAR) as db:
            return dict(db.execute("SELECT id, rowid FROM fragments WHERE id LIKE 'j%'").fetchall())

    before = rowids()
    # Moved by an hour (still after j1): placed again, so the month is rendered, not patched.
    save(
        db_engine, "messages", [message_doc("j2", "GENERAL", later + timedelta(hours=3), "edited")]
    )
    result = export_html(db_engine, str(out))
    assert (result.months_rewritten, result.rooms_spliced) == (1, 0)
    after = rowids()
    assert after["j1"] == before["j1"] and after["j2"] != before["j2"]


def test_edits_in_place_patch_the_pages_as_a_full_export_writes_them(
    db_engine: sa.Engine, tmp_path: Path
) -> None:
    """Edits that leave every message where it was (a thread parent, a reply shown in its
    parent's month, a word dropped, an author renamed, reactions added) swap the messages' heads
    into the previous pages and shards: the same bytes as a full export, router included, and
    search finds the new words and no longer the dropped one."""
    seed(db_engine)
    inc = tmp_path / "incremental"
    export_html(db_engine, str(inc))
    renamed = message_doc("g03", "GENERAL", T0 + timedelta(hours=3), "general number 3 quixotic")
    renamed["u"] = {"_id": "u2", "username": "user2", "name": "User 2"}
    edits = [
        message_doc(PARENT, "GENERAL", T0 + timedelta(minutes=5), "parent kilimanjaro", tcount=2),
        message_doc(REPLIES[1], "GENERAL", T0 + timedelta(days=41), "reply 1 only", tmid=PARENT),
        message_doc("g04", "GENERAL", T0 + timedelta(hours=4), "g4", reactions=reactions("user2")),
        renamed,
    ]
    save(db_engine, "messages", edits)
    result = export_html(db_engine, str(inc))
    assert (result.rooms_spliced, result.months_rewritten) == (1, 1)
    full = tmp_path / "full"
    export_html(db_engine, str(full))
    assert pages(inc) == pages(full)
    router = json.loads((inc / ROUTER).read_text())
    general = [shard_path("GENERAL", "2024-11")]
    for word in ("kilimanjaro", "quixotic", "only", "g4"):
        assert [router["shards"][i][0] for i in router["terms"][word]] == general
    assert KNOWN_WORD in router["terms"]  # the other reply still has it
    assert verify_archive(str(inc)) == []
    # A page changed behind the export's back is not patched: its room is rendered again.
    target = inc / page_path("GENERAL", "2024-11", 1)
    target.write_text(target.read_text().replace("general message number 7", "tampered"))
    save(db_engine, "messages", [message_doc("g05", "GENERAL", T0 + timedelta(hours=5), "again")])
    again = export_html(db_engine, str(inc))
    assert again.rooms_spliced == 0 and "general message number 7" in target.read_text()
    export_html(db_engine, str(full))
    assert pages(inc) == pages(full)


def test_a_word_only_an_edited_message_held_leaves_the_router(
    db_engine: sa.Engine, tmp_path: Path
) -> None:
    seed(db_engine)
    out = tmp_path / "site"
    save(db_engine, "messages", [message_doc("g01", "GENERAL", T0 + timedelta(hours=1), "xylo")])
    export_html(db_engine, str(out))
    assert "xylo" in json.loads((out / ROUTER).read_text())["terms"]
    save(db_engine, "messages", [message_doc("g01", "GENERAL", T0 + timedelta(hours=1), "plain")])
    assert export_html(db_engine, str(out)).rooms_spliced == 1
    assert "xylo" not in json.loads((out / ROUTER).read_text())["terms"]
    full = tmp_path / "full"
    export_html(db_engine, str(full))
    assert pages(out) == pages(full)


def test_a_new_title_renders_every_page_again(db_engine: sa.Engine, tmp_path: Path) -> None:
    """The title is on every page: a run with another one builds on nothing (an edit patched
    into an old page would keep the old title)."""
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out), title="Old title")
    save(db_engine, "messages", [message_doc("g02", "GENERAL", T0 + timedelta(hours=2), "new")])
    assert export_html(db_engine, str(out), title="New title").full
    full = tmp_path / "full"
    export_html(db_engine, str(full), title="New title")
    assert pages(out) == pages(full)
    assert "Old title" not in (out / page_path("dev", "2024-11", 1)).read_text()
