"""`build_workspace(seed, size)`: a deterministic Rocket.Chat workspace, tiny to large."""

from __future__ import annotations

import random
import time
from typing import Any

from etl.gc_pause import gc_paused
from etl.simulator import directory as d
from etl.simulator import rooms_gen as r
from etl.simulator.clock import SimClock, iso
from etl.simulator.content import Content
from etl.simulator.gen_admin import add_admin_data
from etl.simulator.gen_messages import DAY_MS, RoomGenerator, RoomPlan, to_messages
from etl.simulator.ids import random_id, token
from etl.simulator.livechat_gen import add_omnichannel
from etl.simulator.messages import Msg
from etl.simulator.room_builder import RoomBuilder
from etl.simulator.sizes import SIZES, Size
from etl.simulator.trash_gen import add_deleted_objects
from etl.simulator.uploads import add_generated_uploads
from etl.simulator.wiring import Cast, finish_room, plan_counts
from etl.simulator.workspace import Workspace


def build_workspace(
    seed: int = 1, size: str = "tiny", now_ms: int | None = None, trash_ttl_days: float = 30.0
) -> Workspace:
    """A workspace whose data end at `now_ms` (default: wall clock), where its clock starts.

    Everything except the absolute times depends on `seed` only; pass `now_ms` for byte-identical
    runs.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    with gc_paused():  # millions of long-lived objects: collections during the build cost 60%
        return _build(seed, size, now_ms, trash_ttl_days)


def _build(seed: int, size: str, now_ms: int | None, trash_ttl_days: float) -> Workspace:
    spec = SIZES[size]
    now = int(time.time() * 1000) if now_ms is None else now_ms
    rng = random.Random(seed)
    ws = Workspace(seed=seed, size=size, clock=SimClock(now), trash_ttl_s=trash_ttl_days * 86_400)
    origin = now - spec.span_days * DAY_MS
    cast = make_users(ws, rng, spec, origin)
    ws.roles = d.make_roles(rng, origin, custom=3)
    ws.permissions = d.make_permissions(origin)
    ws.settings = d.make_settings(origin)
    ws.custom_emoji = d.make_emoji(rng, origin, n=max(4, spec.rooms // 10))
    ws.custom_sounds = d.make_sounds(rng, origin, n=max(3, spec.rooms // 40))
    plans = RoomBuilder(ws, rng, cast, origin, now).build(r.room_mix(spec.rooms))
    plan_counts(rng, plans, spec.messages)
    generate_messages(ws, rng, cast, plans, now)
    add_deleted_objects(ws, rng, cast, now)
    add_admin_data(ws, random.Random(f"admin-{seed}"), cast.admin, origin)
    add_generated_uploads(ws, random.Random(f"uploads-{seed}"))
    make_credentials(ws, rng, cast)
    add_omnichannel(ws, cast, now)
    return ws


def make_users(ws: Workspace, rng: random.Random, spec: Size, origin: int) -> Cast:
    def add(
        uid: str,
        username: str,
        name: str,
        roles: list[str],
        *,
        kind: str = "user",
        active: bool = True,
    ) -> dict[str, Any]:
        when = origin + rng.randint(0, DAY_MS)
        user = d.make_user(rng, uid, username, name, roles, when, kind=kind, active=active)
        ws.users[uid] = user
        ws.usernames[username] = uid
        ws.passwords[uid] = f"pw-{username}"
        return user

    admin = add(random_id(rng), "admin", "Administrator", ["admin", "user"])
    rocket_cat = add("rocket.cat", "rocket.cat", "Rocket.Cat", ["bot"], kind="bot")
    limited = add(random_id(rng), "limited.user", "Limited User", ["user"])
    bot = add(random_id(rng), "sync.bot", "Sync Bot", ["bot"], kind="bot")
    twofa = add(random_id(rng), "twofa.user", "Two Factor", ["user"])
    ws.two_factor_codes[twofa["_id"]] = f"{rng.randint(0, 999_999):06d}"
    people = [admin, limited, twofa]
    for i in range(max(0, spec.users - 5)):
        username, name = d.person_name(rng, i)
        roll = rng.random()
        if roll < 0.02:
            user = add(random_id(rng), f"bot.{i}", f"Bot {i}", ["bot"], kind="bot")
        else:
            user = add(random_id(rng), username, name, ["user"], active=roll > 0.07)
        people.append(user)
    if not any(not u["active"] for u in people):
        people[-1]["active"] = False
    return Cast(admin=admin, limited=limited, bot=bot, rocket_cat=rocket_cat, people=people)


def generate_messages(
    ws: Workspace, rng: random.Random, cast: Cast, plans: list[RoomPlan], now: int
) -> None:
    channels = [p.room for p in plans if p.room["t"] == "c"]
    content = Content(rng, [u for u in cast.people if u["active"]][:400], channels)
    gen = RoomGenerator(rng, content, now)
    general = next(p for p in plans if p.room["_id"] == "GENERAL")
    special = [
        content.base("GENERAL", cast.admin, now, "before\x00after: a NUL inside"),
        content.base("GENERAL", cast.admin, now, "big " + "lorem ipsum " * 5_500),
    ]
    general.extras.extend(special)
    # Discussions first: their parent's `discussion-created` message carries `dcount`/`dlm`.
    for plan in sorted(plans, key=lambda p: "prid" not in p.room):
        drafts = gen.generate(plan)
        clones = gen.decorate(drafts, plan)
        live, more = gen.delete(drafts, plan, ws.messages)
        msgs = to_messages(live + clones + more)
        for msg in msgs:
            ws.messages.load(msg)
        finish_room(ws, plan, msgs)
        if plan.parent is not None:
            plan.parent.extras.append(discussion_created(content, plan, msgs))
    ws.messages.finish_load()


def discussion_created(content: Content, plan: RoomPlan, msgs: list[Msg]) -> dict[str, Any]:
    room = plan.room
    doc = content.base(room["prid"], plan.members[0], plan.start, room["fname"])
    del doc["md"]
    doc.update(t="discussion-created", groupable=False, drid=room["_id"], dcount=len(msgs))
    if msgs:
        doc["_dlm_ms"] = max(m.ts for m in msgs)
        doc["dlm"] = iso(doc["_dlm_ms"])
    return doc


def make_credentials(ws: Workspace, rng: random.Random, cast: Cast) -> None:
    twofa = ws.usernames["twofa.user"]
    for key, user in (
        ("admin", cast.admin),
        ("user", cast.limited),
        ("bot", cast.bot),
        ("twofa", ws.users[twofa]),
    ):
        auth = token(rng)
        ws.tokens[auth] = user["_id"]
        ws.credentials[key] = {
            "user_id": user["_id"],
            "token": auth,
            "username": user["username"],
            "password": ws.passwords[user["_id"]],
        }
    ws.credentials["twofa"]["code"] = ws.two_factor_codes[twofa]
