"""Visibility and permissions: who may read what, and the real status codes and bodies."""

from __future__ import annotations

import httpx

from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client, room_of, unreadable_dm, unreadable_group


def test_admin_cannot_read_private_rooms_it_is_not_in(sim_workspace: Workspace, sim_server) -> None:
    group, dm = unreadable_group(sim_workspace), unreadable_dm(sim_workspace)
    admin = sim_workspace.credentials["admin"]["user_id"]
    assert group["_id"] not in sim_workspace.readable_room_ids(admin)
    assert dm["_id"] not in sim_workspace.readable_room_ids(admin)
    with client(sim_server()) as api:
        history = api.get("groups.history", params={"roomId": group["_id"]})
        messages = api.get("groups.messages", params={"roomId": group["_id"]})
        im = api.get("im.history", params={"roomId": dm["_id"]})
        info = api.get("rooms.info", params={"roomId": group["_id"]})
        listed = api.get("groups.listAll", params={"count": 0}).json()["groups"]
    assert history.status_code == messages.status_code == 400
    assert history.json()["errorType"] == "error-room-not-found"
    assert im.status_code == 400 and im.json()["errorType"] == "error-not-allowed"
    assert info.status_code == 400
    assert group["_id"] in {g["_id"] for g in listed}  # listed for admins, yet unreadable


def test_readable_room_ids_match_what_http_allows(sim_workspace: Workspace, sim_server) -> None:
    server = sim_server()
    for who in ("admin", "user", "bot"):
        uid = sim_workspace.credentials[who]["user_id"]
        readable = sim_workspace.readable_room_ids(uid)
        with client(server, who) as api:
            for rid in sim_workspace.rooms:
                answer = api.get(
                    "chat.syncMessages", params={"roomId": rid, "type": "UPDATED", "next": "0"}
                )
                assert (answer.status_code == 200) == (rid in readable), (who, rid)


def test_bot_cannot_read_channels_it_has_not_joined(sim_workspace: Workspace, sim_server) -> None:
    bot = sim_workspace.credentials["bot"]["user_id"]
    channel = room_of(
        sim_workspace, lambda r: r["t"] == "c" and not sim_workspace.is_subscribed(bot, r["_id"])
    )
    with client(sim_server(), "bot") as api:
        answer = api.get("channels.messages", params={"roomId": channel["_id"]})
    assert answer.status_code == 403
    assert answer.json() == {"success": False, "error": "unauthorized"}


def test_channels_list_hides_team_channels_not_joined(sim_workspace: Workspace, sim_server) -> None:
    admin = sim_workspace.credentials["admin"]["user_id"]
    hidden = [
        r["_id"]
        for r in sim_workspace.rooms.values()
        if r["t"] == "c" and r.get("teamId") and not sim_workspace.is_subscribed(admin, r["_id"])
    ]
    with client(sim_server()) as api:
        listed = {
            r["_id"] for r in api.get("channels.list", params={"count": 0}).json()["channels"]
        }
    assert hidden and not listed & set(hidden)
    assert "GENERAL" in listed


def test_im_messages_others_needs_the_setting_and_admin(
    sim_workspace: Workspace, sim_server
) -> None:
    dm = unreadable_dm(sim_workspace)
    server = sim_server()
    with client(server) as api, client(server, "user") as limited:
        disabled = api.get("im.messages.others", params={"roomId": dm["_id"]})
        sim_workspace.mutate.set_setting("API_Enable_Direct_Message_History_EndPoint", True)
        enabled = api.get("im.messages.others", params={"roomId": dm["_id"], "count": 0})
        refused = limited.get("im.messages.others", params={"roomId": dm["_id"]})
    assert disabled.status_code == 400 and disabled.json()["errorType"] == "error-endpoint-disabled"
    body = enabled.json()
    assert enabled.status_code == 200 and body["total"] == sim_workspace.messages.count_visible(
        dm["_id"]
    )
    assert {"messages", "offset", "count", "total"} <= set(body)
    assert refused.status_code == 403


def test_users_list_field_exclusions_for_limited_users(
    sim_workspace: Workspace, sim_server
) -> None:
    server = sim_server()
    with client(server) as api, client(server, "user") as limited:
        full = api.get("users.list", params={"count": 0}).json()["users"]
        reduced = limited.get("users.list", params={"count": 0}).json()["users"]
        info = limited.get("users.info", params={"username": "admin"}).json()["user"]
    assert all("emails" in u and "_updatedAt" in u and "roles" in u for u in full)
    assert all("services" not in u for u in full)
    for user in [*reduced, info]:
        assert not {"emails", "roles", "_updatedAt", "createdAt", "lastLogin", "services"} & set(
            user
        )
        assert {"_id", "username"} <= set(user)
    assert all("nameInsensitive" in u for u in full)


def test_subscriptions_get_returns_only_the_callers(sim_workspace: Workspace, sim_server) -> None:
    with client(sim_server(), "user") as api:
        subs = api.get("subscriptions.get").json()
    uid = sim_workspace.credentials["user"]["user_id"]
    assert subs["update"] and {s["u"]["_id"] for s in subs["update"]} == {uid}
    assert len(subs["update"]) == len(sim_workspace.subs_by_user[uid])


def test_error_bodies_and_status_codes(sim_workspace: Workspace, sim_server) -> None:
    server = sim_server()
    anonymous = httpx.get(f"{server.url}/api/v1/rooms.get")
    wrong = httpx.get(f"{server.url}/api/v1/me", headers={"X-User-Id": "x", "X-Auth-Token": "y"})
    with client(server) as api:
        missing = api.get("does.not.exist")
    text = "You must be logged in to do this."
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.json() == {"success": False, "error": text, "status": "error", "message": text}
    assert missing.status_code == 404 and missing.json() == {
        "success": False,
        "error": "Resource not found",
    }
    with client(server, "user") as limited:
        forbidden = limited.get("groups.listAll")
        # findAdminRooms throws a plain Error: the REST layer's `failure`, a 400
        refused = limited.get("rooms.adminRooms")
    assert forbidden.status_code == 403 and forbidden.json() == {
        "success": False,
        "error": "unauthorized",
    }
    assert refused.status_code == 400 and refused.json() == {
        "success": False,
        "error": "error-not-authorized",
    }


def test_deactivated_users_lose_access(sim_workspace: Workspace, sim_server) -> None:
    server = sim_server()
    with client(server, "user") as api:
        assert api.get("me").status_code == 200
        sim_workspace.mutate.deactivate_user(sim_workspace.credentials["user"]["user_id"])
        assert api.get("me").status_code == 401
