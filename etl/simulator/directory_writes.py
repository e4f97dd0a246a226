"""Writes to the small collections: emoji, roles, users, all with trash on deletion."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.directory import make_user
from etl.simulator.ids import random_id
from etl.simulator.store import Store


class DirectoryWrites:
    ws: Store
    rng: random.Random

    def add_emoji(
        self, name: str, aliases: Sequence[str] = (), extension: str = "png"
    ) -> dict[str, Any]:
        with self.ws.lock:
            eid = random_id(self.rng)
            doc = {
                "_id": eid,
                "name": name,
                "aliases": list(aliases),
                "extension": extension,
                "etag": random_id(self.rng),
                "_updatedAt": iso(self.ws.now()),
            }
            self.ws.custom_emoji[eid] = doc
            return doc

    def delete_emoji(self, emoji_id: str) -> dict[str, Any]:
        with self.ws.lock:
            return self.ws.put_in_trash(
                "custom_emoji", self.ws.custom_emoji.pop(emoji_id), self.ws.now()
            )

    def add_role(self, name: str, scope: str = "Users", description: str = "") -> dict[str, Any]:
        with self.ws.lock:
            rid = random_id(self.rng)
            doc = {
                "_id": rid,
                "name": name,
                "description": description,
                "protected": False,
                "scope": scope,
                "mandatory2fa": False,
                "_updatedAt": iso(self.ws.now()),
            }
            self.ws.roles[rid] = doc
            return doc

    def delete_role(self, role_id: str) -> dict[str, Any]:
        with self.ws.lock:
            role = self.ws.roles[role_id]
            if role.get("protected"):
                raise ValueError(f"role {role_id!r} is protected and cannot be deleted")
            return self.ws.put_in_trash("roles", self.ws.roles.pop(role_id), self.ws.now())

    def add_user(
        self,
        username: str,
        name: str | None = None,
        roles: Sequence[str] = ("user",),
        password: str | None = None,
        kind: str = "user",
    ) -> dict[str, Any]:
        with self.ws.lock:
            if username in self.ws.usernames:
                raise ValueError(f"username {username!r} is already taken")
            now = self.ws.now()
            user = make_user(
                self.rng,
                random_id(self.rng),
                username,
                name or username,
                list(roles),
                now,
                kind=kind,
            )
            user["_updatedAt"] = user["lastLogin"] = iso(now)
            self.ws.users[user["_id"]] = user
            self.ws.usernames[username] = user["_id"]
            self.ws.passwords[user["_id"]] = password or f"pw-{username}"
            return user

    def deactivate_user(self, user_id: str) -> dict[str, Any]:
        with self.ws.lock:
            user = self.ws.users[user_id]
            user.update(active=False, _updatedAt=iso(self.ws.now()))
            return user

    def delete_user(self, user_id: str) -> dict[str, Any]:
        """The user and their subscriptions go to the trash; their messages stay."""
        with self.ws.lock:
            ws, now = self.ws, self.ws.now()
            for sub_id in list(ws.subs_by_user.get(user_id, {}).values()):
                sub = ws.drop_subscription(sub_id)
                if sub is not None:
                    ws.put_in_trash("subscriptions", sub, now)
            user = ws.users.pop(user_id)
            ws.usernames.pop(user["username"], None)
            ws.tokens = {t: u for t, u in ws.tokens.items() if u != user_id}
            return ws.put_in_trash("users", user, now)
