"""Case 8 of issue 9: credentials in the server URL (`https://user:pass@host`) never leave the
client unmasked. Every output channel is searched for them: stderr (text and JSON logs, -vv HTTP
logs), `rcetl check`, `sync_runs` (server_url and errors), `job_runs.last_error`, the archive's
`sync_runs` Parquet. The userinfo is still used, as HTTP Basic credentials for a proxy."""

from __future__ import annotations

import base64
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from etl.client import Credentials, RocketChatClient
from etl.config import load_settings
from etl.db import create_db_engine
from etl.errors import ConfigError
from etl.schema import metadata
from etl.simulator import SimServer
from tests.cli._proc import run_rcetl, start_rcetl, token_env

USER, SECRET = "proxy-user", "Pa55w0rd-never-shown"
LEAKS = (SECRET, f"{USER}:")


def with_userinfo(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{USER}:{SECRET}@{rest}"


def assert_clean(text: str, where: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked into {where}:\n{text[-3000:]}"


def table_text(url: str, table: str) -> str:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(metadata.tables[table])).mappings().all()
    finally:
        engine.dispose()
    assert rows, f"{table} is empty"
    return json.dumps([dict(row) for row in rows], default=str)


def test_a_reachable_server_with_userinfo_syncs_and_shows_it_nowhere(
    sim_server: Callable[..., SimServer], sim_workspace: Any, db_url: str, tmp_path: Path
) -> None:
    server = sim_server()
    env = token_env(sim_workspace.credentials["admin"])
    url = with_userinfo(server.url)
    base = ("--server-url", url, "--database-url", db_url)

    checked = run_rcetl(*base, "-vv", "check", env=env)
    assert checked.code == 0, checked.err
    assert server.url in checked.out  # the header names the server...
    assert_clean(checked.out + checked.err, "rcetl check")  # ...without its credentials

    synced = run_rcetl(*base, "-vv", "--log-format", "json", "sync", "users", "roles", env=env)
    assert synced.code == 0, synced.err
    assert "HTTP Request: GET" in synced.err  # -vv: httpx logs every request, URL included
    assert_clean(synced.out + synced.err, "rcetl -vv sync (JSON logs)")
    runs = table_text(db_url, "sync_runs")
    assert server.url.removeprefix("http://") in runs
    assert_clean(runs, "sync_runs")

    archived = run_rcetl(*base, "export", "archive", "--out", str(tmp_path / "a"), env=env)
    assert archived.code == 0, archived.err
    assert_clean(archived.out + archived.err, "rcetl export archive")
    assert_clean((tmp_path / "a" / "manifest.json").read_text(), "manifest.json")


def test_an_unreachable_server_with_userinfo_leaks_nowhere(
    db_url: str, tmp_path: Path, daemon_settings_file: Callable[..., Path], refused_url: str
) -> None:
    url = with_userinfo(refused_url)
    env = token_env({"token": "t", "user_id": "u"})
    base = ("--server-url", url, "--database-url", db_url)
    once = ("--set", "sync.retries.max_attempts=1")

    synced = run_rcetl(*base, *once, "sync", env=env)
    assert synced.code == 4, synced.err
    assert synced.err_lines == [synced.err_lines[0]] and "cannot reach" in synced.err
    assert_clean(synced.out + synced.err, "rcetl sync (unreachable)")
    logged = run_rcetl(*base, *once, "--log-format", "json", "-vv", "sync", env=env)
    assert logged.code == 4
    assert_clean(logged.err, "JSON logs")
    runs = table_text(db_url, "sync_runs")
    assert "cannot reach http://127.0.0.1:" in runs  # the error is recorded, masked
    assert_clean(runs, "sync_runs.errors")

    archive = tmp_path / "archive"
    archived = run_rcetl(*base, "export", "archive", "--out", str(archive), env=env)
    assert archived.code == 0, archived.err
    exported = pq.read_table(archive / "sync_runs").to_pylist()
    assert any("cannot reach" in str(row["errors"]) for row in exported)
    assert_clean(json.dumps(exported, default=str), "the archive's sync_runs Parquet")

    config = daemon_settings_file(url, db_url)
    daemon = start_rcetl("--config", str(config), "daemon", env=env, stderr=-1, stdout=-1)
    try:
        deadline = time.monotonic() + 60
        while "cannot reach" not in table_text_or_empty(db_url, "job_runs"):
            assert daemon.poll() is None and time.monotonic() < deadline, "no failed job recorded"
            time.sleep(0.2)
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert_clean(table_text(db_url, "job_runs"), "job_runs.last_error")
    assert_clean(out + err, "the daemon's log")


def table_text_or_empty(url: str, table: str) -> str:
    try:
        return table_text(url, table)
    except AssertionError:
        return ""


@pytest.fixture
def daemon_settings_file(tmp_path: Path) -> Callable[..., Path]:
    def write(server_url: str, db_url: str) -> Path:
        path = tmp_path / "daemon.yaml"
        settings = {
            "server": {"url": server_url},
            "database": {"url": db_url},
            "sync": {"retries": {"max_attempts": 1}},
            "schedules": {"users": {"interval": 60}},
            "daemon": {"shutdown_timeout": 5},
        }
        path.write_text(json.dumps(settings))  # JSON is YAML
        return path

    return write


def test_invalid_urls_are_reported_without_their_credentials() -> None:
    for key, value in (
        ("server.url", f"https://{USER}:{SECRET}@chat.example.com:99999"),
        ("database.url", f"mysql://{USER}:{SECRET}@db/chat"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_settings(None, {key: value}, environ={})
        assert_clean(str(caught.value), f"the error for {key}")
        assert "***@" in str(caught.value)


class _RecordingHandler(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        body = b'{"success": true, "version": "7.10.0"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recording_server() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    """A plain HTTP server (a stand-in for a proxy that wants Basic auth) recording headers."""
    seen: ClassVar[list[tuple[str, str | None]]] = []
    handler = type("Handler", (_RecordingHandler,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def test_userinfo_is_sent_as_basic_auth_and_kept_out_of_the_client(
    recording_server: tuple[str, list[tuple[str, str | None]]],
) -> None:
    url, seen = recording_server
    settings = load_settings(None, {"server.url": with_userinfo(url) + "/"}, environ={})
    assert str(settings.server.url).rstrip("/") == url
    assert_clean(repr(settings) + settings.model_dump_json(), "the settings")
    env = {"RCETL_TOKEN": "tok", "RCETL_USER_ID": "uid"}
    with RocketChatClient.from_settings(settings, env) as client:
        client.get("me")
        assert client.base_url == url
        assert_clean(repr(client), "the client's repr")
    expected = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()
    assert seen == [("/api/v1/me", expected)]
    # Built directly (as the demo and tests do), the client strips the URL the same way.
    direct = RocketChatClient(with_userinfo(url), Credentials(user_id="u", token="t"))
    assert direct.base_url == url
    direct.close()
