"""The REST client against the simulator over real HTTP: auth, errors, retries, rate limits."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from etl.client import Credentials, RocketChatClient
from etl.config import RetrySettings, load_settings
from etl.errors import (
    AuthenticationError,
    BadRequestError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    TransportError,
    classify,
)

# Small backoffs keep the retry tests fast; the policy is the one production uses.
FAST = RetrySettings(max_attempts=3, backoff_initial=0.01, backoff_max=0.05)


def token_client(server, who: str = "admin", retries: RetrySettings = FAST) -> RocketChatClient:
    creds = server.ws.credentials[who]
    return RocketChatClient(
        server.url, Credentials(user_id=creds["user_id"], token=creds["token"]), retries=retries
    )


def login_client(server, who: str = "user") -> RocketChatClient:
    creds = server.ws.credentials[who]
    return RocketChatClient(
        server.url,
        Credentials(username=creds["username"], password=creds["password"]),
        retries=FAST,
    )


def test_token_auth_and_server_info_read_once(sim_server) -> None:
    server = sim_server()
    with token_client(server) as client:
        assert client.get("me")["_id"] == server.ws.credentials["admin"]["user_id"]
        first = client.server_info()
        assert client.server_info() is first
        assert client.server_version()[0].isdigit()
        assert client.stats.by_endpoint["/api/info"] == 1
        assert client.stats.requests == 2


def test_from_settings_reads_secrets_from_the_named_environment_variables(sim_server) -> None:
    server = sim_server()
    admin = server.ws.credentials["admin"]
    settings = load_settings(None, {"server.url": server.url}, {})
    environ = {"RCETL_TOKEN": admin["token"], "RCETL_USER_ID": admin["user_id"]}
    with RocketChatClient.from_settings(settings, environ) as client:
        assert client.get("me")["username"] == admin["username"]


def test_typed_errors_are_not_retried(sim_server) -> None:
    server = sim_server()
    with token_client(server, "user") as client:
        with pytest.raises(PermissionDeniedError) as denied:
            client.get("groups.listAll", {"count": 1})
        with pytest.raises(BadRequestError) as bad:
            client.get("channels.list", {"sort": '{"name": 2}'})
        with pytest.raises(NotFoundError) as missing:
            client.get("no.such.endpoint")
        assert client.stats.retries == 0
        assert client.stats.requests == 3
    assert bad.value.error_type == "error-invalid-sort"
    for caught in (denied, bad, missing):
        assert classify(caught.value) == "terminal"
        assert caught.value.endpoint in str(caught.value)
        assert f"HTTP {caught.value.status}" in str(caught.value)


@pytest.mark.parametrize("mode", ["token", "login"])
def test_bad_credentials_are_an_authentication_error_without_retry(sim_server, mode: str) -> None:
    server = sim_server()
    user = server.ws.credentials["user"]
    if mode == "token":
        creds = Credentials(user_id=user["user_id"], token="not-the-token")
    else:
        creds = Credentials(username=user["username"], password="wrong")
    with RocketChatClient(server.url, creds, retries=FAST) as client:
        failing_endpoint = "me" if mode == "token" else "login"
        with pytest.raises(AuthenticationError, match=rf"{failing_endpoint}: HTTP 401"):
            client.get("me")
        assert client.stats.requests == 1


def test_login_mode_logs_in_again_once_when_the_session_expires(sim_server) -> None:
    server = sim_server()
    with login_client(server) as client:
        me = client.get("me")
        assert me["username"] == server.ws.credentials["user"]["username"]
        client.post("logout")  # the server forgets this session, as when it expires
        assert client.get("me")["_id"] == me["_id"]
        assert client.stats.by_endpoint["login"] == 2
        assert client.stats.by_endpoint["me"] == 3  # the 401 and the repeat after logging in


def test_5xx_is_retried_with_backoff(sim_server) -> None:
    server = sim_server(faults="5xx=every:2@me")
    with token_client(server) as client:
        client.get("me")  # 1st request: fine
        client.get("me")  # 2nd request: 500, retried, 3rd request fine
        assert client.stats.retries == 1
        assert client.stats.by_endpoint["me"] == 3


def test_persistent_5xx_gives_up_after_max_attempts(sim_server) -> None:
    server = sim_server(faults="5xx=1.0@me")
    with token_client(server) as client:
        with pytest.raises(ServerError, match=r"me: HTTP 5\d\d") as caught:
            client.get("me")
        assert client.stats.by_endpoint["me"] == FAST.max_attempts
        assert client.stats.retries == FAST.max_attempts - 1
    assert classify(caught.value) == "transient"


def test_dropped_connections_are_retried_then_reported(sim_server) -> None:
    server = sim_server(faults="drop=every:2@me")
    with token_client(server) as client:
        client.get("me")
        client.get("me")
        assert client.stats.retries == 1
    server = sim_server(faults="drop=1.0@me")
    with token_client(server) as client, pytest.raises((TransportError, MalformedResponseError)):
        client.get("me")


@pytest.mark.parametrize(
    ("fault", "text"),
    [("html", "HTML page instead of JSON"), ("truncate", "truncated")],
)
def test_html_and_truncated_bodies_become_malformed_after_retries(
    sim_server, fault: str, text: str
) -> None:
    server = sim_server(faults=f"{fault}=1.0@me")
    with token_client(server) as client:
        with pytest.raises(MalformedResponseError) as caught:
            client.get("me")
        assert client.stats.by_endpoint["me"] == FAST.max_attempts
    assert text in str(caught.value)
    assert str(caught.value).startswith("me: HTTP 200")


def test_html_fault_once_is_recovered(sim_server) -> None:
    server = sim_server(faults="html=every:3@me,truncate=every:5@me")
    with token_client(server) as client:
        for _ in range(4):
            assert "_id" in client.get("me")
        assert client.stats.retries >= 2


def test_pacing_avoids_429(sim_server) -> None:
    server = sim_server(rate_limit=(3, 1.0))
    with token_client(server, "user") as client:
        for _ in range(7):
            client.get("me")
        stats = client.stats
    # Seven calls at three per window: two waits for the reset, and not one 429 (which would
    # have shown as a retry and an eighth request).
    assert stats.requests == 7
    assert stats.retries == 0
    assert stats.rate_limit_waits == 2
    assert server.request_log.count(status=429) == 0
    assert client.rate_limits()["GET me"].limit == 3


def test_forced_429_is_waited_out_then_retried(sim_server) -> None:
    server = sim_server(rate_limit=(3, 1.0))
    with token_client(server, "user") as greedy, token_client(server, "user") as client:
        for _ in range(3):  # another process on the same IP uses up the window
            greedy.get("me")
        started = time.monotonic()
        assert "_id" in client.get("me")
        waited = time.monotonic() - started
        stats = client.stats
    assert stats.by_endpoint["me"] == 2  # the 429 and the retry after the reset
    assert server.request_log.count("me", 429) == 1
    assert stats.retries == 1
    assert stats.rate_limit_waits == 1
    assert 0 < stats.rate_limit_wait_seconds <= 1.2
    assert waited >= stats.rate_limit_wait_seconds


def test_admin_bypasses_the_limiter_and_sees_no_headers(sim_server) -> None:
    server = sim_server(rate_limit=(2, 60.0))
    with token_client(server, "admin") as client:
        for _ in range(5):
            client.get("me")
        assert client.rate_limits() == {}
        assert client.stats.rate_limit_waits == 0


def test_waiting_on_one_endpoint_does_not_stall_another(sim_server) -> None:
    server = sim_server(rate_limit=(2, 1.0))
    finished: dict[str, float] = {}
    with token_client(server, "user") as client:

        def exhaust_me() -> None:
            for _ in range(3):  # the third call has to wait for the window to reset
                client.get("me")
            finished["me"] = time.monotonic()

        waiter = threading.Thread(target=exhaust_me)
        waiter.start()
        # Two calls used the window up; the third is now waiting for the reset.
        while client.stats.requests < 2 or client.rate_limits()["GET me"].remaining != 0:
            time.sleep(0.005)
        # While that thread sleeps for the `me` window, another endpoint goes straight through.
        client.get("roles.list")
        client.get("roles.list")
        finished["roles.list"] = time.monotonic()
        waiter.join()
        stats = client.stats
    assert finished["roles.list"] < finished["me"]
    assert stats.retries == 0 and stats.rate_limit_waits == 1


def test_concurrent_use_from_several_threads(sim_server) -> None:
    server = sim_server(rate_limit=(5, 1.0))
    with token_client(server, "user") as client, ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: client.get("me"), range(12)))  # errors re-raise here
        stats = client.stats
    assert all("_id" in answer for answer in answers)
    # 12 calls at 5 per window: paced, and the reservations keep threads from overshooting.
    assert stats.by_endpoint["me"] == 12
    assert stats.retries == 0
    assert server.request_log.count(status=429) == 0


def test_connection_refused_is_a_transport_error() -> None:
    creds = Credentials(user_id="u", token="t")
    with RocketChatClient("http://127.0.0.1:9", creds, retries=FAST) as client:
        with pytest.raises(TransportError, match=r"me: no HTTP status: cannot reach") as caught:
            client.get("me")
        assert client.stats.requests == FAST.max_attempts
    assert classify(caught.value) == "transient"


def test_secrets_never_reach_the_logs(sim_server, caplog: pytest.LogCaptureFixture) -> None:
    server = sim_server(faults="5xx=every:3@me")
    user = server.ws.credentials["user"]
    admin = server.ws.credentials["admin"]
    for name in ("", "httpx", "httpcore"):  # levels are restored after the test
        caplog.set_level(logging.DEBUG, logger=name or None)
    seen_tokens = []
    with login_client(server) as client:
        for _ in range(4):
            client.get("me")
        client.post("logout")
        client.get("me")  # 401, logs in again
        seen_tokens.append(client._auth_headers["X-Auth-Token"])  # the session token
        with pytest.raises(PermissionDeniedError):
            client.get("groups.listAll")
        text_of_client = repr(client)
    with (
        RocketChatClient(
            server.url,
            Credentials(username=user["username"], password="s3cret-wrong"),
            retries=FAST,
        ) as bad,
        pytest.raises(AuthenticationError) as failed,
    ):
        bad.get("me")
    with token_client(server) as admin_client:
        admin_client.get("me")
        text_of_client += repr(admin_client)
    secrets = [user["password"], "s3cret-wrong", admin["token"], *seen_tokens]
    assert caplog.records, "the client should log at DEBUG"
    for secret in secrets:
        assert secret not in caplog.text
        assert secret not in text_of_client
        assert secret not in str(failed.value)


def test_login_with_a_2fa_code_from_the_environment(sim_server) -> None:
    server = sim_server()
    user = server.ws.credentials["user"]
    server.ws.two_factor_codes[user["user_id"]] = "246810"  # the user turned on 2FA
    settings = load_settings(None, {"server.url": server.url, "server.auth.mode": "login"}, {})
    environ = {"RCETL_USERNAME": user["username"], "RCETL_PASSWORD": user["password"]}
    with RocketChatClient.from_settings(settings, environ) as client:
        with pytest.raises(AuthenticationError) as caught:
            client.get("me")
        assert caught.value.error_type == "totp-required"
    environ["RCETL_2FA_CODE"] = "246810"
    with RocketChatClient.from_settings(settings, environ) as client:
        assert client.get("me")["_id"] == user["user_id"]


def test_connections_are_kept_alive_and_reused(sim_server) -> None:
    server = sim_server()

    def connections_to_server() -> set[int]:
        return {
            c.laddr.port
            for c in psutil.Process().net_connections(kind="tcp")
            if c.raddr and c.raddr.port == server.port and c.status == psutil.CONN_ESTABLISHED
        }

    with token_client(server) as client:
        ports = set()
        for _ in range(20):
            client.get("me")
            ports |= connections_to_server()
        assert len(ports) == 1  # twenty requests, one TCP connection
