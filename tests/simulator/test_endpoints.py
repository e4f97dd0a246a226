"""Auth, rooms, threads and the small collections, with their incremental quirks."""

from __future__ import annotations

import httpx

from etl.simulator.workspace import Workspace
from tests.simulator.helpers import client

LONG_AGO = "2000-01-01T00:00:00.000Z"


def test_login_logout_me_and_personal_access_tokens(sim_workspace: Workspace, sim_server) -> None:
    server = sim_server()
    admin = sim_workspace.credentials["admin"]
    login = httpx.post(
        f"{server.url}/api/v1/login", json={"user": "admin", "password": admin["password"]}
    )
    data = login.json()["data"]
    headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
    me = httpx.get(f"{server.url}/api/v1/me", headers=headers).json()
    pat = httpx.post(
        f"{server.url}/api/v1/users.generatePersonalAccessToken",
        headers=headers,
        json={"tokenName": "etl"},
    ).json()
    pat_me = httpx.get(f"{server.url}/api/v1/me", headers={**headers, "X-Auth-Token": pat["token"]})
    out = httpx.post(f"{server.url}/api/v1/logout", headers=headers).json()
    after = httpx.get(f"{server.url}/api/v1/me", headers=headers)
    bad = httpx.post(f"{server.url}/api/v1/login", json={"user": "admin", "password": "nope"})
    assert login.json()["status"] == "success" and data["userId"] == admin["user_id"]
    assert me["username"] == "admin" and me["success"] is True and "services" not in me
    assert pat["success"] is True and pat_me.status_code == 200
    assert out == {"status": "success", "data": {"message": "You've been logged out!"}}
    assert after.status_code == 401 and bad.status_code == 401


def test_two_factor_login(sim_workspace: Workspace, sim_server) -> None:
    server = sim_server()
    cred = sim_workspace.credentials["twofa"]
    body = {"user": cred["username"], "password": cred["password"]}
    needed = httpx.post(f"{server.url}/api/v1/login", json=body)
    wrong = httpx.post(f"{server.url}/api/v1/login", json={**body, "code": "000000x"})
    right = httpx.post(f"{server.url}/api/v1/login", json={**body, "code": cred["code"]})
    assert needed.status_code == 401 and needed.json()["error"] == "totp-required"
    assert wrong.json()["error"] == "totp-invalid"
    assert right.status_code == 200 and right.json()["data"]["userId"] == cred["user_id"]


def test_rooms_get_remove_is_server_wide(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    user = ws.credentials["user"]["user_id"]
    others = ws.mutate.create_room("p", "not-mine", ws.credentials["admin"]["user_id"], [])
    ws.clock.advance(1)
    since = ws.clock.now_iso()
    ws.clock.advance(1)
    ws.mutate.delete_room(others["_id"])
    ws.mutate.post_message("GENERAL", user, "bump")
    with client(sim_server(), "user") as api:
        full = api.get("rooms.get").json()
        delta = api.get("rooms.get", params={"updatedSince": since}).json()
        bad = api.get("rooms.get", params={"updatedSince": "soon"})
    assert {r["_id"] for r in full["update"]} == set(ws.subs_by_user[user]) and full["remove"] == []
    assert [r["_id"] for r in delta["update"]] == ["GENERAL"]
    assert [r["_id"] for r in delta["remove"]] == [others["_id"]]
    assert set(delta["remove"][0]) == {"_id", "_deletedAt"}
    assert bad.status_code == 400 and bad.json()["errorType"] == "error-updatedSince-param-invalid"


def test_room_info_members_and_teams(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    team = next(t for t in ws.teams.values() if t["type"] == 0)
    with client(sim_server()) as api:
        info = api.get("rooms.info", params={"roomId": "GENERAL"}).json()["room"]
        members = api.get("channels.members", params={"roomId": "GENERAL", "count": 0}).json()
        teams = api.get("teams.listAll").json()
        mine = api.get("teams.list").json()
        team_members = api.get("teams.members", params={"teamId": team["_id"], "count": 0}).json()
        ims = api.get("im.list").json()
        everyone = api.get("im.list.everyone", params={"sort": '{"_id":1}', "count": 0}).json()
    assert info["_id"] == "GENERAL" and info["msgs"] == ws.messages.count_visible("GENERAL")
    assert members["total"] == len(ws.subs_by_room["GENERAL"])
    assert teams["total"] == len(ws.teams) and mine["total"] < teams["total"]
    assert team_members["total"] == len(ws.team_members[team["_id"]])
    assert all(r["t"] == "d" for r in ims["ims"])
    ids = [r["_id"] for r in everyone["ims"]]
    assert ids == sorted(ids) and len(ids) == sum(r["t"] == "d" for r in ws.rooms.values())


def test_threads_endpoints(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    admin = ws.credentials["admin"]["user_id"]
    since = ws.clock.now_iso()
    ws.clock.advance(1)
    parent = ws.mutate.post_message("GENERAL", admin, "thread root")
    replies = [
        ws.mutate.post_message("GENERAL", admin, f"r{i}", tmid=parent["_id"]) for i in range(3)
    ]
    ws.mutate.set_setting("Message_KeepHistory", True)
    ws.mutate.edit_message(replies[0]["_id"], admin, "edited reply")
    ws.mutate.delete_message(replies[1]["_id"], admin)
    with client(sim_server()) as api:
        threads = api.get("chat.getThreadsList", params={"rid": "GENERAL", "count": 0}).json()
        synced = api.get(
            "chat.syncThreadsList", params={"rid": "GENERAL", "updatedSince": since}
        ).json()
        msgs = api.get("chat.getThreadMessages", params={"tmid": parent["_id"]}).json()
        delta = api.get(
            "chat.syncThreadMessages", params={"tmid": parent["_id"], "updatedSince": since}
        ).json()
        missing = api.get("chat.syncThreadMessages", params={"tmid": parent["_id"]})
        bad = api.get("chat.getThreadMessages", params={"tmid": "nope"})
        single = api.get("chat.getMessage", params={"msgId": parent["_id"]}).json()["message"]
        ws.mutate.set_setting("Threads_enabled", False)
        disabled = api.get("chat.getThreadsList", params={"rid": "GENERAL"})
    assert parent["_id"] in {t["_id"] for t in threads["threads"]}
    assert parent["_id"] in {t["_id"] for t in synced["threads"]["update"]}
    ids = [m["_id"] for m in msgs["messages"]]
    assert parent["_id"] not in ids and replies[2]["_id"] in ids
    assert [m for m in msgs["messages"] if m.get("_hidden")]  # the edit's history clone leaks here
    assert {m["_id"] for m in delta["messages"]["remove"]} == {replies[1]["_id"]}
    assert delta["messages"]["remove"][0]["__collection__"] == "message"
    assert missing.status_code == 400 and missing.json()["errorType"] == "invalid-params"
    assert bad.status_code == 400 and bad.json()["errorType"] == "error-invalid-message"
    assert single["tcount"] == 2 and single["tlm"] == replies[2]["ts"]
    assert (
        disabled.status_code == 400
        and disabled.json()["error"] == "Threads Disabled [error-not-allowed]"
    )


def test_roles_emoji_permissions_sounds_settings(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    server = sim_server()
    with client(server) as api:
        roles = api.get("roles.list").json()["roles"]
        empty = api.get("roles.sync").json()["roles"]
        synced = api.get("roles.sync", params={"updatedSince": LONG_AGO}).json()["roles"]
        emoji = api.get("emoji-custom.list", params={"updatedSince": LONG_AGO}).json()["emojis"]
        all_emoji = api.get("emoji-custom.list").json()["emojis"]
        bad_emoji = api.get("emoji-custom.list", params={"updatedSince": "x"})
        paged = api.get("emoji-custom.all", params={"count": 2}).json()
        perms = api.get("permissions.listAll", params={"updatedSince": LONG_AGO}).json()
        sounds = api.get("custom-sounds.list").json()
    public = httpx.get(f"{server.url}/api/v1/settings.public", params={"count": 5}).json()
    assert roles and all("_updatedAt" not in r for r in roles)
    assert empty == {"update": [], "remove": []}
    assert len(synced["update"]) == len(ws.roles)
    assert synced["remove"] and all("name" in r and "__collection__" in r for r in synced["remove"])
    assert emoji["remove"] and all(
        {"name", "aliases", "extension", "_deletedAt"} <= set(e) for e in emoji["remove"]
    )
    assert all_emoji["remove"] == [] and len(all_emoji["update"]) == len(ws.custom_emoji)
    assert (
        bad_emoji.status_code == 400
        and bad_emoji.json()["errorType"] == "error-roomId-param-invalid"
    )
    assert paged["count"] == 2 and paged["total"] == len(ws.custom_emoji)
    assert len(perms["update"]) == len(ws.permissions)
    assert sounds["total"] == len(ws.custom_sounds)
    assert public["count"] == 5 and {"settings", "count", "offset", "total"} <= set(public)
    assert all(set(s) == {"_id", "value"} for s in public["settings"])


def test_new_messages_alert_other_members_subscriptions(
    sim_workspace: Workspace, sim_server
) -> None:
    ws = sim_workspace
    admin, user = ws.credentials["admin"]["user_id"], ws.credentials["user"]["user_id"]
    since = ws.clock.now_iso()
    ws.clock.advance(1)
    ws.mutate.post_message("GENERAL", admin, "hello all")
    with client(sim_server(), "user") as api, client(sim_server()) as admin_api:
        mine = api.get("subscriptions.get", params={"updatedSince": since}).json()
        authors = admin_api.get("subscriptions.get", params={"updatedSince": since}).json()
    assert [s["rid"] for s in mine["update"]] == ["GENERAL"] and mine["update"][0]["alert"] is True
    assert mine["update"][0]["u"]["_id"] == user and authors["update"] == []


def test_starred_is_reduced_to_the_callers_star(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    admin, user = ws.credentials["admin"]["user_id"], ws.credentials["user"]["user_id"]
    doc = ws.mutate.post_message("GENERAL", admin, "star me")
    ws.mutate.star(doc["_id"], admin)
    ws.mutate.star(doc["_id"], user)
    server = sim_server()
    with client(server) as api, client(server, "user") as limited:
        seen = api.get("chat.getMessage", params={"msgId": doc["_id"]}).json()["message"]
        seen_by_user = limited.get("chat.getMessage", params={"msgId": doc["_id"]}).json()[
            "message"
        ]
    assert seen["starred"] == [{"_id": admin}] and seen_by_user["starred"] == [{"_id": user}]
    assert len(ws.ground_truth()["messages"][doc["_id"]]["starred"]) == 2


def test_deleted_message_ids_need_no_room_access(sim_workspace: Workspace, sim_server) -> None:
    ws = sim_workspace
    admin = ws.credentials["admin"]["user_id"]
    private = ws.mutate.create_room("p", "secret", admin, [])
    doc = ws.mutate.post_message(private["_id"], admin, "gone soon")
    ws.mutate.delete_message(doc["_id"], admin)
    with client(sim_server(), "user") as api:
        ids = api.get(
            "chat.getDeletedMessages", params={"roomId": private["_id"], "since": LONG_AGO}
        )
        history = api.get("groups.history", params={"roomId": private["_id"]})
    assert ids.status_code == 200 and ids.json()["messages"] == [{"_id": doc["_id"]}]
    assert history.status_code == 400


def test_resume_login_and_strict_params_on_typed_endpoints(
    sim_workspace: Workspace, sim_server
) -> None:
    server = sim_server()
    admin = sim_workspace.credentials["admin"]
    resumed = httpx.post(f"{server.url}/api/v1/login", json={"resume": admin["token"]})
    with client(server) as api:
        strict = api.get(
            "chat.getDeletedMessages", params={"roomId": "GENERAL", "since": LONG_AGO, "x": 1}
        )
        typed = api.get(
            "chat.syncThreadMessages", params={"tmid": "x", "updatedSince": LONG_AGO, "y": 1}
        )
        lenient = api.get("rooms.adminRooms", params={"count": 1, "fields": '{"name":1}'})
    assert resumed.status_code == 200 and resumed.json()["data"]["userId"] == admin["user_id"]
    assert strict.status_code == 400 and strict.json()["errorType"] == "invalid-params"
    assert typed.status_code == 400 and typed.json()["errorType"] == "invalid-params"
    assert lenient.status_code == 200
