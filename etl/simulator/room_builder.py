"""Lays out a workspace's rooms, memberships and teams, and plans each room's messages."""

from __future__ import annotations

import random
from typing import Any

from etl.simulator import rooms_gen as r
from etl.simulator.clock import parse_date
from etl.simulator.gen_messages import RoomPlan
from etl.simulator.ids import random_id
from etl.simulator.rooms_gen import RoomMix
from etl.simulator.wiring import Cast
from etl.simulator.workspace import Workspace


class RoomBuilder:
    """The admin, the limited user and the bot join only the rooms named for them, so that each
    has rooms it cannot read (private groups and DMs for the admin, channels for the bot)."""

    def __init__(
        self, ws: Workspace, rng: random.Random, cast: Cast, origin: int, now: int
    ) -> None:
        self.ws, self.rng, self.cast = ws, rng, cast
        self.origin, self.now = origin, now
        self.plans: list[RoomPlan] = []
        special = {cast.admin["_id"], cast.limited["_id"], cast.bot["_id"]}
        self.pool = [u for u in cast.people if u["active"] and u["_id"] not in special]

    def born(self) -> int:
        return self.origin + self.rng.randint(0, (self.now - self.origin) // 4)

    def crowd(self, lo: int, hi: int) -> list[dict[str, Any]]:
        return self.rng.sample(self.pool, min(len(self.pool), self.rng.randint(lo, hi)))

    def add(
        self,
        room: dict[str, Any],
        members: list[dict[str, Any]],
        owner: dict[str, Any] | None = None,
    ) -> RoomPlan:
        self.ws.rooms[room["_id"]] = room
        unique = list({u["_id"]: u for u in members}.values())
        room["usersCount"] = len(unique)
        start = parse_date(room["ts"]) or self.origin
        for user in unique:
            is_owner = owner is not None and user is owner
            self.ws.add_subscription(r.subscription(self.rng, user, room, start, is_owner))
        plan = RoomPlan(room, unique, 0, start, self.now - 3_600_000)
        self.plans.append(plan)
        return plan

    def build(self, mix: RoomMix) -> list[RoomPlan]:
        cast = self.cast
        general = r.named_room("GENERAL", "c", "general", cast.admin, self.origin, default=True)
        everyone = [cast.admin, cast.limited, cast.bot, cast.rocket_cat, *cast.people]
        self.add(general, everyone, cast.admin).rich = True
        self.channels(mix.channels)
        self.groups(mix.groups)
        self.direct_messages(mix.dms, mix.group_dms)
        self.discussions(mix.discussions)
        self.teams(mix.teams)
        return self.plans

    def channels(self, n: int) -> None:
        admin, limited, bot = self.cast.admin, self.cast.limited, self.cast.bot
        made = []
        for i in range(n):
            room = r.named_room(random_id(self.rng), "c", f"channel-{i}", admin, self.born())
            members = self.crowd(3, 300) + ([admin] if i % 5 != 4 else [])
            members += ([limited] if i < 2 else []) + ([bot] if i == 0 else [])
            made.append(self.add(room, members, admin))
        made[-1].room["archived"] = True
        made[-2].room["ro"] = True
        made[0].rich = True

    def groups(self, n: int) -> None:
        admin, limited = self.cast.admin, self.cast.limited
        for i in range(n):
            room = r.named_room(random_id(self.rng), "p", f"group-{i}", admin, self.born())
            with_admin = i == 0 or (i != 1 and self.rng.random() < 0.6)  # never group-1
            members = self.crowd(2, 60) + ([admin] if with_admin else [])
            self.add(room, members + ([limited] if i == 0 else []), admin).rich = i < 2

    def direct_messages(self, n: int, group_dms: int) -> None:
        rng, admin, limited, others = self.rng, self.cast.admin, self.cast.limited, self.pool
        pairs = [(admin, limited), (limited, others[0]), (others[1], others[2])]
        for _ in range(n - 3):
            a, b = rng.sample([*others, admin], 2)
            pairs.append((a, b))
        for a, b in pairs:
            room = r.direct_room(rng, [a, b], self.born())
            if room["_id"] not in self.ws.rooms:
                self.add(room, [a, b]).rich = len(self.plans) < 5
        for i in range(group_dms):  # the first one without the admin
            members = rng.sample(others, min(len(others), 3 + i % 3)) + ([admin] if i > 0 else [])
            self.add(r.direct_room(rng, members, self.born()), members)

    def discussions(self, n: int) -> None:
        admin = self.cast.admin
        parents = [p for p in self.plans if p.room["t"] in "cp" and p.room["_id"] != "GENERAL"]
        for i in range(n):
            parent = parents[i % len(parents)]
            name, ts = random_id(self.rng), self.born()
            room = r.named_room(random_id(self.rng), "p", name, admin, ts, prid=parent.room["_id"])
            room["fname"] = f"discussion {i}"
            members = self.rng.sample(parent.members, min(len(parent.members), 5))
            self.add(room, members + ([admin] if i % 2 == 0 else []), admin).parent = parent

    def teams(self, n: int) -> None:
        """Team i is private when i is odd; the admin joins public teams, never their channels."""
        rng, admin, limited = self.rng, self.cast.admin, self.cast.limited
        for i in range(n):
            private, ts = i % 2 == 1, self.born()
            kind = "p" if private else "c"
            main = r.named_room(random_id(rng), kind, f"team-{i}", admin, ts, teamMain=True)
            members = self.crowd(3, 40) + ([limited] if private else [admin])
            team = r.team_doc(rng, f"team-{i}", private, main["_id"], admin, ts)
            main["teamId"] = team["_id"]
            self.ws.teams[team["_id"]] = team
            self.ws.team_members[team["_id"]] = {
                u["_id"]: r.team_member(rng, team, u, admin, ts) for u in members
            }
            self.add(main, members, admin)
            name = f"team-{i}-channel"
            channel = r.named_room(
                random_id(rng), "c", name, admin, self.born(), teamId=team["_id"]
            )
            self.add(channel, [u for u in members if u is not admin][:10])
