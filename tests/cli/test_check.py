"""`rcetl check` against the simulator: version, user, readable resources, rate limits."""

from __future__ import annotations

import orjson
from click.testing import CliRunner

from etl.cli.main import cli


def run_check(server, who: str, *args: str):
    creds = server.ws.credentials[who]
    env = {"RCETL_TOKEN": creds["token"], "RCETL_USER_ID": creds["user_id"]}
    return CliRunner(env=env).invoke(cli, ["--server-url", server.url, *args, "check", "--json"])


def test_admin_reads_everything_and_is_not_rate_limited(sim_server) -> None:
    server = sim_server(rate_limit=(10, 60.0))
    result = run_check(server, "admin")
    assert result.exit_code == 0, result.output
    report = orjson.loads(result.stdout)
    assert report["version"][0].isdigit()
    assert report["user"].startswith(server.ws.credentials["admin"]["username"])
    assert {r["resource"] for r in report["resources"] if r["readable"]} >= {"rooms", "messages"}
    assert report["rate_limited"] is False


def test_limited_user_sees_what_it_cannot_read_and_exit_code_3(sim_server) -> None:
    server = sim_server(rate_limit=(10, 60.0))
    result = run_check(server, "user")
    assert result.exit_code == 3, result.output
    report = orjson.loads(result.stdout)
    unreadable = {r["resource"]: r["detail"] for r in report["resources"] if not r["readable"]}
    assert "teams" in unreadable  # teams.listAll needs view-all-teams
    assert "HTTP 403" in unreadable["teams"]
    assert "rooms" not in unreadable
    assert report["rate_limited"] is True
    assert report["rate_limits"]["GET me"]["limit"] == 10


def test_table_output_and_configured_resources(sim_server) -> None:
    server = sim_server()
    creds = server.ws.credentials["user"]
    env = {"RCETL_TOKEN": creds["token"], "RCETL_USER_ID": creds["user_id"], "COLUMNS": "160"}
    args = ["--server-url", server.url, "--set", "sync.resources=[rooms, messages]", "check"]
    result = CliRunner(env=env).invoke(cli, args)
    assert result.exit_code == 0, result.output  # only what sync.resources lists must be readable
    assert "every configured resource is readable" in result.stdout
    assert "teams" in result.stdout and "NO" in result.stdout


def test_bad_token_exit_code_3_and_unreachable_exit_code_4(sim_server) -> None:
    server = sim_server()
    env = {"RCETL_TOKEN": "wrong", "RCETL_USER_ID": server.ws.credentials["user"]["user_id"]}
    result = CliRunner(env=env).invoke(cli, ["--server-url", server.url, "check"])
    assert result.exit_code == 3
    assert "error: me: HTTP 401" in result.output
    args = ["--server-url", "http://127.0.0.1:9", "--set", "sync.retries.max_attempts=1", "check"]
    result = CliRunner(env=env).invoke(cli, args)
    assert result.exit_code == 4
    assert "cannot reach http://127.0.0.1:9" in result.output
