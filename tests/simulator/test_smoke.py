"""The simulator's contract surface, end to end over HTTP."""

from __future__ import annotations

import httpx

from etl.simulator import SimServer
from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client


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


def test_request_log_is_exact_once_the_client_has_its_answer(sim_server) -> None:
    """Each request is logged before its answer leaves, so counting right after a call returns
    needs no waiting, statuses included."""
    server: SimServer = sim_server()
    with client(server) as api:
        for n in range(1, 201):
            endpoint = ("rooms.get", "me", "chat.syncMessages")[n % 3]
            api.get(endpoint, params={"roomId": "GENERAL", "lastUpdate": "2000-01-01T00:00:00Z"})
            assert server.request_log.count() == n
    assert server.request_log.count("chat.syncMessages", 200) == 67
    assert server.request_log.count("me", 200) == 67
