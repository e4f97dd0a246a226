"""message_versions and legal_holds in the feed (replayed = the database), in the archive (typed
schemas, holds in the manifest), in `rcetl status`, `rcetl hold` and `rcetl history`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from etl.cli.main import cli
from etl.export import export_archive, export_feed, verify_archive
from etl.export.arrow_schema import TIMESTAMP
from tests.export._data import db_rows
from tests.export._replay import replay
from tests.history.helpers import readable_channels


def _rcetl(db_url: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--database-url", db_url, *args], catch_exceptions=False)
    return result


def test_feed_replayed_equals_versions_and_holds(syncer: Any, tmp_path: Path) -> None:
    sync = syncer(deletion_policy="purge")
    ws = sync.server.ws
    db_url = sync.engine.url.render_as_string(hide_password=False)
    admin, user = ws.credentials["admin"]["user_id"], ws.credentials["user"]["user_id"]
    room, held_room = readable_channels(ws, 2)
    m = ws.mutate
    ids = [m.post_message(r, admin, f"text {i}")["_id"] for i, r in enumerate([room, held_room])]
    m.set_setting("Message_KeepHistory", True)
    parent = m.post_message(room, admin, "thread v1")["_id"]
    m.post_message(room, user, "reply", tmid=parent)
    sync.run()
    out = tmp_path / "feed"
    export_feed(sync.engine, str(out))
    for mid in [*ids, parent]:
        m.edit_message(mid, user, "edited once")
        m.edit_message(mid, admin, "edited twice")
    result = _rcetl(db_url, "hold", "add", "--room", ws.rooms[held_room]["name"], "--reason", "x")
    assert result.exit_code == 0, result.output
    sync.run()
    export_feed(sync.engine, str(out))
    for mid in ids:
        m.delete_message(mid, admin)
    sync.run()
    assert _rcetl(db_url, "hold", "remove", "--room", held_room, "--by", "dpo").exit_code == 0
    export_feed(sync.engine, str(out))
    assert verify_archive(str(out)) == []
    state = replay(out)
    versions = db_rows(sync.engine, "message_versions")
    assert state["message_versions"] == versions
    assert state["legal_holds"] == db_rows(sync.engine, "legal_holds")
    assert [v["kind"] for k, v in sorted(versions.items()) if k[0] == ids[0]] == ["purged"]
    assert [v["origin"] for k, v in versions.items() if k[0] == parent].count("server_history") == 1
    (hold,) = state["legal_holds"].values()
    assert hold["removed_by"] == "dpo" and hold["target_id"] == held_room


def test_archive_status_and_commands(sqlite_syncer: Any, tmp_path: Path) -> None:
    sync = sqlite_syncer()
    ws = sync.server.ws
    db_url = sync.engine.url.render_as_string(hide_password=False)
    admin = ws.credentials["admin"]["user_id"]
    (room,) = readable_channels(ws, 1)
    mid = ws.mutate.post_message(room, admin, "before")["_id"]
    sync.run()
    ws.mutate.edit_message(mid, admin, "after")
    sync.run()
    username = ws.users[admin]["username"]
    added = _rcetl(db_url, "hold", "add", "--user", username, "--until", "2099-01-01", "--by", "x")
    assert added.exit_code == 0 and f"on user {admin}" in added.output
    bad = _rcetl(db_url, "hold", "add", "--room", "no-such-room")
    assert bad.exit_code == 2 and "no room 'no-such-room'" in bad.output
    assert _rcetl(db_url, "hold", "add").exit_code == 2

    listed = orjson.loads(_rcetl(db_url, "hold", "list", "--json").output)
    assert [(h["scope"], h["target_id"], h["created_by"]) for h in listed] == [("user", admin, "x")]
    status = orjson.loads(_rcetl(db_url, "status", "--json").output)
    assert [h["target_id"] for h in status["legal_holds"]] == [admin]
    assert "active legal hold" in _rcetl(db_url, "status").output

    history = orjson.loads(_rcetl(db_url, "history", mid, "--json").output)
    assert [(h["version"], h["msg"], h["changed"]) for h in history] == [
        (1, "before", ["created"]),
        (2, "after", ["msg", "md"]),
    ]
    table = _rcetl(db_url, "history", mid).output
    assert "before" in table and "after" in table and "edited" in table
    assert _rcetl(db_url, "history", "nope").exit_code == 1

    manifest = export_archive(sync.engine, str(tmp_path / "archive"))
    assert [h["target_id"] for h in manifest["legal_holds"]] == [admin]
    part = f"part-00000-{manifest['generation']}.parquet"  # files carry the run's generation
    schema = pq.read_schema(tmp_path / "archive" / "message_versions" / part)
    assert schema.field("observed_at").type == TIMESTAMP
    assert schema.field("version").type == pa.int64()
    assert schema.field("attachments").metadata == {b"rcetl.json": b"true"}
    holds = pq.read_table(tmp_path / "archive" / "legal_holds" / part)
    assert holds.column("until").type == TIMESTAMP and holds.num_rows == 1

    assert _rcetl(db_url, "hold", "remove", "--user", admin).exit_code == 0
    assert _rcetl(db_url, "hold", "remove", "--user", admin).exit_code == 1
    assert orjson.loads(_rcetl(db_url, "hold", "list", "--json").output) == []
    assert len(orjson.loads(_rcetl(db_url, "hold", "list", "--all", "--json").output)) == 1
