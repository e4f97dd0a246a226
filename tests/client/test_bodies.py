"""Answers the simulator does not send: `success: false` on a 200, legacy envelopes, a 429 from a
server whose clock runs behind ours.

These call the client's body decoder directly with the bytes a server or proxy would send.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy
import sqlalchemy.exc

from etl.errors import MalformedResponseError, RateLimitedError, classify
from etl.responses import decode_answer, error_from_answer

JSON = httpx.Headers({"content-type": "application/json"})


def test_success_false_on_200_is_malformed_and_transient() -> None:
    body = b'{"success": false, "error": "Internal error [error-internal]", "errorType": "x"}'
    with pytest.raises(MalformedResponseError) as caught:
        decode_answer("rooms.get", 200, JSON, body)
    assert str(caught.value).startswith("rooms.get: HTTP 200: success:false")
    assert caught.value.error_type == "x"
    assert classify(caught.value) == "transient"


def test_legacy_envelopes() -> None:
    login = b'{"status": "success", "data": {"authToken": "t", "userId": "u"}}'
    assert decode_answer("login", 200, JSON, login)["data"]["userId"] == "u"
    with pytest.raises(MalformedResponseError, match="success:false"):
        decode_answer("logout", 200, JSON, b'{"status": "error", "message": "nope"}')


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty body"),
        (b"[1, 2]", "truncated or invalid JSON"),
        (b'{"messages": [{"_id": "a"', "truncated or invalid JSON"),
        (b"  <html><body>Bad Gateway</body></html>", "HTML page instead of JSON"),
    ],
)
def test_bodies_that_are_not_a_json_object(body: bytes, expected: str) -> None:
    with pytest.raises(MalformedResponseError, match=expected):
        decode_answer("chat.syncMessages", 200, JSON, body)


def test_429_reset_is_the_later_of_header_and_wait_text() -> None:
    body = (
        b'{"success": false, "error": "Error, too many requests. Please slow down. You must wait'
        b' 5 seconds before trying this endpoint again. [error-too-many-requests]"}'
    )
    now = 1_700_000_000_000
    # The server's clock runs behind ours: its absolute reset is already past for us.
    behind = httpx.Headers({"x-ratelimit-reset": str(now - 2000)})
    error = error_from_answer("me", 429, behind, body, now)
    assert isinstance(error, RateLimitedError)
    assert error.reset_ms == now + 5000
    assert error.error_type == "error-too-many-requests"
    ahead = httpx.Headers({"x-ratelimit-reset": str(now + 9000)})
    assert error_from_answer("me", 429, ahead, body, now).reset_ms == now + 9000


def test_a_lost_database_connection_is_transient(tmp_path: Path) -> None:
    # A daemon job must survive PostgreSQL restarting or SQLite staying busy: retry next run.
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    with pytest.raises(sqlalchemy.exc.OperationalError) as caught:
        engine.connect()
    assert classify(caught.value) == "transient"
