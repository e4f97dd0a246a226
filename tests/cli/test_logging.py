"""`--log-format json` gives one JSON object per line on stderr; text mode is readable lines."""

from __future__ import annotations

import orjson
from click.testing import CliRunner

from etl.cli.main import cli


def test_json_log_lines(sim_server) -> None:
    server = sim_server(faults="5xx=1.0@teams.listAll")  # retried, logged, then given up
    admin = server.ws.credentials["admin"]
    env = {"RCETL_TOKEN": admin["token"], "RCETL_USER_ID": admin["user_id"]}
    args = ["--log-format", "json", "-v", "--server-url", server.url]
    args += ["--set", "sync.retries.backoff_initial=0.01", "--set", "sync.resources=[rooms]"]
    args += ["check", "--json"]
    result = CliRunner(env=env).invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines, "expected log lines on stderr"
    assert all({"ts", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["level"] == "warning" and "retrying" in line["message"] for line in lines)
    assert any(line["level"] == "debug" and "GET me" in line["message"] for line in lines)
    assert admin["token"] not in result.stderr
    orjson.loads(result.stdout)  # stdout stays clean for the JSON report


def test_text_logs_are_not_json(sim_server) -> None:
    server = sim_server()
    admin = server.ws.credentials["admin"]
    env = {"RCETL_TOKEN": admin["token"], "RCETL_USER_ID": admin["user_id"]}
    result = CliRunner(env=env).invoke(cli, ["-v", "--server-url", server.url, "check", "--json"])
    assert result.exit_code == 0
    assert "GET me -> 200" in result.stderr
    assert not result.stderr.lstrip().startswith("{")
