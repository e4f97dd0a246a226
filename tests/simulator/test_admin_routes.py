"""Statuses, integrations, their history and statistics: envelopes, sorts, tokens and the
permission errors of a real server (server-behaviour §4, api-reference §3.11-3.15)."""

from __future__ import annotations

from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client

FORBIDDEN = "User does not have the permissions required for this action [error-unauthorized]"


def test_statuses_are_sorted_by_name_with_the_usual_envelope(
    sim_workspace: Workspace, sim_server
) -> None:
    with client(sim_server(), "user") as api:
        body = api.get("custom-user-status.list").json()
    assert [s["name"] for s in body["statuses"]] == sorted(s["name"] for s in body["statuses"])
    assert body["count"] == body["total"] == len(sim_workspace.custom_statuses)


def test_integrations_page_with_items_and_carry_real_length_tokens(
    sim_workspace: Workspace, sim_server
) -> None:
    with client(sim_server()) as api:
        body = api.get("integrations.list", params={"count": 3}).json()
        rest = api.get("integrations.list", params={"offset": 3, "count": 3}).json()
    assert body["items"] == body["count"] == 3 and body["total"] == len(sim_workspace.integrations)
    listed = body["integrations"] + rest["integrations"]
    lengths = {d["type"]: len(d["token"]) for d in listed}
    assert lengths == {"webhook-incoming": 48, "webhook-outgoing": 24}


def test_history_is_newest_first_and_its_data_carries_the_token(
    sim_workspace: Workspace, sim_server
) -> None:
    hook = next(d for d in sim_workspace.integrations.values() if d["type"] == "webhook-outgoing")
    sim_workspace.mutate.fire_integration(hook["_id"])
    with client(sim_server()) as api:
        body = api.get("integrations.history", params={"id": hook["_id"]}).json()
        missing = api.get("integrations.history")
    stamps = [h["_updatedAt"] for h in body["history"]]
    assert stamps == sorted(stamps, reverse=True) and body["items"] == len(stamps) >= 4
    assert all(h["data"]["token"] == hook["token"] for h in body["history"])
    assert missing.status_code == 400 and missing.json()["errorType"] == "invalid-params"


def test_a_user_without_the_permissions_is_refused_as_a_real_server_does(sim_server) -> None:
    with client(sim_server(), "user") as api:
        listed = api.get("integrations.list")
        history = api.get("integrations.history", params={"id": "x"})
        stats = api.get("statistics")
        stats_list = api.get("statistics.list")
    assert listed.status_code == history.status_code == 403
    assert listed.json() == {"success": False, "error": FORBIDDEN}
    assert stats.status_code == stats_list.status_code == 400
    assert stats.json()["errorType"] == "error-not-allowed"


def test_statistics_count_the_workspace_and_refresh_makes_a_new_snapshot(
    sim_workspace: Workspace, sim_server
) -> None:
    with client(sim_server()) as api:
        first = api.get("statistics").json()
        again = api.get("statistics").json()
        sim_workspace.mutate.add_user("someone.new", "Someone New")
        fresh = api.get("statistics", params={"refresh": "true"}).json()
        listed = api.get("statistics.list").json()
    assert first["_id"] == again["_id"] != fresh["_id"]
    assert fresh["totalUsers"] == first["totalUsers"] + 1
    channels = sum(1 for r in sim_workspace.rooms.values() if r["t"] == "c")
    assert first["totalChannels"] == channels and first["totalMessages"] > 0
    assert listed["total"] == 2 and "totalAllLivechat" in listed["statistics"][0]
