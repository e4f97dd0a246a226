"""The server-side rate limiter and the injected faults, seen by a real HTTP client."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest

from etl.simulator.faults import FaultSpec, parse_faults
from etl.simulator.ratelimit import parse_rate_limit
from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client


def test_rate_limit_headers_429_body_and_window_reset(sim_server) -> None:
    server = sim_server(rate_limit=(3, 2.0))
    with client(server, "user") as api:
        answers = [api.get("me") for _ in range(4)]
        other = api.get("rooms.get")  # a different endpoint has its own window
        reset_ms = int(answers[-1].headers["X-RateLimit-Reset"])
        time.sleep(max(0.0, reset_ms / 1000 - time.time()) + 0.05)  # wait as a client should
        again = api.get("me")
    ok, limited = answers[:3], answers[3]
    assert [a.status_code for a in ok] == [200, 200, 200]
    assert [a.headers["X-RateLimit-Remaining"] for a in ok] == ["2", "1", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
    reset = int(ok[0].headers["X-RateLimit-Reset"])
    assert abs(reset - (time.time() * 1000 + 0)) < 5_000 and reset > 1_600_000_000_000  # epoch ms
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    body = limited.json()
    assert body["success"] is False and "errorType" not in body
    assert body["error"].startswith("Error, too many requests. Please slow down. You must wait ")
    assert body["error"].endswith(
        "seconds before trying this endpoint again. [error-too-many-requests]"
    )
    assert other.status_code == 200 and again.status_code == 200


def test_bypass_roles_get_no_limit_and_no_headers(sim_server) -> None:
    bypassing = sim_server(rate_limit=(2, 60.0))
    with client(bypassing) as admin, client(bypassing, "bot") as bot:
        answers = [admin.get("me") for _ in range(5)] + [bot.get("me") for _ in range(5)]
    assert all(a.status_code == 200 and "X-RateLimit-Limit" not in a.headers for a in answers)
    limited = sim_server(rate_limit=(2, 60.0), bypass_roles=())
    with client(limited) as admin:
        codes = [admin.get("me").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    permission = limited.ws.permissions["api-bypass-rate-limit"]
    assert permission["roles"] == []  # the options became the permission the server reports


def test_auth_comes_before_the_rate_limit(sim_server) -> None:
    server = sim_server(rate_limit=(1, 60.0))
    answers = [httpx.get(f"{server.url}/api/v1/me") for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 401]


def _get(server, path: str = "me") -> httpx.Response:
    cred = server.ws.credentials["admin"]
    headers = {"X-User-Id": cred["user_id"], "X-Auth-Token": cred["token"]}
    return httpx.get(f"{server.url}/api/v1/{path}", headers=headers, timeout=5)


def test_each_fault_kind(sim_server) -> None:
    five = sim_server(faults="5xx=every:1")
    statuses = {_get(five).status_code for _ in range(4)}
    assert statuses <= {500, 502, 503, 504} and len(statuses) > 1
    html = _get(sim_server(faults="html=1.0"))
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    truncated = _get(sim_server(faults="truncate=every:1"), "rooms.get")
    assert truncated.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(truncated.content)
    with pytest.raises(httpx.TransportError):
        _get(sim_server(faults="drop=1.0"))
    slow = sim_server(faults="slow=1.0", slow_seconds=0.3)
    started = time.monotonic()
    assert _get(slow).status_code == 200
    assert time.monotonic() - started >= 0.25


def test_faults_every_nth_restricted_and_logged(sim_server) -> None:
    server = sim_server(faults="5xx=every:3@rooms.get")
    rooms = [_get(server, "rooms.get").status_code for _ in range(6)]
    me = [_get(server).status_code for _ in range(4)]
    assert [s >= 500 for s in rooms] == [False, False, True, False, False, True]
    assert me == [200] * 4
    assert (
        server.request_log.count("rooms.get") == 6
        and server.request_log.count("rooms.get", 200) == 4
    )
    assert [e.fault for e in server.request_log.entries() if e.fault] == ["5xx", "5xx"]


def test_probabilistic_faults_are_seeded(sim_workspace: Workspace, sim_server) -> None:
    runs = []
    for _ in range(2):
        server = sim_server(faults="5xx=0.4", fault_seed=42)
        runs.append([_get(server).status_code >= 500 for _ in range(15)])
    assert runs[0] == runs[1] and any(runs[0]) and not all(runs[0])


def test_parsers_reject_bad_specs() -> None:
    assert parse_rate_limit("10/60") == (10, 60.0) and parse_rate_limit("5/0.5") == (5, 0.5)
    assert parse_faults("5xx=0.05,drop=every:7@a|b") == [
        FaultSpec("5xx", probability=0.05),
        FaultSpec("drop", every=7, endpoints=frozenset({"a", "b"})),
    ]
    for bad in ("10", "x/60", "0/60", "10/0"):
        with pytest.raises(ValueError, match="rate limit"):
            parse_rate_limit(bad)
    for bad in ("boom=0.1", "5xx", "5xx=2", "html=every:x"):
        with pytest.raises(ValueError):
            parse_faults(bad)
