"""What a user sees (`rcetl sync`, `rcetl status`) after a run with a quarantined item and a
future-dated document (the README's troubleshooting section quotes these lines)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from click.testing import CliRunner

from etl.cli.main import cli
from tests.hostile.server import TOKEN, USER, HostileServer, Script, iso, message, room
from tests.hostile.test_items import past


def rcetl(server: HostileServer, db_url: str, *args: str) -> Any:
    env = {"RCETL_TOKEN": TOKEN, "RCETL_USER_ID": USER["_id"]}
    base = ["--server-url", server.url, "--database-url", db_url]
    return CliRunner().invoke(cli, [*base, *args], env=env, catch_exceptions=False)


def test_sync_and_status_report_quarantine_and_future_dates(sqlite_url: str) -> None:
    t0 = past()
    far = int(datetime(2999, 1, 1, tzinfo=UTC).timestamp() * 1000)
    script = Script(
        rooms=[room("R1", t0)],
        messages={
            "R1": [
                message("m1", "R1", t0),
                {**message("m2", "R1", t0 + 1), "_updatedAt": "not-a-date"},
                message("m3", "R1", far),
            ]
        },
    )
    server = HostileServer(script).start()
    try:
        result = rcetl(server, sqlite_url, "sync", "messages")
        assert result.exit_code == 0, result.output
        assert "2 upserted, 0 deleted, 1 quarantined" in result.output
        assert "they are in the quarantine table" in result.output
        assert "1 document(s) dated after the server's time: kept" in result.output
        status = rcetl(server, sqlite_url, "status")
        assert "1 record(s) in quarantine (table `quarantine`)" in status.output
        assert "1 item(s) quarantined" in status.output
        assert "1 document(s) dated after the server's time" in status.output
        report = json.loads(rcetl(server, sqlite_url, "status", "--json").stdout)
        last = report["last_runs"][0]
        assert last["quarantined"] == 1 and last["future_dated"] == 1
    finally:
        server.stop()
    assert iso(far).startswith("2999-01-01")
