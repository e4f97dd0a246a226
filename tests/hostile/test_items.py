"""Issue 9, cases 1-4: what a server returns is stored or quarantined with its reason and raw
text; a bad item never costs its page, its room or the run (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from typing import Any

import orjson

from tests.hostile.server import Script, iso, message, room


def past(hours: float = 2) -> int:
    return int(time.time() * 1000 - hours * 3_600_000)


def body_with(updated: list[Any], placeholder: bytes, replacement: bytes) -> bytes:
    """A chat.syncMessages page whose JSON text holds what orjson would never write."""
    body = {"result": {"updated": updated, "cursor": {"next": None}}, "success": True}
    return orjson.dumps(body).replace(placeholder, replacement)


def test_case1_bad_items_are_quarantined_and_their_page_is_stored(hostile: Any) -> None:
    t0 = past()
    good = [message(f"m{i}", "R1", t0 + i * 1000) for i in range(5)]
    junk = [
        {"rid": "R1", "msg": "no id", "_updatedAt": iso(t0 + 1500)},
        {**message("x", "R1", t0 + 2500), "_id": ["a", "list"]},
        42,
        "text",
        None,
        {**message("m-bad-date", "R1", t0 + 3500), "_updatedAt": "not-a-date"},
        {**message("x", "R1", t0 + 3600), "_id": 12345},
    ]
    items = [good[0], junk[0], good[1], junk[1], junk[2], good[2], junk[3], junk[4]]
    items += [good[3], junk[5], junk[6], good[4]]
    script = Script(
        rooms=[room("R1", t0), room("R2", t0)],
        messages={"R1": items, "R2": [message("n1", "R2", t0 + 10)]},
    )
    h = hostile(script, message_page_size=4)
    summary = h.run()
    assert summary.status == "ok", summary.errors
    assert set(h.rows("messages")) == {"m0", "m1", "m2", "m3", "m4", "n1"}
    rows = h.quarantine()
    assert summary.counts("messages").quarantined == len(rows) == 7
    assert {row.resource for row in rows} == {"messages"}
    assert {row.run_id for row in rows} == {summary.run_id}
    reasons = [row.reason for row in rows]
    assert "missing '_id'" in reasons
    assert "'_id' is list ['a', 'list'], not a string" in reasons
    assert "'_id' is int 12345, not a string" in reasons
    for kind in ("int", "str", "NoneType"):
        assert f"item is not an object but {kind}" in reasons
    dated = next(row for row in rows if row.record_id == "m-bad-date")
    assert "'_updatedAt' is not a date" in dated.reason and "not-a-date" in dated.raw
    assert any(row.raw == '"text"' for row in rows) and any(row.raw == "42" for row in rows)
    assert h.checkpoint("messages", "R1").status == "complete"
    assert h.run_row(summary.run_id).counts["messages"]["quarantined"] == 7
    # The room is level: the next run has nothing to redo and nothing fails.
    again = h.run()
    assert again.status == "ok" and not again.errors


def test_case1_a_lone_surrogate_costs_only_its_own_item(hostile: Any) -> None:
    t0 = past()
    r1 = [
        message("a1", "R1", t0),
        message("a-sur", "R1", t0 + 1, "SURROGATE"),
        message("a2", "R1", t0 + 2),
    ]
    r2 = [message("b1", "R2", t0), message("b-bytes", "R2", t0 + 1, "NOTUTF8")]
    bodies = {
        "R1": body_with(r1, b"SURROGATE", b"bad \\ud800 text"),  # Node writes this, orjson refuses
        "R2": body_with(r2, b"NOTUTF8", b"bad \xff byte"),
    }
    script = Script(rooms=[room("R1", t0), room("R2", t0)])

    def answer(params: dict[str, str], _n: int) -> bytes | None:
        return bodies[params["roomId"]] if params.get("type") == "UPDATED" else None

    script.answer["chat.syncMessages"] = answer
    h = hostile(script)
    summary = h.run()
    assert summary.status == "ok", summary.errors
    assert set(h.rows("messages")) == {"a1", "a2", "b1"}
    rows = {row.record_id: row for row in h.quarantine()}
    assert set(rows) == {"a-sur", "b-bytes"}
    assert "not valid Unicode" in rows["a-sur"].reason and "\\ud800" in rows["a-sur"].raw
    assert "not valid Unicode" in rows["b-bytes"].reason and "\\udcff" in rows["b-bytes"].raw
    assert summary.counts("messages").quarantined == 2


def test_case1_an_undecodable_page_is_retried_quarantined_whole_and_fails_its_room(
    hostile: Any,
) -> None:
    t0 = past()
    deep = b"[" * 1100 + b"]" * 1100  # deeper than orjson's 1024 levels (and the stdlib's)
    script = Script(
        rooms=[room("R1", t0), room("R2", t0)],
        messages={"R2": [message("b1", "R2", t0)]},
    )

    def answer(params: dict[str, str], _n: int) -> bytes | None:
        if params.get("roomId") == "R1" and params.get("type") == "UPDATED":
            return body_with([message("a1", "R1", t0, "DEEP")], b'"DEEP"', deep)
        return None

    script.answer["chat.syncMessages"] = answer
    h = hostile(script)
    summary = h.run(max_attempts=3)
    assert summary.status == "partial"
    assert set(h.rows("messages")) == {"b1"}
    [error] = summary.errors
    assert error.startswith("room R1: chat.syncMessages: HTTP 200:") and "depth limit" in error
    [row] = h.quarantine()
    assert row.resource == "messages" and row.record_id is None
    assert row.reason.startswith("undecodable body from chat.syncMessages {")
    assert "'roomId': 'R1'" in row.reason and "'type': 'UPDATED'" in row.reason
    assert row.raw.startswith('{"result":{"updated":[{') and "[[[[" in row.raw
    assert summary.counts("messages").quarantined == 1
    updated_r1 = [c for c in h.server.calls("chat.syncMessages") if c["roomId"] == "R1"]
    assert len(updated_r1) == 3  # retried, then given up: bounded
    assert h.run_row(summary.run_id).errors == summary.errors


def test_case2_a_timestamp_of_1e300_is_quarantined_not_a_crash(hostile: Any) -> None:
    t0 = past()
    script = Script(
        rooms=[room("R1", t0), {**room("R-far", t0), "_updatedAt": 1e300}],
        messages={
            "R1": [
                message("m1", "R1", t0),
                {**message("m-far", "R1", t0 + 1), "_updatedAt": 1e300},
                message("m2", "R1", t0 + 2),
            ]
        },
    )
    h = hostile(script)
    summary = h.run()
    assert summary.status == "ok", summary.errors
    assert h.run_row(summary.run_id).status == "ok"
    assert set(h.rows("rooms")) == {"R1"} and set(h.rows("messages")) == {"m1", "m2"}
    rows = {row.record_id: row for row in h.quarantine()}
    assert set(rows) == {"R-far", "m-far"}
    assert rows["m-far"].reason == "'_updatedAt' is not a date between 1970 and 9999: 1e+300"
    assert rows["R-far"].resource == "rooms" and "1e+300" in rows["R-far"].raw
    assert h.checkpoint("messages", "R1").watermark_ms == t0 + 2


def test_case3_empty_and_missing_ids_are_quarantined_never_dropped(hostile: Any) -> None:
    t0 = past()
    no_id = room("x", t0)
    del no_id["_id"]
    script = Script(
        rooms=[room("R1", t0), no_id, {**room("y", t0), "_id": ""}],
        messages={"R1": [message("m1", "R1", t0), {**message("x", "R1", t0 + 1), "_id": ""}]},
    )
    h = hostile(script)
    summary = h.run()
    assert summary.status == "ok", summary.errors
    assert set(h.rows("rooms")) == {"R1"} and set(h.rows("messages")) == {"m1"}
    found = sorted((row.resource, row.reason) for row in h.quarantine())
    # rooms.get and channels.list both list the bad rooms: each is quarantined once
    assert found == [
        ("messages", "empty '_id'"),
        ("rooms", "empty '_id'"),
        ("rooms", "missing '_id'"),
    ]
    assert summary.counts("rooms").quarantined == 2
    assert summary.counts("messages").quarantined == 1


def test_case4_a_string_in_the_rooms_update_list_is_quarantined(hostile: Any) -> None:
    t0 = past()
    script = Script(
        rooms=[room("R1", t0), "GENERAL", room("R2", t0)],
        messages={"R1": [message("m1", "R1", t0)], "R2": [message("m2", "R2", t0)]},
    )
    h = hostile(script)
    summary = h.run()
    assert summary.status == "ok", summary.errors
    assert set(h.rows("rooms")) == {"R1", "R2"}
    assert set(h.rows("messages")) == {"m1", "m2"}
    rows = h.quarantine()
    assert {(r.resource, r.reason, r.raw) for r in rows} == {
        ("rooms", "item is not an object but str", '"GENERAL"')
    }


def test_duplicates_in_a_page_count_once_and_the_last_version_wins(hostile: Any) -> None:
    t0 = past()
    items = [message("m1", "R1", t0, "first"), message("m1", "R1", t0 + 1, "second")]
    items.append(message("m2", "R1", t0 + 2))
    h = hostile(Script(rooms=[room("R1", t0)], messages={"R1": items}))
    summary = h.run()
    assert summary.counts("messages").upserted == 2
    assert h.rows("messages")["m1"]["msg"] == "second"
