"""Live writes as the sync engine sees them over HTTP: deletions, edits, counters, trash expiry."""

from __future__ import annotations

import time

import httpx
import pytest

from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client

RM_FIELDS = {"msg": "", "t": "rm", "urls": [], "mentions": [], "attachments": [], "reactions": {}}


def _since(api: httpx.Client, since: str, rid: str = "GENERAL") -> dict:
    return api.get("chat.syncMessages", params={"roomId": rid, "lastUpdate": since}).json()[
        "result"
    ]


@pytest.mark.parametrize(
    ("keep", "show", "outcome"),
    [
        (False, False, "trash"),
        (False, True, "rm"),
        (True, True, "rm+clone"),
        (True, False, "hidden"),
    ],
)
def test_four_deletion_behaviours(
    sim_workspace: Workspace, sim_server, keep, show, outcome
) -> None:
    ws = sim_workspace
    admin = ws.credentials["admin"]["user_id"]
    doc = ws.mutate.post_message("GENERAL", admin, "to delete", tshow=False)
    ws.mutate.react(doc["_id"], admin, ":tada:")
    since = ws.clock.now_iso()
    ws.clock.advance(1)
    ws.mutate.delete_message(doc["_id"], admin, keep_history=keep, show_deleted_status=show)
    with client(sim_server()) as api:
        delta = _since(api, since)
        gone = api.get(
            "chat.getDeletedMessages", params={"roomId": "GENERAL", "since": since}
        ).json()
        listed = api.get("channels.messages", params={"roomId": "GENERAL", "count": 0}).json()[
            "messages"
        ]
    truth = ws.ground_truth()
    updated = {m["_id"]: m for m in delta["updated"]}
    deleted = {d["_id"] for d in delta["deleted"]}
    listed_ids = {m["_id"] for m in listed}
    if outcome == "trash":
        assert doc["_id"] in deleted and doc["_id"] not in updated
        assert [m["_id"] for m in gone["messages"]] == [doc["_id"]]
        assert truth["trash"]["messages"][doc["_id"]]["__collection__"] == "message"
    elif outcome in ("rm", "rm+clone"):
        removed = updated[doc["_id"]]
        assert {k: removed[k] for k in RM_FIELDS} == RM_FIELDS
        assert "md" not in removed and removed["editedBy"]["_id"] == admin
        assert removed["_updatedAt"] > since and not deleted and gone["total"] == 0
        clones = [c for c in truth["history_clones"].values() if c["parent"] == doc["_id"]]
        assert len(clones) == (1 if outcome == "rm+clone" else 0)
        assert not [c for c in clones if c["_id"] in listed_ids]
    else:  # `_hidden` only: invisible to every incremental read, and not in the trash
        assert doc["_id"] not in updated and not deleted and gone["total"] == 0
        assert doc["_id"] not in listed_ids
        assert truth["hidden_messages"][doc["_id"]]["_hidden"] is True


def test_writes_bump_updated_at_and_counters(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    admin = ws.credentials["admin"]["user_id"]
    server = sim_server()
    with client(server) as api:
        room_before = api.get("rooms.info", params={"roomId": "GENERAL"}).json()["room"]
        ws.clock.advance(1)
        parent = ws.mutate.post_message("GENERAL", admin, "root")
        ws.clock.advance(1)
        reply = ws.mutate.post_message("GENERAL", admin, "reply", tmid=parent["_id"], tshow=True)
        after_reply = api.get("chat.getMessage", params={"msgId": parent["_id"]}).json()["message"]
        room_after = api.get("rooms.info", params={"roomId": "GENERAL"}).json()["room"]
        ws.clock.advance(1)
        for write in (
            lambda: ws.mutate.edit_message(parent["_id"], admin, "root v2"),
            lambda: ws.mutate.react(parent["_id"], admin, ":eyes:"),
            lambda: ws.mutate.pin(parent["_id"], admin),
            lambda: ws.mutate.star(parent["_id"], admin),
            lambda: ws.mutate.unreact(parent["_id"], admin, ":eyes:"),
        ):
            before = ws.messages.by_id[parent["_id"]].upd
            ws.clock.advance(0.01)
            write()
            assert ws.messages.by_id[parent["_id"]].upd > before
        final = api.get("chat.getMessage", params={"msgId": parent["_id"]}).json()["message"]
        ws.clock.advance(1)
        ws.mutate.delete_message(reply["_id"], admin)
        decremented = api.get("chat.getMessage", params={"msgId": parent["_id"]}).json()["message"]
    assert after_reply["tcount"] == 1 and after_reply["tlm"] == reply["ts"]
    assert after_reply["replies"] == [admin] and after_reply["_updatedAt"] == reply["ts"]
    assert room_after["msgs"] == room_before["msgs"] + 2
    assert room_after["lm"] == reply["ts"] and room_after["lastMessage"]["_id"] == reply["_id"]
    assert room_after["_updatedAt"] > room_before["_updatedAt"]
    assert final["msg"] == "root v2" and final["pinned"] is True and "editedAt" in final
    assert final["starred"] == [{"_id": admin}] and ":eyes:" not in final.get("reactions", {})
    assert decremented["tcount"] == 0 and decremented["_updatedAt"] > final["_updatedAt"]


def test_thread_parents_always_keep_history(sim_workspace: Workspace) -> None:
    ws = sim_workspace
    admin = ws.credentials["admin"]["user_id"]
    parent = ws.mutate.post_message("GENERAL", admin, "root")
    ws.mutate.post_message("GENERAL", admin, "reply", tmid=parent["_id"])
    ws.mutate.delete_message(parent["_id"], admin, keep_history=False, show_deleted_status=False)
    truth = ws.ground_truth()
    assert truth["messages"][parent["_id"]]["t"] == "rm"
    assert [c for c in truth["history_clones"].values() if c["parent"] == parent["_id"]]


def test_room_lifecycle_and_directory_writes(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    admin, user = ws.credentials["admin"]["user_id"], ws.credentials["user"]["user_id"]
    room = ws.mutate.create_room("p", "project-x", admin, [user])
    msg = ws.mutate.post_message(room["_id"], user, "hello")
    ws.mutate.rename_room(room["_id"], "project-y")
    ws.mutate.archive_room(room["_id"])
    since = ws.clock.now_iso()
    ws.clock.advance(1)
    emoji = ws.mutate.add_emoji("party", aliases=["p"])
    role = ws.mutate.add_role("auditor")
    ws.mutate.delete_emoji(emoji["_id"])
    ws.mutate.delete_role(role["_id"])
    newcomer = ws.mutate.add_user("new.person", password="secret")
    ws.mutate.delete_room(room["_id"])
    with client(sim_server()) as api:
        rooms = api.get("rooms.get", params={"updatedSince": since}).json()
        emojis = api.get("emoji-custom.list", params={"updatedSince": since}).json()["emojis"]
        roles = api.get("roles.sync", params={"updatedSince": since}).json()["roles"]
        ids = api.get(
            "chat.getDeletedMessages", params={"roomId": room["_id"], "since": since}
        ).json()
        login = httpx.post(
            f"{api.base_url}login", json={"user": "new.person", "password": "secret"}
        )
    truth = ws.ground_truth()
    assert truth["trash"]["rooms"][room["_id"]]["name"] == "project-y"
    assert truth["trash"]["rooms"][room["_id"]]["archived"] is True
    assert msg["_id"] in truth["trash"]["messages"] and {m["_id"] for m in ids["messages"]} >= {
        msg["_id"]
    }
    assert room["_id"] in {r["_id"] for r in rooms["remove"]}
    assert [e["_id"] for e in emojis["remove"]] == [emoji["_id"]] and emojis["remove"][0][
        "name"
    ] == "party"
    assert [r["_id"] for r in roles["remove"]] == [role["_id"]] and roles["update"] == []
    assert login.status_code == 200 and login.json()["data"]["userId"] == newcomer["_id"]
    with pytest.raises(ValueError, match="protected"):
        ws.mutate.delete_role("admin")


def test_trash_expires_on_the_simulated_clock(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    with client(sim_server()) as api:
        before = api.get(
            "chat.getDeletedMessages", params={"roomId": "GENERAL", "since": "2000-01-01T00:00:00Z"}
        )
        ws.clock.advance(31 * 86_400)
        after = api.get(
            "chat.getDeletedMessages", params={"roomId": "GENERAL", "since": "2000-01-01T00:00:00Z"}
        )
        roles = api.get("roles.sync", params={"updatedSince": "2000-01-01T00:00:00Z"}).json()[
            "roles"
        ]
    assert before.json()["total"] > 0 and after.json()["total"] == 0
    assert roles["remove"] == []
    assert not any(ws.ground_truth()["trash"].values())


def test_clock_never_goes_backwards_and_can_freeze(sim_workspace: Workspace) -> None:
    clock = sim_workspace.clock
    first = clock.now()
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.freeze()
    frozen = [clock.now() for _ in range(3)]
    time.sleep(0.01)
    assert len(set(frozen)) == 1 and clock.now() == frozen[0] >= first
    assert clock.advance(2) >= frozen[0] + 2000
    clock.unfreeze()
    assert clock.now() >= frozen[0] + 2000


def test_http_mutation_api_only_when_enabled(sim_workspace: Workspace, sim_server) -> None:
    admin = sim_workspace.credentials["admin"]["user_id"]
    off, on = sim_server(), sim_server(enable_mutations=True)
    body = {"rid": "GENERAL", "user_id": admin, "msg": "over http"}
    assert httpx.post(f"{off.url}/_sim/post_message", json=body).status_code == 404
    posted = httpx.post(f"{on.url}/_sim/post_message", json=body).json()["result"]
    bad = httpx.post(f"{on.url}/_sim/post_message", json={"rid": "GENERAL"})
    advanced = httpx.post(f"{on.url}/_sim/advance_clock", json={"seconds": 60}).json()["result"]
    assert posted["_id"] in sim_workspace.messages.by_id and bad.status_code == 400
    assert advanced > posted["ts"]
    assert on.request_log.count("_sim/post_message") == 2


def test_activity_mode_keeps_the_workspace_changing(sim_workspace: Workspace, sim_server) -> None:
    before = sim_workspace.clock.now_iso()
    server = sim_server(activity_per_s=200.0)
    deadline = time.monotonic() + 5
    while server.activity.writes < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    changed = [
        m for m in sim_workspace.ground_truth()["messages"].values() if m["_updatedAt"] > before
    ]
    assert server.activity.writes >= 20 and changed


def test_posting_in_a_discussion_refreshes_the_parent_message(sim_workspace: Workspace) -> None:
    ws = sim_workspace
    discussion = next(r for r in ws.rooms.values() if r.get("prid"))
    author = next(iter(ws.subs_by_room[discussion["_id"]]))
    truth = ws.ground_truth()["messages"]
    marker = next(m for m in truth.values() if m.get("drid") == discussion["_id"])
    posted = ws.mutate.post_message(discussion["_id"], author, "in the discussion")
    after = ws.ground_truth()["messages"][marker["_id"]]
    assert after["dcount"] == marker["dcount"] + 1 and after["dlm"] == posted["ts"]
    assert after["_updatedAt"] > marker["_updatedAt"]


def _room_state(ws: Workspace, rid: str) -> tuple[str, str | None, int]:
    room = ws.rooms[rid]
    return room["_updatedAt"], (room.get("lastMessage") or {}).get("_id"), room["msgs"]


def test_room_moves_only_as_a_real_server_moves_it(sim_workspace: Workspace) -> None:
    """`isTheLastMessage`: edits, reactions, pins and stars of an older message leave the room
    alone; of the last message they rewrite `lastMessage` and move the room. New messages and every
    deletion (`msgs` drops) always move it; `lastMessage` is reset only when the last one goes."""
    ws, m = sim_workspace, sim_workspace.mutate
    admin = ws.credentials["admin"]["user_id"]
    older = m.post_message("GENERAL", admin, "older")
    ws.clock.advance(1)
    last = m.post_message("GENERAL", admin, "last")
    quiet = _room_state(ws, "GENERAL")
    assert quiet[1] == last["_id"]
    for write in (
        lambda: m.edit_message(older["_id"], admin, "older v2"),
        lambda: m.react(older["_id"], admin, ":eyes:"),
        lambda: m.unreact(older["_id"], admin, ":eyes:"),
        lambda: m.star(older["_id"], admin),
        lambda: m.unpin(older["_id"], admin),
    ):
        ws.clock.advance(1)
        write()
        assert _room_state(ws, "GENERAL") == quiet
    assert ws.messages.by_id[older["_id"]].upd > ws.messages.by_id[last["_id"]].upd
    assert "reactions" not in ws.messages.by_id[older["_id"]].doc()  # last one gone: `$unset`
    for write, check in (
        (lambda: m.edit_message(last["_id"], admin, "last v2"), ("msg", "last v2")),
        (
            lambda: m.react(last["_id"], admin, ":tada:"),
            ("reactions", {":tada:": {"usernames": [ws.users[admin]["username"]]}}),
        ),
        (lambda: m.star(last["_id"], admin), ("starred", [{"_id": admin}])),
    ):
        before = ws.rooms["GENERAL"]["_updatedAt"]
        ws.clock.advance(1)
        write()
        assert ws.rooms["GENERAL"]["_updatedAt"] > before
        assert ws.rooms["GENERAL"]["lastMessage"][check[0]] == check[1]
    # Deleting an older message: `msgs` drops (the room moves), `lastMessage` and `lm` stay.
    before, lm = _room_state(ws, "GENERAL"), ws.rooms["GENERAL"]["lm"]
    ws.clock.advance(1)
    m.delete_message(older["_id"], admin, keep_history=False, show_deleted_status=True)
    after = _room_state(ws, "GENERAL")
    assert after[0] > before[0] and after[1] == last["_id"] and after[2] == before[2] - 1
    # Deleting the last one: `lastMessage` falls back to the newest untyped visible message.
    m.delete_message(last["_id"], admin)
    assert _room_state(ws, "GENERAL")[1] not in (last["_id"], older["_id"])
    assert ws.rooms["GENERAL"]["lm"] == lm


def test_reaction_in_a_room_without_last_message_creates_one(sim_workspace: Workspace) -> None:
    """Quirk: `isTheLastMessage` is true when the room has no `lastMessage`, and
    `$set: {'lastMessage.reactions': ...}` then creates one holding only the reactions."""
    ws, m = sim_workspace, sim_workspace.mutate
    admin = ws.credentials["admin"]["user_id"]
    rid = m.create_room("c", "thread-only", admin)["_id"]
    root = m.post_message(rid, admin, "root")
    reply = m.post_message(rid, admin, "reply", tmid=root["_id"])
    m.delete_message(root["_id"], admin)  # a thread parent: stays as t:'rm'
    assert "lastMessage" not in ws.rooms[rid]  # nothing untyped and shown in the room is left
    before = ws.rooms[rid]["_updatedAt"]
    ws.clock.advance(1)
    m.react(reply["_id"], admin, ":tada:")
    username = ws.users[admin]["username"]
    assert ws.rooms[rid]["lastMessage"] == {"reactions": {":tada:": {"usernames": [username]}}}
    assert ws.rooms[rid]["_updatedAt"] > before
