"""History clones (Message_KeepHistory) are visible exactly where a real server shows them
(Rocket.Chat chat.ts / Messages model: only the thread endpoints without a `_hidden` filter and
chat.getMessage), and the Date header follows the simulated clock."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client


def test_clones_only_where_the_server_has_no_hidden_filter(
    sim_workspace: Workspace, sim_server
) -> None:
    ws = sim_workspace
    admin = ws.credentials["admin"]["user_id"]
    since = ws.clock.now_iso()
    ws.clock.advance(1)  # `updatedSince` is a strict $gt: writes in the same ms would not count
    ws.mutate.set_setting("Message_KeepHistory", True)
    parent = ws.mutate.post_message("GENERAL", admin, "parent v1")
    reply = ws.mutate.post_message("GENERAL", admin, "reply v1", tmid=parent["_id"])
    ws.mutate.edit_message(parent["_id"], admin, "parent v2")
    ws.mutate.edit_message(reply["_id"], admin, "reply v2")
    clones = {c["parent"]: cid for cid, c in ws.ground_truth()["history_clones"].items()}
    parent_clone, reply_clone = clones[parent["_id"]], clones[reply["_id"]]
    room = {"roomId": "GENERAL"}
    with client(sim_server()) as api:

        def ids(endpoint: str, params: dict, *path: str) -> set[str]:
            body = api.get(endpoint, params=params).json()
            for key in path:
                body = body[key]
            return {doc["_id"] for doc in body}

        shown = {
            "chat.syncThreadsList": ids(
                "chat.syncThreadsList",
                {"rid": "GENERAL", "updatedSince": since},
                "threads",
                "update",
            ),
            "chat.getThreadMessages": ids(
                "chat.getThreadMessages", {"tmid": parent["_id"]}, "messages"
            ),
            "chat.syncThreadMessages": ids(
                "chat.syncThreadMessages",
                {"tmid": parent["_id"], "updatedSince": since},
                "messages",
                "update",
            ),
        }
        hidden = {
            "chat.syncMessages": ids(
                "chat.syncMessages", {**room, "type": "UPDATED", "next": "0", "count": 5000},
                "result", "updated",
            ),
            "chat.getThreadsList": ids(
                "chat.getThreadsList", {"rid": "GENERAL", "count": 0}, "threads"
            ),
            "channels.messages": ids("channels.messages", {**room, "count": 0}, "messages"),
            "channels.history": ids("channels.history", {**room, "count": 100}, "messages"),
        }  # fmt: skip
        single = api.get("chat.getMessage", params={"msgId": reply_clone}).json()["message"]
        info = api.get("/api/info")
    assert parent_clone in shown["chat.syncThreadsList"]  # a parent's clone keeps `tcount`
    assert reply_clone not in shown["chat.syncThreadsList"]
    assert reply_clone in shown["chat.getThreadMessages"]  # a reply's clone keeps `tmid`
    assert reply_clone in shown["chat.syncThreadMessages"]
    for endpoint, seen in hidden.items():
        assert not seen & {parent_clone, reply_clone}, endpoint
    assert single["parent"] == reply["_id"] and single["msg"] == "reply v1"
    ws.clock.advance(3 * 86_400)
    with client(sim_server()) as api:
        date = api.get("/api/info").headers["date"]
    assert abs(parsedate_to_datetime(date).timestamp() * 1000 - ws.now()) < 2_000
    assert len(info.headers.get_list("date")) == 1
