"""`chat.syncMessages` in both modes, its errors, its strict cursors and its DELETED sort quirk."""

from __future__ import annotations

import pytest

from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client, sync_all, unreadable_dm


def _sync(api, **params):
    return api.get("chat.syncMessages", params={"roomId": "GENERAL", **params})


def test_cursor_walk_returns_every_live_message_once(sim_workspace: Workspace, sim_server) -> None:
    truth = sim_workspace.ground_truth()["messages"]
    with client(sim_server()) as api:
        walked = sync_all(api, "GENERAL", count=1000)
        first = _sync(api, type="UPDATED", next="0").json()["result"]
        zero = _sync(api, type="UPDATED", next="0", count=0).json()["result"]
        big = _sync(api, type="UPDATED", next="0", count=5000).json()["result"]
    expected = {mid for mid, m in truth.items() if m["rid"] == "GENERAL"}
    assert [m["_id"] for m in walked if m["_id"] not in expected] == []
    assert {m["_id"] for m in walked} == expected
    assert len(first["updated"]) == 20 and len(zero["updated"]) == 20  # default 20, 0 → 20
    assert len(big["updated"]) == len(expected) and big["cursor"]["next"] is None  # no cap
    stamps = [m["_updatedAt"] for m in walked]
    assert stamps == sorted(stamps)
    assert first["cursor"]["next"] is not None and first["cursor"]["previous"] is not None


def test_strict_gt_cursor_skips_ties_at_the_page_cut(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    server = sim_server()
    author = ws.credentials["admin"]["user_id"]
    ws.clock.advance(5)
    ws.clock.freeze()
    tied = [ws.mutate.post_message("GENERAL", author, f"tie {i}")["_id"] for i in range(3)]
    ws.clock.unfreeze()
    with client(server) as api:
        watermark = str(ws.messages.by_id[tied[0]].upd - 1)
        page = _sync(api, type="UPDATED", next=watermark, count=1).json()["result"]
        after = _sync(api, type="UPDATED", next=page["cursor"]["next"], count=100).json()["result"]
    assert len(page["updated"]) == 1 and page["updated"][0]["_id"] in tied
    assert page["cursor"]["next"] == str(ws.messages.by_id[tied[0]].upd)
    assert after["updated"] == []  # the two other tied messages were skipped


def test_last_update_mode_returns_changes_and_deletions(
    sim_workspace: Workspace, sim_server
) -> None:
    ws = sim_workspace
    server = sim_server()
    admin = ws.credentials["admin"]["user_id"]
    since = ws.clock.now_iso()
    ws.clock.advance(1)
    parent = ws.mutate.post_message("GENERAL", admin, "parent")
    reply = ws.mutate.post_message("GENERAL", admin, "reply", tmid=parent["_id"])
    doomed = ws.mutate.post_message("GENERAL", admin, "doomed")
    ws.mutate.delete_message(doomed["_id"], admin)
    with client(server) as api:
        result = _sync(api, lastUpdate=since).json()["result"]
    assert {m["_id"] for m in result["updated"]} == {parent["_id"], reply["_id"]}
    assert [d["_id"] for d in result["deleted"]] == [doomed["_id"]]
    assert "cursor" not in result


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "error-param-required"),
        ({"lastUpdate": "yesterday"}, "error-lastUpdate-param-invalid"),
        ({"type": "UPDATED", "next": "1", "previous": "2"}, "error-cursor-conflict"),
        (
            {"lastUpdate": "2020-01-01T00:00:00.000Z", "next": "1", "type": "UPDATED"},
            "error-cursor-and-lastUpdate-conflict",
        ),
        ({"lastUpdate": "2020-01-01T00:00:00.000Z", "next": "1"}, "error-type-param-required"),
        ({"type": "UPDATED", "bogus": "1"}, "invalid-params"),
        ({"type": "SOMETHING", "next": "0"}, "invalid-params"),
    ],
)
def test_errors_have_real_codes(sim_server, params: dict, code: str) -> None:
    with client(sim_server()) as api:
        answer = _sync(api, **params)
    assert answer.status_code == 400
    body = answer.json()
    assert (
        body["success"] is False
        and body["errorType"] == code
        and body["error"].endswith(f"[{code}]")
    )


def test_type_without_cursor_is_empty_and_no_access_is_refused(sim_workspace, sim_server) -> None:
    with client(sim_server()) as api:
        empty = _sync(api, type="UPDATED").json()
        denied = api.get(
            "chat.syncMessages",
            params={"roomId": unreadable_dm(sim_workspace)["_id"], "type": "UPDATED", "next": "0"},
        )
    assert empty["result"] == {"updated": [], "deleted": []}
    assert denied.status_code == 400 and denied.json()["errorType"] == "error-not-allowed"


def test_deleted_cursor_sorts_by_updated_at_and_skips(sim_workspace: Workspace, sim_server) -> None:
    """15 deletions paged two at a time come back incomplete, as the source predicts."""
    ws = sim_workspace
    server = sim_server()
    admin = ws.credentials["admin"]["user_id"]
    room = ws.mutate.create_room("c", "deletions", admin, [])
    posted = []
    for i in range(15):
        ws.clock.advance(0.01)
        posted.append(ws.mutate.post_message(room["_id"], admin, f"m{i}")["_id"])
    for i, mid in enumerate(reversed(posted)):  # _updatedAt order is the reverse of deletion order
        ws.clock.advance(0.01 * (i + 1))
        ws.mutate.delete_message(mid, admin)
    with client(server) as api:
        seen, nxt = [], "0"
        while nxt is not None:
            params = {"roomId": room["_id"], "type": "DELETED", "next": nxt, "count": 2}
            result = api.get("chat.syncMessages", params=params).json()["result"]
            seen += [d["_id"] for d in result["deleted"]]
            nxt = result["cursor"]["next"]
        whole = api.get(
            "chat.syncMessages",
            params={"roomId": room["_id"], "type": "DELETED", "next": "0", "count": 100},
        ).json()["result"]["deleted"]
        ids = api.get(
            "chat.getDeletedMessages",
            params={"roomId": room["_id"], "since": "2000-01-01T00:00:00Z"},
        )
    assert len(set(seen)) < 15
    assert {d["_id"] for d in whole} == set(posted)
    assert {m["_id"] for m in ids.json()["messages"]} == set(posted) and ids.json()["total"] == 15


def test_previous_cursor_walks_backwards(sim_server) -> None:
    with client(sim_server()) as api:
        newest = _sync(api, type="UPDATED", next="0", count=5000).json()["result"]["updated"]
        back = _sync(api, type="UPDATED", previous="99999999999999", count=3).json()["result"]
    stamps = [m["_updatedAt"] for m in back["updated"]]
    assert len(stamps) == 3 and stamps == sorted(stamps, reverse=True)
    assert stamps[0] == newest[-1]["_updatedAt"]
    assert back["cursor"]["next"] is not None and back["cursor"]["previous"] is not None
