"""Issue 9, case 6: a document dated in 2999 is kept, but no watermark passes the server's own
time (its Date header), so later changes still arrive (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.hostile.server import Script, iso, message, room
from tests.hostile.test_items import past

YEAR_2999_MS = int(datetime(2999, 12, 1, tzinfo=UTC).timestamp() * 1000)


def test_case6_a_future_timestamp_does_not_poison_the_watermarks(
    hostile: Any, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = past()
    future_room = {**room("R-future", t0), "_updatedAt": iso(YEAR_2999_MS)}
    script = Script(
        rooms=[room("R1", t0), future_room],
        messages={
            "R1": [
                message("m1", "R1", t0),
                message("m-future", "R1", YEAR_2999_MS, "from a server whose clock jumped"),
            ],
            "R-future": [],
        },
    )
    h = hostile(script)
    with caplog.at_level(logging.WARNING, logger="etl.sync"):
        first = h.run()
    assert first.status == "ok", first.errors
    assert set(h.rows("messages")) == {"m1", "m-future"}  # kept
    assert set(h.rows("rooms")) == {"R1", "R-future"}
    now_ms = time.time() * 1000
    assert h.checkpoint("messages", "R1").watermark_ms == t0
    assert h.checkpoint("rooms").watermark_ms == t0
    assert first.counts("messages").future_dated == 1 and first.counts("rooms").future_dated == 1
    record = h.run_row(first.run_id).counts
    assert record["messages"]["future_dated"] == 1 and record["rooms"]["future_dated"] == 1
    warnings = [r.getMessage() for r in caplog.records]
    expected = (
        "messages: 1 document(s) dated after the server's time (latest "
        "2999-12-01T00:00:00.000Z, e.g. m-future): kept;"
    )
    assert any(w.startswith(expected) for w in warnings), warnings
    # Later changes: a new message in R1 (the room moves) and a new room. Both arrive.
    t1 = int(now_ms) - 1000
    script.rooms[0] = room("R1", t1)
    script.rooms.append(room("R2", t1))
    script.messages["R1"].insert(1, message("m2", "R1", t1))
    script.messages["R2"] = [message("n1", "R2", t1)]
    second = h.run()
    assert second.status == "ok", second.errors
    assert set(h.rows("messages")) == {"m1", "m2", "m-future", "n1"}
    assert set(h.rows("rooms")) == {"R1", "R2", "R-future"}
    assert h.checkpoint("messages", "R1").watermark_ms == t1
    assert h.checkpoint("rooms").watermark_ms == t1


def test_case6_a_watermark_already_past_the_server_time_walks_the_room_again(
    hostile: Any,
) -> None:
    """A database poisoned by an earlier version (watermark in 2999) recovers."""
    from etl.state import Checkpoint, save_checkpoint

    t0 = past()
    script = Script(rooms=[room("R1", t0)], messages={"R1": [message("m1", "R1", t0)]})
    h = hostile(script)
    h.run(["rooms"])
    with h.engine.begin() as conn:
        save_checkpoint(conn, Checkpoint("messages", "R1", YEAR_2999_MS, status="walking"))
    summary = h.run()
    assert summary.status == "ok", summary.errors
    assert set(h.rows("messages")) == {"m1"}
    assert h.checkpoint("messages", "R1").watermark_ms == t0
