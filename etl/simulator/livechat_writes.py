"""Omnichannel changes the tests drive, at the workspace's current time, as the server's
Livechat service makes them (`livechat/room.close`, `livechat/room.forward`, department saves)."""

from __future__ import annotations

import random
from typing import Any

from etl.simulator import livechat_chats as chats
from etl.simulator.clock import iso
from etl.simulator.livechat_gen import add_department_agent, add_visitor
from etl.simulator.store import Store

Doc = dict[str, Any]


def _rng(ws: Store) -> random.Random:
    return random.Random(f"livechat-writes-{ws.seed}-{ws.now()}")


def _chat(ws: Store, rid: str) -> Doc:
    room = ws.rooms.get(rid)
    if room is None or room["t"] != "l":
        raise KeyError(f"no livechat room {rid}")
    return room


def new_chat(ws: Store, name: str, department_id: str | None, agent_id: str | None) -> Doc:
    """A new visitor opens a chat (queued; served and answered when `agent_id` is given)."""
    with ws.lock:
        rng, now = _rng(ws), ws.now()
        visitor = add_visitor(ws, rng, name, len(ws.livechat.visitors), now)
        room = chats.open_chat(ws, rng, visitor, department_id, now)
        chats.post(ws, rng, room, visitor, "Hello?", now)
        if agent_id is not None:
            agent = ws.users[agent_id]
            chats.serve(ws, room, agent, now)
            chats.post(ws, rng, room, agent, "Hello! How can I help?", now)
        return room


def close_chat(ws: Store, rid: str, user_id: str) -> Doc:
    with ws.lock:
        room = _chat(ws, rid)
        chats.close(ws, _rng(ws), room, ws.users[user_id], ws.now())
        return room


def transfer_chat(
    ws: Store, rid: str, by_id: str, to_agent: str | None, to_department: str | None = None
) -> Doc:
    """`livechat/room.forward`: to an agent, or to a department."""
    with ws.lock:
        room = _chat(ws, rid)
        agent = ws.users[to_agent] if to_agent else None
        dep = ws.livechat.departments[to_department] if to_department else None
        return chats.transfer(ws, _rng(ws), room, ws.users[by_id], agent, ws.now(), dep)


def update_visitor(ws: Store, visitor_id: str, **fields: Any) -> Doc:
    with ws.lock:
        visitor = ws.livechat.visitors[visitor_id]
        visitor.update(fields, _updatedAt=iso(ws.now()))
        return visitor


def delete_visitor(ws: Store, visitor_id: str) -> Doc:
    """`livechat/visitor/:token` DELETE (a GDPR removal): the chats stay, naming it."""
    with ws.lock:
        return ws.livechat.visitors.pop(visitor_id)


def rename_department(ws: Store, department_id: str, name: str) -> Doc:
    with ws.lock:
        dep = ws.livechat.departments[department_id]
        dep.update(name=name, _updatedAt=iso(ws.now()))
        return dep


def remove_department(ws: Store, department_id: str) -> Doc:
    """Deleting a department removes its agent links too."""
    with ws.lock:
        lc = ws.livechat
        for link in lc.agents_of(department_id):
            del lc.department_agents[link["_id"]]
        return lc.departments.pop(department_id)


def add_agent(ws: Store, department_id: str, agent_id: str) -> Doc:
    """Adding an agent increments `numAgents`, which moves the department's `_updatedAt`."""
    with ws.lock:
        dep, now = ws.livechat.departments[department_id], ws.now()
        order = len(ws.livechat.agents_of(department_id))
        link = add_department_agent(ws, _rng(ws), dep, ws.users[agent_id], now, order)
        dep.update(numAgents=dep["numAgents"] + 1, _updatedAt=iso(now))
        return link


def remove_agent(ws: Store, department_id: str, agent_id: str) -> Doc:
    with ws.lock:
        lc, now = ws.livechat, ws.now()
        link = next(a for a in lc.agents_of(department_id) if a["agentId"] == agent_id)
        del lc.department_agents[link["_id"]]
        dep = lc.departments[department_id]
        dep.update(numAgents=dep["numAgents"] - 1, _updatedAt=iso(now))
        return link


def remove_trigger(ws: Store, trigger_id: str) -> Doc:
    with ws.lock:
        return ws.livechat.triggers.pop(trigger_id)
