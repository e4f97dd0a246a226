"""Custom user statuses, integrations, integration history and statistics over the simulator:
full then incremental syncs, deletions, skipped resources without the permissions, snapshots per
run, and no integration token or script secret anywhere the tool writes."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from etl.cli.check import probe_resources
from etl.export import ExportOptions, export_archive, export_feed
from etl.schema import metadata
from tests.sync.conftest import Syncer
from tests.sync.helpers import deleted_ids, live_rows, make_client

ADMIN = ["custom_user_statuses", "integrations", "integration_history", "server_statistics"]
PERMISSIONED = {"integrations", "integration_history", "server_statistics"}
OUTGOING = "webhook-outgoing"


def _history_ids(ws: Any) -> set[str]:
    return set(ws.integration_history)


def _assert_level(s: Syncer) -> None:
    ws, engine = s.server.ws, s.engine
    assert set(live_rows(engine, "custom_user_statuses")) == set(ws.custom_statuses)
    assert set(live_rows(engine, "integrations")) == set(ws.integrations)
    assert set(live_rows(engine, "integration_history")) == _history_ids(ws)


def test_full_then_incremental_with_changes_and_deletions(syncer: Callable[..., Syncer]) -> None:
    s = syncer()
    ws = s.server.ws
    first = s.run(ADMIN)
    assert first.status == "ok", first.errors
    _assert_level(s)
    assert len(ws.integration_history) >= 6

    m = ws.mutate
    status = next(iter(ws.custom_statuses))
    m.edit_status(status, name="renamed status")
    gone_status = list(ws.custom_statuses)[1]
    m.remove_status(gone_status)
    added = m.add_status("in a meeting", "busy")
    outgoing = [i for i, d in ws.integrations.items() if d["type"] == OUTGOING]
    dropped, kept = outgoing[0], outgoing[1]
    dropped_history = {
        k for k, h in ws.integration_history.items() if h["integration"]["_id"] == dropped
    }
    m.remove_integration(dropped)
    m.edit_integration(kept, name="Renamed hook", enabled=False)
    fired = [m.fire_integration(kept, f"!hook new {n}")["_id"] for n in range(3)]
    new_hook = m.add_integration(OUTGOING, "New hook")
    new_fired = m.fire_integration(new_hook["_id"])["_id"]

    second = s.run(ADMIN)
    assert second.status == "ok", second.errors
    _assert_level(s)
    rows = live_rows(s.engine, "custom_user_statuses")
    assert rows[status]["name"] == "renamed status"
    assert added["_id"] in rows
    assert gone_status in deleted_ids(s.engine, "custom_user_statuses")
    assert dropped in deleted_ids(s.engine, "integrations")
    assert dropped_history <= deleted_ids(s.engine, "integration_history")
    assert live_rows(s.engine, "integrations")[kept]["name"] == "Renamed hook"
    history = live_rows(s.engine, "integration_history")
    assert set(fired) | {new_fired} <= set(history)

    # History cleared on the server: the stored count no longer matches `total`.
    cleared = m.clear_integration_history(kept)
    assert cleared >= 3
    s.run(["integration_history"])
    assert set(live_rows(s.engine, "integration_history")) == _history_ids(ws)


def test_incremental_history_stops_at_the_watermark(syncer: Callable[..., Syncer]) -> None:
    s = syncer(page_size=2)
    s.run(["integration_history"])
    ws = s.server.ws
    kept = next(i for i, d in ws.integrations.items() if d["type"] == OUTGOING)
    ws.mutate.fire_integration(kept)
    incremental = s.run(["integration_history"]).requests
    assert set(live_rows(s.engine, "integration_history")) == _history_ids(ws)
    full = s.run(["integration_history"], full=True).requests
    # /api/info, integrations.list (count=0 and its confirming page), then per outgoing
    # integration the pages down to the watermark: the newest page, and one more for the
    # integration whose new entry pushed the watermark's tie onto the page boundary.
    outgoing = sum(1 for d in ws.integrations.values() if d["type"] == OUTGOING)
    assert incremental == 3 + outgoing + 1 < full


def test_a_token_without_the_permissions_gets_them_skipped(syncer: Callable[..., Syncer]) -> None:
    s = syncer(who="user")
    summary = s.run(ADMIN)
    assert set(summary.skipped) == PERMISSIONED
    assert not summary.errors
    assert summary.status == "ok"
    assert set(live_rows(s.engine, "custom_user_statuses")) == set(s.server.ws.custom_statuses)
    assert not live_rows(s.engine, "integrations")
    assert not live_rows(s.engine, "server_statistics")


def test_check_reports_what_each_token_can_read(syncer: Callable[..., Syncer]) -> None:
    s = syncer()
    for who, readable in (("admin", set(ADMIN)), ("user", {"custom_user_statuses"})):
        with make_client(s.server.url, s.server.ws.credentials[who]) as client:
            probes = {p.resource: p for p in probe_resources(client, ADMIN)}
        assert {name for name in ADMIN if probes[name].readable} == readable, who


def _stats(engine: Engine) -> list[dict[str, Any]]:
    t = metadata.tables["server_statistics"]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.run_id))]


def test_statistics_accumulate_one_snapshot_per_run(syncer: Callable[..., Syncer]) -> None:
    s = syncer(statistics_refresh=True)
    ws = s.server.ws
    s.run(["server_statistics"])
    ws.mutate.add_user("new.person", "New Person")
    s.run(["server_statistics"])
    rows = _stats(s.engine)
    assert len(rows) == 2
    assert rows[0]["run_id"] != rows[1]["run_id"]
    assert rows[1]["total_users"] == rows[0]["total_users"] + 1
    newest = ws.statistics[-1]
    assert rows[1]["total_messages"] == newest["totalMessages"] > 0
    assert rows[1]["total_channels"] == newest["totalChannels"]
    assert rows[1]["version"] == newest["version"]
    assert rows[1]["snapshot_id"] == newest["_id"] != rows[0]["snapshot_id"]


def test_statistics_without_refresh_keep_the_servers_snapshot(
    syncer: Callable[..., Syncer],
) -> None:
    s = syncer()
    s.run(["server_statistics"])
    s.run(["server_statistics"])
    rows = _stats(s.engine)
    assert len(rows) == 2 and rows[0]["snapshot_id"] == rows[1]["snapshot_id"]
    assert len(s.server.ws.statistics) == 1


# --- secrets --------------------------------------------------------------------------------


def _secrets(ws: Any) -> set[str]:
    """Every integration token, and the key each generated script embeds."""
    found = {d["token"] for d in ws.integrations.values()}
    found |= {h["data"]["token"] for h in ws.integration_history.values()}
    for doc in ws.integrations.values():
        found |= set(re.findall(r'"X-Key": "(\w+)"', doc["script"]))
    return found


def _text_of_every_table(engine: Engine) -> str:
    parts = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def _bytes_under(folder: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in folder.rglob("*") if p.is_file()]


def test_no_token_or_secret_in_the_database_logs_or_exports(
    syncer: Callable[..., Syncer], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    s = syncer()
    ws = s.server.ws
    secrets = _secrets(ws)
    caplog.set_level(logging.DEBUG)
    s.run()  # everything, with the logs captured
    hook = next(i for i, d in ws.integrations.items() if d["type"] == OUTGOING)
    ws.mutate.fire_integration(hook)
    secrets |= _secrets(ws)
    s.run(ADMIN)
    assert len(secrets) >= 8

    stored = _text_of_every_table(s.engine)
    assert "[redacted]" in stored
    assert not [t for t in secrets if t in stored]
    assert not [t for t in secrets if t in caplog.text]

    integrations = live_rows(s.engine, "integrations")
    assert all(
        r["token"] == "[redacted]" and r["script"] == "[redacted]" for r in integrations.values()
    )

    options = ExportOptions(compression="none")
    export_archive(s.engine, str(tmp_path / "archive"), options=options)
    export_feed(s.engine, str(tmp_path / "feed"), options=options)
    files = _bytes_under(tmp_path)
    assert any(b"[redacted]" in data for _, data in files)
    assert not [(p, t) for p, data in files for t in secrets if t.encode() in data]
    for path, _ in files:
        if path.suffix == ".parquet":
            text = repr(pq.read_table(path).to_pylist())
            assert not [t for t in secrets if t in text], path


def test_scripts_are_kept_only_when_configured(syncer: Callable[..., Syncer]) -> None:
    s = syncer(integration_scripts=True)
    s.run(["integrations"])
    rows = live_rows(s.engine, "integrations")
    for integration_id, raw in rows.items():
        assert raw["script"] == s.server.ws.integrations[integration_id]["script"]
        assert raw["token"] == "[redacted]"
