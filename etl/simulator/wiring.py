"""Glue for the generator: who is who, how many messages each room gets, room summary fields."""

from __future__ import annotations

import random
from dataclasses import dataclass

from etl.simulator.clock import iso
from etl.simulator.gen_messages import RoomPlan
from etl.simulator.messages import Msg
from etl.simulator.store import Workspace


@dataclass
class Cast:
    admin: dict
    limited: dict  # credentials["user"]: a plain user without admin permissions
    bot: dict  # credentials["bot"]: `bot` role, so `view-joined-room` but not `view-c-room`
    rocket_cat: dict
    people: list[dict]


def plan_counts(rng: random.Random, plans: list[RoomPlan], total: int) -> None:
    """Skewed room sizes: a few busy rooms, many quiet ones, GENERAL busy enough to page through."""
    general = next(p for p in plans if p.room["_id"] == "GENERAL")
    general.count = max(int(total * 0.06), min(total // 4, 300))
    rest = [p for p in plans if p is not general]
    weights = [
        min(rng.paretovariate(1.1), 50.0) * (0.3 if p.room["t"] == "d" else 1.0) for p in rest
    ]
    scale = (total - general.count) / sum(weights)
    for plan, weight in zip(rest, weights, strict=True):
        plan.count = int(weight * scale)
    general.count += total - sum(p.count for p in plans)


def finish_room(ws: Workspace, plan: RoomPlan, msgs: list[Msg]) -> None:
    """`lm`, `lastMessage`, `msgs` and `_updatedAt`, as the message writes left them."""
    room = plan.room
    visible = [m for m in msgs if not m.hidden]
    room["msgs"] = len(visible)
    main = [m for m in visible if m.in_main_list]
    latest = plan.start
    if main:
        last = max(main, key=lambda m: m.ts)
        room["lastMessage"] = last.doc()
        room["lm"] = iso(last.ts)
    if msgs:
        latest = max(latest, max(m.upd for m in msgs))
    index = ws.messages.rooms.get(room["_id"])
    if index is not None and index.trash:
        latest = max(latest, max(deleted for deleted, _ in index.trash))
    room["_updatedAt"] = iso(latest)
