"""What a re-export carries forward from the previous run instead of reading or rendering it
again: the room-months' signatures (only the months of changed rows are read) and the room index
pages whose content did not change, and the users page's counts (from the messages placed).
Each shortcut gives what a full read or render gives."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from etl.export.filters import ExportFilters
from etl.export.html import export_html, navigation, queries, signatures
from etl.export.html.fragments import SIDECAR
from etl.export.html.layout import room_index_path
from etl.export.html.manifest import read_manifest
from tests.export._data import T0, delete, message_doc, save
from tests.html._site_data import seed
from tests.html.test_incremental import pages

DAY = timedelta(days=1)


def _carried(
    engine: sa.Engine, out: Path, filters: ExportFilters, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[Any, Any], dict[Any, Any], int]:
    """The signatures carried from `out`'s manifest, those of a full read, and how many full
    reads carrying them took."""
    reads: list[int] = []
    whole = queries.month_signatures

    def counted(conn: sa.Connection, found: ExportFilters) -> dict[Any, Any]:
        reads.append(1)
        return whole(conn, found)

    with engine.connect() as conn:
        expected = whole(conn, filters)
        monkeypatch.setattr(queries, "month_signatures", counted)
        carried = signatures.month_signatures(conn, filters, read_manifest(out))
        monkeypatch.setattr(queries, "month_signatures", whole)
    return carried, expected, len(reads)


@pytest.mark.parametrize("rooms", [(), ("GENERAL", "dev")])
def test_signatures_read_only_the_months_of_changed_rows(
    db_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rooms: tuple[str, ...]
) -> None:
    seed(db_engine)
    filters = ExportFilters(rooms=rooms)
    out = tmp_path / "site"
    export_html(db_engine, str(out), filters)
    edits = [
        message_doc("g05", "GENERAL", T0 + timedelta(hours=5), "general message edited"),
        message_doc("n1", "GENERAL", T0 + 3 * DAY, "a new message"),
        message_doc("n2", "dev", T0 + 90 * DAY, "a new month in dev"),
        message_doc("n3", "u1u2", T0 + 2 * DAY, "outside the room filter when there is one"),
    ]
    save(db_engine, "messages", edits)
    carried, expected, reads = _carried(db_engine, out, filters, monkeypatch)
    assert (carried, reads) == (expected, 0)
    assert ("dev", (T0 + 90 * DAY).strftime("%Y-%m")) in carried
    export_html(db_engine, str(out), filters)
    full = tmp_path / "full"
    export_html(db_engine, str(full), filters)
    assert pages(out) == pages(full)


@pytest.mark.parametrize("change", ["purge", "move"])
def test_a_month_that_only_lost_messages_is_read_whole(
    db_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """A purged message, or one moved to another month, leaves a month without a changed row:
    the counts no longer add up to the database's, and every month is read again."""
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out))
    if change == "purge":
        delete(db_engine, "messages", ["o1"], "purge")
    else:
        save(db_engine, "messages", [message_doc("g07", "GENERAL", T0 + 60 * DAY, "moved")])
    carried, expected, reads = _carried(db_engine, out, ExportFilters(), monkeypatch)
    assert (carried, reads) == (expected, 1)
    export_html(db_engine, str(out))
    full = tmp_path / "full"
    export_html(db_engine, str(full))
    assert pages(out) == pages(full)


def test_room_indexes_are_rendered_only_when_what_they_show_changed(
    db_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out))
    rendered: list[str] = []
    linked = navigation.with_links

    def counted(room: dict[str, Any], root: str) -> dict[str, Any]:
        rendered.append(room["id"])
        return linked(room, root)

    monkeypatch.setattr(navigation, "with_links", counted)
    save(db_engine, "messages", [message_doc("g05", "GENERAL", T0 + timedelta(hours=5), "edit")])
    export_html(db_engine, str(out))
    assert rendered == []  # an edit changes no room's months, counts or dates
    save(db_engine, "messages", [message_doc("n2", "dev", T0 + 90 * DAY, "a new month in dev")])
    (out / room_index_path("GENERAL")).unlink()  # a page lost is written again
    export_html(db_engine, str(out))
    assert sorted(rendered) == ["GENERAL", "dev"]
    monkeypatch.setattr(navigation, "with_links", linked)
    full = tmp_path / "full"
    export_html(db_engine, str(full))
    assert pages(out) == pages(full)
    manifest = read_manifest(out) or {}
    assert manifest["rooms"] == (read_manifest(full) or {})["rooms"]


def _kept_counts(out: Path) -> dict[str, int] | None:
    with sqlite3.connect(out / SIDECAR) as db:
        found = db.execute("SELECT value FROM meta WHERE key = 'user_counts'").fetchone()
    return dict(json.loads(found[0])) if found else None


def _scanned(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return queries.user_counts(conn)


def _by(doc: dict[str, Any], uid: str) -> dict[str, Any]:
    return {**doc, "u": {"_id": uid, "username": f"user{uid}", "name": f"User {uid}"}}


@pytest.mark.parametrize("rooms", [(), ("GENERAL",)])
def test_user_counts_follow_from_the_changed_messages(
    db_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rooms: tuple[str, ...]
) -> None:
    """Without filters the users page's counts are the sidecar's, less the changed messages as
    it had them, plus them as they are (an author changed, a message turned into a system one, a
    new one, a purge): no scan, and a full export's page. With filters they are scanned."""
    seed(db_engine)
    filters = ExportFilters(rooms=rooms)
    out = tmp_path / "site"
    export_html(db_engine, str(out), filters)
    scan = queries.user_counts
    assert _kept_counts(out) == (None if rooms else _scanned(db_engine))
    scans: list[int] = []

    def counted(conn: sa.Connection) -> dict[str, int]:
        scans.append(1)
        return scan(conn)

    monkeypatch.setattr(queries, "user_counts", counted)
    hour = timedelta(hours=1)
    first = [
        _by(message_doc("g03", "GENERAL", T0 + 3 * hour, "general number 3"), "2"),
        message_doc("g04", "GENERAL", T0 + 4 * hour, "user1", t="uj"),
        _by(message_doc("n1", "dev", T0 + 2 * DAY, "new by user 3"), "3"),
    ]
    save(db_engine, "messages", first)
    delete(db_engine, "messages", ["o1"], "purge")
    export_html(db_engine, str(out), filters)
    # Edited again: taken off as the first re-export left it (by user 2), not as first shown.
    save(db_engine, "messages", [_by(first[0], "2") | {"msg": "again"}])
    export_html(db_engine, str(out), filters)
    assert len(scans) == (2 if rooms else 0)
    monkeypatch.setattr(queries, "user_counts", scan)
    assert _kept_counts(out) == (None if rooms else _scanned(db_engine))
    full = tmp_path / "full"
    export_html(db_engine, str(full), filters)
    assert (out / "users.html").read_bytes() == (full / "users.html").read_bytes()
    assert pages(out) == pages(full)
