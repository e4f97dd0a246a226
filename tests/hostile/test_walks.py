"""Issue 9, cases 5, 7 and 13: walks that the server would make loop, stop early or race end with
a clear error or complete, in a bounded number of requests (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.hostile.server import Script, message, room
from tests.hostile.test_items import past


@pytest.mark.timeout(60)
def test_case5_a_cursor_that_does_not_move_ends_the_walk_with_an_error(
    hostile: Any, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = past()
    script = Script(
        rooms=[room("R1", t0), room("R2", t0)],
        messages={
            "R1": [message(f"m{i:02}", "R1", t0 + i * 1000) for i in range(13)],
            "R2": [message("n1", "R2", t0)],
        },
        ignore_next=True,  # every `next` answers the first page again
    )
    h = hostile(script, message_page_size=5)
    with caplog.at_level(logging.ERROR, logger="etl.sync"):
        summary = h.run()
    assert summary.status == "partial"
    [error] = summary.errors
    assert error.startswith("room R1: chat.syncMessages (room R1, type=UPDATED): next=")
    assert "does not move the cursor (walk stopped after 2 requests)" in error
    assert any(error.split(": ", 1)[1] in r.getMessage() for r in caplog.records)
    r1 = [c for c in h.server.calls("chat.syncMessages") if c["roomId"] == "R1"]
    assert len(r1) == 2  # bounded: the repeat is seen on the second request
    # Honest counts: the first page's five rows (and R2's one), each once.
    stored = h.rows("messages")
    assert set(stored) == {f"m{i:02}" for i in range(5)} | {"n1"}
    assert summary.counts("messages").upserted == len(stored) == 6
    assert h.checkpoint("messages", "R1").status == "walking"  # resumes there next time
    assert h.run_row(summary.run_id).errors == summary.errors


def test_an_offset_that_does_not_move_ends_the_walk_with_an_error(hostile: Any) -> None:
    script = Script(lists={"users.list": [user(i) for i in range(30)]}, clamp=10)
    script.answer["users.list"] = lambda params, _n: {
        "users": [user(i) for i in range(10)], "total": 30, "success": True
    }  # fmt: skip
    h = hostile(script, page_size=10)
    summary = h.run(["users"])
    assert summary.status == "partial"
    assert summary.errors == [
        "users: users.list: offset 10 returned the page of offset 0 again; the server does not "
        "move through the list (walk stopped after 2 requests)"
    ]
    assert h.server.count("users.list") == 2


def user(i: int) -> dict[str, Any]:
    return {"_id": f"u{i:03}", "username": f"user{i}", "active": True, "type": "user"}


def setting(i: int) -> dict[str, Any]:
    return {"_id": f"Setting_{i:03}", "value": i}


def test_case7_a_total_that_lies_does_not_end_the_walk(hostile: Any) -> None:
    """Pages clamped to 100 with `total: 100` while 251 exist: paged (users.list) and count=0
    (settings.public) listings both read all 251, and stop on the short page."""
    script = Script(
        lists={
            "users.list": [user(i) for i in range(251)],
            "settings.public": [setting(i) for i in range(251)],
        },
        clamp=100,
        total_lies=True,
    )
    h = hostile(script, page_size=100)
    summary = h.run(["users", "settings"])
    assert summary.status == "ok", summary.errors
    assert len(h.rows("users")) == 251 and len(h.rows("settings")) == 251
    assert summary.counts("users").upserted == 251
    assert [c["offset"] for c in h.server.calls("users.list")] == ["0", "100", "200"]
    assert [(c["offset"], c["count"]) for c in h.server.calls("settings.public")] == [
        ("0", "0"),
        ("100", "100"),
        ("200", "100"),
    ]


def test_case7_a_count_zero_answer_is_confirmed_by_an_empty_page(hostile: Any) -> None:
    script = Script(lists={"settings.public": [setting(i) for i in range(40)]})
    h = hostile(script, page_size=100)
    assert h.run(["settings"]).status == "ok"
    assert len(h.rows("settings")) == 40
    assert [(c["offset"], c["count"]) for c in h.server.calls("settings.public")] == [
        ("0", "0"),
        ("40", "100"),
    ]


def test_case13_concurrent_walks_on_an_old_server_all_downgrade(hostile: Any) -> None:
    """No cursor mode (400 for `type`/`next`): the walks in flight when the first 400 arrives
    follow the downgrade instead of re-raising it."""
    t0 = past()
    rooms = [room(f"R{i}", t0) for i in range(6)]
    messages = {f"R{i}": [message(f"m{i}", f"R{i}", t0 + i)] for i in range(6)}
    script = Script(rooms=rooms, messages=messages, old_server=True, delay_s=0.3)
    h = hostile(script, concurrency=4)
    summary = h.run()
    assert summary.status == "ok", summary.errors
    assert set(h.rows("messages")) == {f"m{i}" for i in range(6)}
    calls = h.server.calls("chat.syncMessages")
    assert sum("type" in c for c in calls) <= 4  # only the walks in flight tried cursor mode
    assert sum("lastUpdate" in c for c in calls) == 6


def test_success_false_mid_walk_fails_the_room_clearly_and_the_next_run_resumes(
    hostile: Any,
) -> None:
    t0 = past()
    script = Script(
        rooms=[room("R1", t0), room("R2", t0)],
        messages={
            "R1": [message(f"m{i}", "R1", t0 + i * 1000) for i in range(6)],
            "R2": [message("n1", "R2", t0)],
        },
    )
    refuse = {"on": True}

    def answer(params: dict[str, str], _n: int) -> Any:
        if refuse["on"] and params["roomId"] == "R1" and params.get("next") not in ("0", None):
            return {"success": False, "error": "Internal server error"}
        return None

    script.answer["chat.syncMessages"] = answer
    h = hostile(script, message_page_size=3)
    summary = h.run(max_attempts=2)
    assert summary.status == "partial"
    [error] = summary.errors
    assert error == (
        "room R1: chat.syncMessages: HTTP 200: success:false on a 200 answer: Internal server error"
    )
    assert set(h.rows("messages")) == {"m0", "m1", "m2", "n1"}  # the page before is kept
    refuse["on"] = False
    again = h.run()
    assert again.status == "ok", again.errors
    assert set(h.rows("messages")) == {f"m{i}" for i in range(6)} | {"n1"}
    assert h.checkpoint("messages", "R1").status == "complete"
