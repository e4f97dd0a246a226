"""The server's directory data: users, roles, permissions, settings, custom emoji and sounds."""

from __future__ import annotations

import random
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.ids import random_id

FIRST = [
    "ana",
    "ben",
    "chloé",
    "dmitri",
    "eva",
    "farid",
    "grace",
    "hiro",
    "ines",
    "jonas",
    "kofi",
    "lena",
    "mateo",
    "nour",
    "olga",
    "priya",
    "quinn",
    "rosa",
    "sami",
    "tomás",
    "uma",
    "viktor",
    "wen",
    "yara",
    "zoë",
]
LAST = [
    "adams",
    "brun",
    "costa",
    "diallo",
    "eriksen",
    "fischer",
    "garcia",
    "haddad",
    "ivanova",
    "jensen",
    "kim",
    "lopez",
    "müller",
    "nakamura",
    "okafor",
    "petrov",
    "rossi",
    "silva",
    "tanaka",
    "ueda",
    "vargas",
    "weber",
    "xu",
    "yilmaz",
]

BUILTIN_ROLES = (
    ("admin", "Users"),
    ("moderator", "Subscriptions"),
    ("leader", "Subscriptions"),
    ("owner", "Subscriptions"),
    ("user", "Users"),
    ("bot", "Users"),
    ("app", "Users"),
    ("guest", "Users"),
    ("anonymous", "Users"),
    ("livechat-agent", "Users"),
    ("livechat-manager", "Users"),
    ("livechat-monitor", "Users"),
)

# Defaults from `permissions.ts`, narrowed where server-behaviour.md says so (a bot lacks view-c-
# room).
PERMISSIONS = {
    "view-c-room": ["admin", "user", "anonymous"],
    "view-joined-room": ["guest", "bot", "app", "anonymous"],
    "view-d-room": ["admin", "user", "bot", "app", "guest"],
    "view-p-room": ["admin", "user", "anonymous", "guest"],
    "view-room-administration": ["admin"],
    "view-full-other-user-info": ["admin"],
    "view-other-user-channels": ["admin"],
    "view-all-teams": ["admin"],
    "view-outside-room": ["admin", "owner", "moderator", "user"],
    "view-user-administration": ["admin"],
    "api-bypass-rate-limit": ["admin", "bot", "app"],
    "create-personal-access-tokens": ["admin", "user"],
    "delete-message": ["admin", "owner", "moderator"],
    "force-delete-message": ["admin", "owner"],
    "edit-message": ["admin", "owner", "moderator"],
    "pin-message": ["owner", "moderator", "admin"],
    "create-c": ["admin", "user", "bot", "app"],
    "create-p": ["admin", "user", "bot", "app"],
    "create-d": ["admin", "user", "bot", "app"],
    "start-discussion": ["admin", "user", "guest", "app"],
    "manage-emoji": ["admin"],
    "manage-sounds": ["admin"],
    "access-permissions": ["admin"],
    "access-setting-permissions": ["admin"],
    "view-statistics": ["admin"],
    "view-logs": ["admin"],
    "create-user": ["admin"],
    "delete-user": ["admin"],
    "edit-other-user-active-status": ["admin"],
    "mention-all": ["admin", "owner", "moderator", "user"],
    "archive-room": ["admin", "owner"],
    "delete-c": ["admin", "owner"],
    "delete-p": ["admin", "owner"],
    "add-user-to-joined-room": ["admin", "owner", "moderator"],
    "remove-user": ["admin", "owner", "moderator"],
    "set-readonly": ["admin", "owner"],
    "manage-incoming-integrations": ["admin"],
    "manage-own-incoming-integrations": ["admin"],
    "manage-outgoing-integrations": ["admin"],
    "manage-own-outgoing-integrations": ["admin"],
}

# (id, value, public). The REST API ones drive the simulator's own paging and deletion behaviour.
SETTINGS: tuple[tuple[str, object, bool], ...] = (
    ("Site_Name", "Simulated Rocket.Chat", True),
    ("Site_Url", "http://127.0.0.1:3000", True),
    ("Language", "en", True),
    ("API_Default_Count", 50, False),
    ("API_Upper_Count_Limit", 100, True),
    ("API_Allow_Infinite_Count", True, False),
    ("API_Enable_Direct_Message_History_EndPoint", False, False),
    ("API_Enable_Rate_Limiter", True, False),
    ("API_Enable_Rate_Limiter_Limit_Calls_Default", 10, False),
    ("API_Enable_Rate_Limiter_Limit_Time_Default", 60000, False),
    ("Message_KeepHistory", False, True),
    ("Message_ShowDeletedStatus", False, True),
    ("Message_AllowDeleting", True, True),
    ("Message_AllowEditing", True, True),
    ("Message_MaxAllowedSize", 5000, True),
    ("Threads_enabled", True, True),
    ("Discussion_enabled", True, True),
    ("Hide_System_Messages", [], True),
    ("UI_Use_Real_Name", False, True),
    ("Accounts_AllowAnonymousRead", False, True),
    ("Accounts_TwoFactorAuthentication_Enabled", True, True),
    ("FileUpload_Enabled", True, True),
    ("FileUpload_MaxFileSize", 104857600, True),
    ("E2E_Enable", False, True),
    ("Livechat_enabled", False, True),
    ("Jitsi_Enabled", False, True),
    ("LDAP_Enable", False, True),
    ("Unread_Count", "user_and_group_mentions_only", True),
)


def make_user(
    rng: random.Random,
    uid: str,
    username: str,
    name: str,
    roles: list[str],
    when: int,
    *,
    kind: str = "user",
    active: bool = True,
) -> dict[str, Any]:
    return {
        "_id": uid,
        "createdAt": iso(when),
        "_updatedAt": iso(when + rng.randint(0, 86_400_000)),
        "username": username,
        "name": name,
        "emails": [{"address": f"{username}@example.org", "verified": rng.random() < 0.8}],
        "type": kind,
        "roles": roles,
        "status": rng.choice(("online", "away", "busy", "offline", "offline")),
        "statusConnection": "offline",
        "active": active,
        "utcOffset": rng.choice((-5, 0, 1, 2, 5.5, 9)),
        "lastLogin": iso(when + rng.randint(0, 30 * 86_400_000)),
        "services": {
            "password": {"bcrypt": "$2b$10$" + random_id(rng, 53)},
            "resume": {"loginTokens": []},
        },
        "settings": {"preferences": {}},
        "avatarETag": random_id(rng),
    }


def make_roles(rng: random.Random, when: int, custom: int) -> dict[str, dict[str, Any]]:
    roles = {
        name: {
            "_id": name,
            "name": name,
            "description": name.replace("-", " ").title(),
            "protected": True,
            "scope": scope,
            "mandatory2fa": False,
            "_updatedAt": iso(when),
        }
        for name, scope in BUILTIN_ROLES
    }
    for i in range(custom):
        rid = random_id(rng)
        roles[rid] = {
            "_id": rid,
            "name": f"custom-role-{i}",
            "description": f"Custom role {i}",
            "protected": False,
            "scope": "Users",
            "mandatory2fa": False,
            "_updatedAt": iso(when + i),
        }
    return roles


def make_permissions(when: int) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "_id": name,
            "_updatedAt": iso(when + i),
            "roles": list(roles),
            "group": "permissions",
        }
        for i, (name, roles) in enumerate(PERMISSIONS.items())
    }


def make_settings(when: int) -> dict[str, dict[str, Any]]:
    return {
        sid: {"_id": sid, "value": value, "public": public, "_updatedAt": iso(when + i)}
        for i, (sid, value, public) in enumerate(SETTINGS)
    }


def make_emoji(rng: random.Random, when: int, n: int) -> dict[str, dict[str, Any]]:
    out = {}
    for i in range(n):
        eid = random_id(rng)
        aliases = [f"alias{i}"] if rng.random() < 0.4 else []
        out[eid] = {
            "_id": eid,
            "name": f"emoji_{i}",
            "aliases": aliases,
            "extension": rng.choice(("png", "gif", "jpg")),
            "etag": random_id(rng),
            "_updatedAt": iso(when + i * 1000),
        }
    return out


def make_sounds(rng: random.Random, when: int, n: int) -> dict[str, dict[str, Any]]:
    out = {}
    for i in range(n):
        sid = random_id(rng)
        out[sid] = {
            "_id": sid,
            "name": f"sound {i}",
            "extension": "mp3",
            "_updatedAt": iso(when + i * 1000),
        }
    return out


def person_name(rng: random.Random, i: int) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first}.{last}{i}", f"{first.title()} {last.title()}"
