"""Glue for the generator: who is who, how many messages each room gets, room summary fields."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.gen_messages import RoomPlan
from etl.simulator.messages import Msg
from etl.simulator.workspace import Workspace


@dataclass
class Cast:
    admin: dict[str, Any]
    limited: dict[str, Any]  # credentials["user"]: a plain user without admin permissions
    # credentials["bot"]: `bot` role, so `view-joined-room` but not `view-c-room`
    bot: dict[str, Any]
    rocket_cat: dict[str, Any]
    people: list[dict[str, Any]]


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
    if main:
        last = max(main, key=lambda m: m.ts)
        room["lastMessage"] = last.doc()
        room["lm"] = iso(last.ts)
    room["_updatedAt"] = iso(_room_updated_at(ws, plan, msgs, last.upd if main else plan.start))


def _room_updated_at(ws: Workspace, plan: RoomPlan, msgs: list[Msg], last_upd: int) -> int:
    """What moves a room's `_updatedAt` on a real server: every new message, every deletion
    (`msgs` drops), and writes to its last message; edits, pins and stars of older ones do not.
    """
    times = [plan.start, last_upd] + [m.ts for m in msgs]
    times += [m.upd for m in msgs if m.t == "rm"]
    times += [m.upd for m in msgs if m.hidden and "parent" not in m.doc()]
    index = ws.messages.rooms.get(plan.room["_id"])
    if index is not None:
        times += [deleted for deleted, _ in index.trash]
    return max(times)
