"""The simulator's contract surface, end to end over HTTP."""

from __future__ import annotations

import httpx

from etl.simulator import SimServer
from etl.simulator.store import Workspace


def test_serves_the_contract_surface(sim_workspace: Workspace, sim_server) -> None:
    server: SimServer = sim_server()
    admin = sim_workspace.credentials["admin"]
    headers = {"X-User-Id": admin["user_id"], "X-Auth-Token": admin["token"]}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        assert client.get("/api/info").json()["success"] is True
        rooms = client.get("/api/v1/rooms.get").json()["update"]
        page = client.get(
            "/api/v1/chat.syncMessages",
            params={"roomId": "GENERAL", "type": "UPDATED", "next": "0", "count": 5000},
        ).json()["result"]
    assert "GENERAL" in {r["_id"] for r in rooms}
    truth = sim_workspace.ground_truth()
    expected = {mid for mid, m in truth["messages"].items() if m["rid"] == "GENERAL"}
    assert {m["_id"] for m in page["updated"]} == expected
    assert server.request_log.count("chat.syncMessages") == 1
    server.request_log.clear()
    assert server.request_log.count("chat.syncMessages") == 0
