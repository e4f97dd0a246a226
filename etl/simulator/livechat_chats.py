"""One livechat chat's life, as the server's Livechat service writes it: open (with its inquiry),
served, messages from the visitor (with `token`, `alias`) and the agent, transfer, close.

Metrics are the server's (seconds): `reaction.ft` = taken - opened, `response.ft` = first agent
reply - the visitor's first message, `response.tt`/`total`/`avg` over every agent reply that
answers a visitor message, `chatDuration` = closed - opened, `serviceTimeDuration` = closed -
taken, `v.lq` the visitor's last message, `servedBy.lr` the agent's last reply.
"""

from __future__ import annotations

import random
from typing import Any

from etl.simulator.clock import iso, parse_date
from etl.simulator.content import user_ref
from etl.simulator.ids import random_id
from etl.simulator.messages import Msg
from etl.simulator.store import Store

Doc = dict[str, Any]


def visitor_ref(visitor: Doc) -> Doc:
    return {
        "_id": visitor["_id"],
        "username": visitor["username"],
        "token": visitor["token"],
        "status": visitor.get("status", "online"),
    }


def open_chat(ws: Store, rng: random.Random, visitor: Doc, department: str | None, ts: int) -> Doc:
    """A new chat, queued: its inquiry waits for an agent."""
    rid = random_id(rng)
    room: Doc = {
        "_id": rid,
        "t": "l",
        "fname": visitor["name"],
        "ts": iso(ts),
        "msgs": 0,
        "usersCount": 1,
        "v": visitor_ref(visitor),
        "cl": False,
        "open": True,
        "waitingResponse": True,
        "source": {"type": "widget"},
        "metrics": {"v": {"lq": iso(ts)}},
        "livechatData": {},
        "_updatedAt": iso(ts),
    }
    if department:
        room["departmentId"] = department
    ws.rooms[rid] = room
    ws.livechat.inquiries[rid] = {
        "_id": random_id(rng),
        "rid": rid,
        "name": visitor["name"],
        "ts": iso(ts),
        "status": "queued",
        "v": visitor_ref(visitor),
        "t": "l",
        "department": department,
        "_updatedAt": iso(ts),
    }
    visitor["lastChat"] = {"_id": rid, "ts": iso(ts)}
    visitor["_updatedAt"] = iso(ts)
    return room


def serve(ws: Store, room: Doc, agent: Doc, ts: int) -> None:
    """An agent takes the inquiry."""
    room["servedBy"] = {"_id": agent["_id"], "username": agent["username"], "ts": iso(ts)}
    room["usersCount"] = 2
    reaction = (ts - _ms(room["ts"])) / 1000
    room["metrics"]["reaction"] = {"ft": reaction, "tt": reaction}
    inquiry = ws.livechat.inquiries.get(room["_id"])
    if inquiry is not None:
        inquiry.update(status="taken", _updatedAt=iso(ts))
    room["_updatedAt"] = iso(ts)


def post(ws: Store, rng: random.Random, room: Doc, author: Doc, text: str, ts: int) -> Doc:
    """A visitor's message (`author` is the visitor: `token`, `alias`) or an agent's reply."""
    is_visitor = "token" in author
    doc: Doc = {
        "_id": random_id(rng),
        "rid": room["_id"],
        "msg": text,
        "ts": iso(ts),
        "u": {"_id": author["_id"], "username": author["username"], "name": author["name"]}
        if is_visitor
        else user_ref(author),
        "_updatedAt": iso(ts),
        "mentions": [],
        "channels": [],
    }
    if is_visitor:
        doc.update(token=author["token"], alias=author["name"])
        room["metrics"].setdefault("v", {})["lq"] = iso(ts)
        room["waitingResponse"] = True
    elif "t" not in doc:
        _count_response(room, author, ts)
    return _store(ws, room, doc, ts)


def _store(ws: Store, room: Doc, doc: Doc, ts: int) -> Doc:
    ws.messages.put(Msg(doc, ts, ts, None))
    room["msgs"] += 1
    room["lm"] = iso(ts)
    room["lastMessage"] = doc
    room["_updatedAt"] = iso(ts)
    return doc


def _count_response(room: Doc, agent: Doc, ts: int) -> None:
    metrics = room["metrics"]
    if not room.get("waitingResponse"):
        metrics.setdefault("servedBy", {})["lr"] = iso(ts)
        return
    asked = _ms(metrics["v"]["lq"])
    response = metrics.setdefault("response", {"tt": 0.0, "total": 0})
    seconds = (ts - asked) / 1000
    response.setdefault("ft", seconds)
    response["tt"] += seconds
    response["total"] += 1
    response["avg"] = response["tt"] / response["total"]
    metrics.setdefault("servedBy", {})["lr"] = iso(ts)
    room["waitingResponse"] = False
    first = room.setdefault("responseBy", {"firstResponseTs": iso(ts)})
    first.update(_id=agent["_id"], username=agent["username"], lastMessageTs=iso(ts))


def transfer(
    ws: Store,
    rng: random.Random,
    room: Doc,
    by: Doc,
    to: Doc | None,
    ts: int,
    department: Doc | None = None,
) -> Doc:
    """To another agent (`scope: agent`) or another department (`scope: department`)."""
    data: Doc = {
        "transferredBy": {**user_ref(by), "type": "user", "userType": "agent"},
        "ts": iso(ts),
        "scope": "department" if department is not None else "agent",
        "comment": "over to you",
    }
    previous = room.get("departmentId")
    if department is not None:
        data["nextDepartment"] = {"_id": department["_id"], "name": department["name"]}
        if previous:
            data["previousDepartment"] = {"_id": previous}
        room["departmentId"] = department["_id"]
    if to is not None:
        data["transferredTo"] = user_ref(to)
        if "servedBy" not in room:  # forwarding a queued chat to an agent takes its inquiry
            serve(ws, room, to, ts)
        room["servedBy"] = {"_id": to["_id"], "username": to["username"], "ts": iso(ts)}
    doc: Doc = {
        "_id": random_id(rng),
        "rid": room["_id"],
        "t": "livechat_transfer_history",
        "msg": "",
        "ts": iso(ts),
        "u": user_ref(by),
        "groupable": False,
        "transferData": data,
        "_updatedAt": iso(ts),
    }
    return _store(ws, room, doc, ts)


def close(ws: Store, rng: random.Random, room: Doc, by: Doc, ts: int) -> Doc:
    """Unsets `open`, sets `closedAt`/`closer`/`closedBy`, the durations, drops the inquiry."""
    doc: Doc = {
        "_id": random_id(rng),
        "rid": room["_id"],
        "t": "livechat-close",
        "msg": "Closed by agent",
        "ts": iso(ts),
        "u": user_ref(by),
        "groupable": False,
        "_updatedAt": iso(ts),
    }
    _store(ws, room, doc, ts)
    room.pop("open", None)
    room.update(closedAt=iso(ts), closer="user", closedBy=user_ref(by), waitingResponse=False)
    metrics = room["metrics"]
    metrics["chatDuration"] = (ts - _ms(room["ts"])) / 1000
    served = room.get("servedBy")
    if served is not None:
        metrics["serviceTimeDuration"] = (ts - _ms(served["ts"])) / 1000
    ws.livechat.inquiries.pop(room["_id"], None)
    return doc


def _ms(value: str) -> int:
    return parse_date(value) or 0
