"""The omnichannel part of a workspace: agents and a manager (existing users given the roles),
two departments, visitors, custom fields, triggers, office hours, and chats: closed ones (one
transferred), an open one, a queued one. Its own random stream, so the rest of the workspace is
the same with or without it."""

from __future__ import annotations

import random
from typing import Any

from etl.simulator import livechat_chats as chats
from etl.simulator.clock import iso
from etl.simulator.ids import random_id, token
from etl.simulator.livechat_store import LIVECHAT_PERMISSIONS
from etl.simulator.store import Store
from etl.simulator.wiring import Cast

MINUTE_MS = 60_000
DAY_MS = 86_400_000
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
VISITORS = ("Ana Souza", "Ben Okafor", "Chloé Martin", "Dev Patel", "Eva Novak")


def add_omnichannel(ws: Store, cast: Cast, now: int) -> None:
    rng = random.Random(f"livechat-{ws.seed}")
    origin = now - 20 * DAY_MS
    for i, (name, roles) in enumerate(LIVECHAT_PERMISSIONS.items()):
        ws.permissions[name] = {
            "_id": name,
            "_updatedAt": iso(origin + i),
            "roles": list(roles),
            "group": "permissions",
        }
    staff = [u for u in cast.people[3:] if u["active"] and u.get("type") == "user"]
    agents, manager = staff[:3], staff[3]
    for agent in agents:
        agent["roles"] = [*agent["roles"], "livechat-agent"]
        agent.update(statusLivechat="available", livechat={"maxNumberSimultaneousChat": 4})
    manager["roles"] = [*manager["roles"], "livechat-manager"]
    sales = add_department(ws, rng, "Sales", agents[:2], origin)
    support = add_department(ws, rng, "Support", agents[1:], origin)
    _configure(ws, rng, origin)
    visitors = [add_visitor(ws, rng, name, i, origin) for i, name in enumerate(VISITORS)]
    _chats(ws, rng, agents, visitors, (sales, support), now)


def add_department(
    ws: Store, rng: random.Random, name: str, agents: list[dict[str, Any]], when: int
) -> dict[str, Any]:
    dep: dict[str, Any] = {
        "_id": random_id(rng),
        "enabled": True,
        "name": name,
        "description": f"{name} questions",
        "numAgents": len(agents),
        "showOnRegistration": True,
        "showOnOfflineForm": True,
        "email": f"{name.lower()}@example.org",
        "_updatedAt": iso(when),
    }
    ws.livechat.departments[dep["_id"]] = dep
    for order, agent in enumerate(agents):
        add_department_agent(ws, rng, dep, agent, when, order)
    return dep


def add_department_agent(
    ws: Store, rng: random.Random, dep: dict[str, Any], agent: dict[str, Any], when: int, order: int
) -> dict[str, Any]:
    link = {
        "_id": random_id(rng),
        "agentId": agent["_id"],
        "departmentId": dep["_id"],
        "departmentEnabled": dep["enabled"],
        "username": agent["username"],
        "count": 0,
        "order": order,
        "_updatedAt": iso(when),
    }
    ws.livechat.department_agents[link["_id"]] = link
    return link


def add_visitor(ws: Store, rng: random.Random, name: str, i: int, when: int) -> dict[str, Any]:
    first = name.split()[0].lower()
    visitor: dict[str, Any] = {
        "_id": random_id(rng),
        "username": f"guest-{i + 1}",
        "name": name,
        "token": token(rng)[:20],
        "ts": iso(when + i * MINUTE_MS),
        "status": "offline",
        "visitorEmails": [{"address": f"{first}@customer.example"}],
        "phone": [{"phoneNumber": f"+1555010{i:03d}"}],
        "livechatData": {"plan": ("free", "pro")[i % 2]},
        "_updatedAt": iso(when + i * MINUTE_MS),
    }
    ws.livechat.visitors[visitor["_id"]] = visitor
    return visitor


def _configure(ws: Store, rng: random.Random, when: int) -> None:
    lc = ws.livechat
    for label, scope in (("Order number", "room"), ("Plan", "visitor")):
        field_id = label.split()[0].lower()
        lc.custom_fields[field_id] = {
            "_id": field_id,
            "label": label,
            "scope": scope,
            "visibility": "visible",
            "type": "input",
            "regexp": "",
            "required": False,
            "defaultValue": "",
            "options": "",
            "public": True,
            "_updatedAt": iso(when),
        }
    trigger: dict[str, Any] = {
        "_id": random_id(rng),
        "name": "Welcome",
        "description": "greet visitors on the pricing page",
        "enabled": True,
        "runOnce": False,
        "conditions": [{"name": "page-url", "value": "/pricing"}],
        "actions": [{"name": "send-message", "params": {"sender": "queue", "msg": "Hi!"}}],
        "_updatedAt": iso(when),
    }
    lc.triggers[trigger["_id"]] = trigger
    for code, day in enumerate(DAYS):
        hour: dict[str, Any] = {
            "_id": random_id(rng),
            "day": day,
            "start": "08:00",
            "finish": "20:00",
            "code": (code + 1) % 7,
            "open": code < 5,
            "_updatedAt": iso(when),
        }
        lc.office_hours[hour["_id"]] = hour


# (visitor, department, agent, opened days ago, reply after seconds, transfer to agent, closed)
CHATS = (
    (0, 0, 0, 9, 30, None, True),
    (1, 0, 1, 8, 90, None, True),
    (2, 1, 1, 7, 45, None, True),
    (3, 1, 2, 6, 120, None, True),
    (4, 0, 0, 5, 60, 1, True),
    (0, 1, 2, 1, 20, None, False),
    (1, 1, None, 0, 0, None, False),
)


def _chats(
    ws: Store,
    rng: random.Random,
    agents: list[dict[str, Any]],
    visitors: list[dict[str, Any]],
    departments: tuple[dict[str, Any], ...],
    now: int,
) -> None:
    for n, (v, d, a, days, reply, moved, closed) in enumerate(CHATS):
        visitor = visitors[v]
        start = now - days * DAY_MS - (n + 1) * 3 * 3_600_000
        room = chats.open_chat(ws, rng, visitor, departments[d]["_id"], start)
        chats.post(ws, rng, room, visitor, "Hello, I need help", start + 2_000)
        room["tags"] = ["billing"] if n % 2 else ["billing", "vip"]
        room["livechatData"] = {"order": f"A-{1000 + n}"}
        if a is None:
            continue
        agent = agents[a]
        chats.serve(ws, room, agent, start + 10_000)
        chats.post(ws, rng, room, agent, "Hi! Let me check.", start + 2_000 + reply * 1000)
        chats.post(ws, rng, room, visitor, "Thanks", start + 2_000 + (reply + 60) * 1000)
        chats.post(ws, rng, room, agent, "Done.", start + 2_000 + (reply + 90) * 1000)
        if moved is not None:
            chats.transfer(ws, rng, room, agent, agents[moved], start + (reply + 120) * 1000)
            agent = agents[moved]
        if closed:
            chats.close(ws, rng, room, agent, start + (reply + 600) * 1000)
