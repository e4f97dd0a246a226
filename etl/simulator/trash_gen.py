"""Deleted objects of a generated workspace: rooms (and their messages), emoji, roles, users."""

from __future__ import annotations

import random

from etl.simulator import directory as d
from etl.simulator import rooms_gen as r
from etl.simulator.content import Content
from etl.simulator.gen_messages import DAY_MS
from etl.simulator.ids import random_id
from etl.simulator.messages import TrashMsg
from etl.simulator.wiring import Cast
from etl.simulator.workspace import Workspace


def _recent(rng: random.Random, now: int) -> int:
    """Inside the trash TTL: 1 to 25 days ago."""
    return now - rng.randint(DAY_MS, 25 * DAY_MS)


def add_deleted_objects(ws: Workspace, rng: random.Random, cast: Cast, now: int) -> None:
    content = Content(rng, cast.people[:50], [])
    for i in range(2):
        deleted = _recent(rng, now)
        created = deleted - 20 * DAY_MS
        room = r.named_room(random_id(rng), "c", f"deleted-channel-{i}", cast.admin, created)
        members = [cast.admin, *rng.sample(cast.people, min(4, len(cast.people)))]
        for user in {u["_id"]: u for u in members}.values():
            sub = r.subscription(rng, user, room, created)
            ws.put_in_trash("subscriptions", sub, deleted)
        for k in range(rng.randint(3, 8)):  # `eraseRoom` trashes every message with its `rid`
            ts = created + k * 60_000
            doc = content.regular(room["_id"], rng.choice(members), ts)
            ws.messages.load_trash(TrashMsg(doc, deleted, ts))
        ws.put_in_trash("rooms", room, deleted)
    for eid in rng.sample(sorted(ws.custom_emoji), 2):
        ws.put_in_trash("custom_emoji", ws.custom_emoji.pop(eid), _recent(rng, now))
    custom_roles = sorted(k for k, v in ws.roles.items() if not v["protected"])
    ws.put_in_trash("roles", ws.roles.pop(custom_roles[0]), _recent(rng, now))
    sound = sorted(ws.custom_sounds)[0]
    ws.put_in_trash("custom_sounds", ws.custom_sounds.pop(sound), _recent(rng, now))
    gone = d.make_user(
        rng, random_id(rng), "deleted.user", "Deleted User", ["user"], now - 90 * DAY_MS
    )
    ws.put_in_trash("users", gone, _recent(rng, now))
