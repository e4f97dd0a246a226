"""The generated workspace holds what a real one holds, with real id formats, deterministically."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from etl.simulator import build_workspace
from etl.simulator.clock import iso
from etl.simulator.ids import ALPHABET
from etl.simulator.workspace import Workspace
from tests.simulator.helpers import ISO_MS_Z, client

RANDOM_ID = re.compile(f"^[{ALPHABET}]{{17}}$")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def test_same_seed_same_workspace_and_other_seed_differs() -> None:
    first = build_workspace(seed=7, size="tiny", now_ms=1_790_000_000_000).ground_truth()
    again = build_workspace(seed=7, size="tiny", now_ms=1_790_000_000_000).ground_truth()
    other = build_workspace(seed=8, size="tiny", now_ms=1_790_000_000_000).ground_truth()
    assert first == again
    assert set(first["messages"]) != set(other["messages"])


def test_ids_follow_the_real_formats(sim_workspace: Workspace) -> None:
    truth = sim_workspace.ground_truth()
    assert all(RANDOM_ID.match(mid) for mid in truth["messages"])
    assert "GENERAL" in truth["rooms"] and "rocket.cat" in truth["users"]
    users = [u for u in truth["users"] if u != "rocket.cat"]
    assert all(RANDOM_ID.match(uid) for uid in users)
    dms = [r for r in truth["rooms"].values() if r["t"] == "d"]
    one_to_one = [r for r in dms if len(r["uids"]) == 2]
    assert one_to_one and all(r["_id"] == "".join(sorted(r["uids"])) for r in one_to_one)
    group_dms = [r for r in dms if len(r["uids"]) > 2]
    assert group_dms and all(OBJECT_ID.match(r["_id"]) for r in group_dms)
    assert truth["history_clones"] and all(OBJECT_ID.match(mid) for mid in truth["history_clones"])
    assert {"admin", "user", "bot", "owner", "moderator"} <= set(truth["roles"])
    assert all(pid == p["_id"] for pid, p in truth["permissions"].items())


def test_messages_have_every_realistic_shape(sim_workspace: Workspace) -> None:
    docs = list(sim_workspace.ground_truth()["messages"].values())
    has = lambda key: [d for d in docs if key in d]  # noqa: E731
    assert has("tmid") and has("tcount") and has("tlm") and has("replies")
    assert [d for d in docs if d.get("tshow")]
    kinds = Counter(d.get("t") for d in docs)
    assert {"uj", "discussion-created", "rm"} <= set(kinds) and len(kinds) >= 6
    assert has("reactions") and has("urls") and has("attachments") and has("file") and has("files")
    assert [d for d in docs if any(m.get("type") == "user" for m in d.get("mentions", []))]
    assert [d for d in docs if d.get("channels")]
    assert has("editedAt") and has("editedBy") and has("pinned") and has("starred") and has("md")
    assert has("drid") and has("dcount") and has("dlm")
    assert [d for d in docs if "\x00" in d["msg"]]
    assert max(len(d["msg"]) for d in docs) >= 64_000
    assert [d for d in docs if any(ord(c) > 0xFFFF for c in d["msg"])]  # emoji, astral planes
    assert [d for d in docs if any("\u0590" <= c <= "\u06ff" for c in d["msg"])]  # right-to-left
    ts_ties = Counter((d["rid"], d["ts"]) for d in docs)
    upd_ties = Counter((d["rid"], d["_updatedAt"]) for d in docs)
    assert max(ts_ties.values()) >= 3 and max(upd_ties.values()) >= 3


def test_rooms_teams_and_trash(sim_workspace: Workspace) -> None:
    truth = sim_workspace.ground_truth()
    rooms = list(truth["rooms"].values())
    assert {"c", "p", "d", "l"} == {r["t"] for r in rooms}
    assert [r for r in rooms if r.get("prid")] and [r for r in rooms if r.get("archived")]
    assert [r for r in rooms if r.get("ro")] and [r for r in rooms if r.get("teamMain")]
    assert [r for r in rooms if r.get("teamId") and not r.get("teamMain")]
    assert all(k in truth["rooms"]["GENERAL"] for k in ("lm", "lastMessage", "msgs", "usersCount"))
    assert {t["type"] for t in truth["teams"].values()} == {0, 1}
    users = list(truth["users"].values())
    assert [u for u in users if not u["active"]] and [u for u in users if u["type"] == "bot"]
    for name in ("messages", "rooms", "custom_emoji", "roles", "users", "subscriptions"):
        assert truth["trash"][name], name
        for doc in truth["trash"][name].values():
            assert ISO_MS_Z.match(doc["_deletedAt"]) and doc["__collection__"]
    assert truth["hidden_messages"] and all(d["_hidden"] for d in truth["hidden_messages"].values())
    known = (
        truth["messages"].keys()
        | truth["hidden_messages"].keys()
        | truth["trash"]["messages"].keys()
    )
    assert all(d["parent"] in known for d in truth["history_clones"].values())


def test_admin_is_not_in_every_private_room(sim_workspace: Workspace) -> None:
    admin = sim_workspace.credentials["admin"]["user_id"]
    readable = sim_workspace.readable_room_ids(admin)
    private = [r for r in sim_workspace.rooms.values() if r["t"] in "pd"]
    assert [r for r in private if r["_id"] not in readable and r["t"] == "p"]
    assert [r for r in private if r["_id"] not in readable and r["t"] == "d"]


def test_dates_on_the_wire_are_iso_utc_milliseconds(sim_server) -> None:
    server = sim_server()
    with client(server) as api:
        body = api.get("channels.messages", params={"roomId": "GENERAL", "count": 100}).text
    dates = re.findall(r'"(?:ts|_updatedAt|editedAt|tlm|pinnedAt)":"([^"]*)"', body)
    assert dates and all(ISO_MS_Z.match(d) for d in dates)
    assert "$date" not in body


def _dates(value: object, path: str = "") -> list[tuple[str, str]]:
    """Every ISO date anywhere in a document, with its key path."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _dates(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [pair for v in value for pair in _dates(v, path)]
    if isinstance(value, str) and ISO_MS_Z.match(value):
        return [(path, value)]
    return []


@pytest.mark.parametrize("size", ["tiny", "small"])
@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11, 42])
def test_nothing_generated_is_later_than_the_clock(seed: int, size: str) -> None:
    """A real server holds no documents from the future: writes made "now" must sort after every
    generated `ts`, `_updatedAt`, `_deletedAt`, `lm`, `tlm` (any date, in every collection)."""
    now = 1_790_000_000_000
    ws = build_workspace(seed=seed, size=size, now_ms=now)
    limit = iso(now)
    late = [
        (name, path, value)
        for name, docs in ws.ground_truth().items()
        for path, value in _dates(docs)
        if value > limit
    ]
    assert not late, late[:5]
    assert ws.clock.now() >= now


def test_generated_rooms_move_only_as_a_real_server_moves_them() -> None:
    """A room's `_updatedAt` follows its new messages and deletions, not edits of older messages:
    in a small workspace some room has a message edited after the room last moved."""
    ws = build_workspace(seed=3, size="small", now_ms=1_790_000_000_000)
    truth = ws.ground_truth()
    newest: dict[str, str] = {}
    edited_later = set()
    for doc in truth["messages"].values():
        room = truth["rooms"].get(doc["rid"])
        if room is None:
            continue
        newest[doc["rid"]] = max(newest.get(doc["rid"], ""), doc["ts"])
        if doc.get("editedAt") and doc["_updatedAt"] > room["_updatedAt"]:
            edited_later.add(doc["rid"])
    assert all(truth["rooms"][rid]["_updatedAt"] >= ts for rid, ts in newest.items())
    assert edited_later
