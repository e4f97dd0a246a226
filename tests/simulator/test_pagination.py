"""`getPaginationItems` quirks, `sort` validation, and the history endpoints that bypass them."""

from __future__ import annotations

from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client, room_of


def _general_visible(ws: Workspace) -> list[dict]:
    return [m for m in ws.ground_truth()["messages"].values() if m["rid"] == "GENERAL"]


def test_default_50_silent_clamp_100_and_count_zero_means_all(
    sim_workspace: Workspace, sim_server
) -> None:
    total = len(_general_visible(sim_workspace))
    assert total > 150
    with client(sim_server()) as api:
        get = lambda **p: api.get("channels.messages", params={"roomId": "GENERAL", **p}).json()  # noqa: E731
        default, clamped, everything = get(), get(count=500), get(count=0)
        paged = get(count=30, offset=total - 10)
    assert (default["count"], default["offset"], default["total"]) == (50, 0, total)
    assert clamped["count"] == 100 and len(clamped["messages"]) == 100
    assert everything["count"] == total == len(everything["messages"])
    assert paged["count"] == 10 and paged["offset"] == total - 10


def test_sort_is_validated_and_applied(sim_workspace: Workspace, sim_server) -> None:
    with client(sim_server()) as api:
        bad = api.get("channels.messages", params={"roomId": "GENERAL", "sort": '{"ts":2}'})
        broken = api.get("channels.messages", params={"roomId": "GENERAL", "sort": "{ts"})
        seen, offset = [], 0
        while True:  # offset pages in a stable order cover the room exactly once
            params = {
                "roomId": "GENERAL",
                "sort": '{"ts":1,"_id":1}',
                "count": 100,
                "offset": offset,
            }
            page = api.get("channels.messages", params=params).json()
            seen += page["messages"]
            offset += page["count"]
            if offset >= page["total"]:
                break
    for answer in (bad, broken):
        assert answer.status_code == 400
        assert answer.json()["errorType"] == "error-invalid-sort"
        assert answer.json()["error"].endswith("[error-invalid-sort]")
    assert [(m["ts"], m["_id"]) for m in seen] == sorted((m["ts"], m["_id"]) for m in seen)
    assert {m["_id"] for m in seen} == {m["_id"] for m in _general_visible(sim_workspace)}


def test_channel_history_hides_thread_replies_unless_asked(
    sim_workspace: Workspace, sim_server
) -> None:
    visible = _general_visible(sim_workspace)
    main = [m for m in visible if "tmid" not in m or m.get("tshow")]
    with client(sim_server()) as api:
        default = api.get("channels.history", params={"roomId": "GENERAL", "count": 0}).json()
        threads = api.get(
            "channels.history",
            params={"roomId": "GENERAL", "count": 0, "showThreadMessages": "true"},
        ).json()
        small = api.get("channels.history", params={"roomId": "GENERAL"}).json()
        capped = api.get("channels.history", params={"roomId": "GENERAL", "count": 300}).json()
    assert set(default) == {"messages", "success"}  # no count/offset/total
    assert {m["_id"] for m in default["messages"]} == {m["_id"] for m in main}
    assert {m["_id"] for m in threads["messages"]} == {m["_id"] for m in visible}
    assert len(small["messages"]) == 50 and len(capped["messages"]) == 100
    stamps = [m["ts"] for m in default["messages"]]
    assert stamps == sorted(stamps, reverse=True)


def test_history_window_latest_oldest_inclusive(sim_workspace: Workspace, sim_server) -> None:
    main = sorted(
        (m for m in _general_visible(sim_workspace) if "tmid" not in m or m.get("tshow")),
        key=lambda m: m["ts"],
    )
    oldest, latest = main[10]["ts"], main[20]["ts"]
    with client(sim_server()) as api:
        window = {"roomId": "GENERAL", "oldest": oldest, "latest": latest, "count": 0}
        exclusive = api.get("channels.history", params=window).json()["messages"]
        inclusive = api.get("channels.history", params={**window, "inclusive": "true"}).json()[
            "messages"
        ]
        false_str = api.get("channels.history", params={**window, "inclusive": "false"}).json()[
            "messages"
        ]
    assert all(oldest < m["ts"] < latest for m in exclusive)
    assert all(oldest <= m["ts"] <= latest for m in inclusive)
    assert len(inclusive) >= len(exclusive) + 2 and false_str == exclusive


def test_groups_history_default_20_uncapped_with_replies(
    sim_workspace: Workspace, sim_server
) -> None:
    admin = sim_workspace.credentials["admin"]["user_id"]
    counts = {
        r["_id"]: sim_workspace.messages.count_visible(r["_id"])
        for r in sim_workspace.rooms.values()
        if r["t"] == "p" and sim_workspace.is_subscribed(admin, r["_id"])
    }
    rid = max(counts, key=counts.get)
    replies = [
        m
        for m in sim_workspace.ground_truth()["messages"].values()
        if m["rid"] == rid and "tmid" in m
    ]
    assert counts[rid] > 100 and replies
    with client(sim_server()) as api:
        get = lambda **p: api.get("groups.history", params={"roomId": rid, **p}).json()["messages"]  # noqa: E731
        default, big, zero = get(), get(count=counts[rid]), get(count=0)
        hidden_replies = get(count=counts[rid], showThreadMessages="false")
    assert len(default) == 20 and len(zero) == 20  # count=0 falls back to 20 on the typed version
    assert len(big) == counts[rid]  # no cap at 100
    assert {m["_id"] for m in replies} <= {m["_id"] for m in big}
    assert not [m for m in hidden_replies if "tmid" in m and not m.get("tshow")]


def test_listing_endpoints_are_paged(sim_workspace: Workspace, sim_server) -> None:
    with client(sim_server()) as api:
        users = api.get("users.list", params={"count": 5}).json()
        everyone = api.get("users.list", params={"count": 0}).json()
        channels = api.get("channels.list", params={"count": 2, "offset": 1}).json()
        rooms = api.get("rooms.adminRooms", params={"count": 0}).json()
        typed = api.get("rooms.adminRooms", params=[("types[]", "d"), ("count", 0)]).json()
    assert users["count"] == 5 and users["total"] == len(sim_workspace.users) == everyone["count"]
    assert channels["count"] == 2 and channels["offset"] == 1
    assert rooms["total"] == len(sim_workspace.rooms)
    assert all(
        "_updatedAt" not in r and "lastMessage" not in r and "lm" not in r for r in rooms["rooms"]
    )
    assert {r["t"] for r in typed["rooms"]} == {"d"}
    assert room_of(sim_workspace, lambda r: r["t"] == "d")["_id"] in {
        r["_id"] for r in typed["rooms"]
    }


def test_hidden_system_message_types_are_filtered_from_history(
    sim_workspace: Workspace, sim_server
) -> None:
    joins = [m for m in _general_visible(sim_workspace) if m.get("t") == "uj"]
    sim_workspace.mutate.set_setting("Hide_System_Messages", ["uj"])
    with client(sim_server()) as api:
        history = api.get("channels.history", params={"roomId": "GENERAL", "count": 0}).json()
        messages = api.get("channels.messages", params={"roomId": "GENERAL", "count": 0}).json()
    assert joins and not [m for m in history["messages"] if m.get("t") == "uj"]
    assert len([m for m in messages["messages"] if m.get("t") == "uj"]) == len(joins)
