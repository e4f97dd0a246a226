"""Room-level side effects of writes, and room lifecycle writes (create, rename, archive, erase)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from etl.simulator import rooms_gen as r
from etl.simulator.clock import iso
from etl.simulator.directory_writes import DirectoryWrites
from etl.simulator.ids import random_id
from etl.simulator.store import Store
from etl.simulator.uploads import uploads_of_room_deleted


class RoomWrites(DirectoryWrites):
    ws: Store
    rng: random.Random

    if TYPE_CHECKING:
        # Message writes live in `Mutations`, the one concrete subclass.
        def post_message(
            self,
            rid: str,
            user_id: str,
            msg: str,
            tmid: str | None = None,
            tshow: bool = False,
            **extra: object,
        ) -> dict[str, Any]: ...

        def _update(
            self, mid: str, unset: tuple[str, ...] = (), **fields: object
        ) -> dict[str, Any]: ...

    def _after_new_message(self, rid: str, doc: dict[str, Any], now: int) -> None:
        """`msgs` counts every message; `lm`/`lastMessage` follow messages shown in the room."""
        room = self.ws.rooms[rid]
        room["msgs"] = room.get("msgs", 0) + 1
        if "tmid" not in doc or doc.get("tshow"):
            room["lastMessage"] = dict(doc)
            room["lm"] = doc["ts"]
        room["_updatedAt"] = iso(now)
        self._alert_members(rid, doc["u"]["_id"], now)
        if room.get("prid"):
            self._refresh_discussion(room, doc, now)

    def _alert_members(self, rid: str, author: str, now: int) -> None:
        """`setAlertForRoomIdExcludingUserId`: only subscriptions not already alerted change."""
        subs = self.ws.subscriptions
        for uid, sub_id in self.ws.subs_by_room.get(rid, {}).items():
            sub = subs[sub_id]
            if uid != author and not sub.get("alert"):
                sub.update(alert=True, open=True, _updatedAt=iso(now))

    def _refresh_discussion(self, room: dict[str, Any], doc: dict[str, Any], now: int) -> None:
        """`refreshDiscussionMetadata`: the parent's `discussion-created` message: dcount, dlm."""
        by_id = self.ws.messages.by_id
        for mid in [
            m.id for m in self.ws.messages.visible(room["prid"]) if m.t == "discussion-created"
        ]:
            parent = by_id[mid].doc()
            if parent.get("drid") == room["_id"]:
                count = parent.get("dcount", 0) + 1
                self._update(mid, dcount=count, dlm=doc["ts"])
                return

    def _is_last_message(self, room: dict[str, Any], mid: str) -> bool:
        """`isTheLastMessage`: Store_Last_Message on, and no `lastMessage` or this one."""
        if self.ws.setting("Store_Last_Message") is False:
            return False
        last = room.get("lastMessage")
        return not last or last.get("_id") == mid

    def _after_edit(self, doc: dict[str, Any], now: int) -> None:
        """`notifyUsersOnMessage` on an edit: `Rooms.setLastMessageById` only for the last message
        (or a room without one) shown in the room; any other edit leaves the room alone.
        """
        room = self.ws.rooms.get(doc["rid"])
        shown = "tmid" not in doc or doc.get("tshow")
        if room is not None and shown and self._is_last_message(room, doc["_id"]):
            room["lastMessage"] = dict(doc)
            room["_updatedAt"] = iso(now)

    def _patch_last_message(
        self, doc: dict[str, Any], unset: tuple[str, ...] = (), **fields: object
    ) -> None:
        """`setReactionsInLastMessage`, `setLastMessagePinned`, `updateLastMessageStar`: guarded by
        `isTheLastMessage`. Quirk: `$set: {'lastMessage.x': ...}` on a room without `lastMessage`
        creates one holding only that field.
        """
        room = self.ws.rooms.get(doc["rid"])
        if room is None or not self._is_last_message(room, doc["_id"]):
            return
        last = room.setdefault("lastMessage", {})
        last.update(fields)
        for key in unset:
            last.pop(key, None)
        room["_updatedAt"] = iso(self.ws.now())

    def _after_delete(self, rid: str, mid: str, now: int) -> None:
        """`deleteMessage`: `msgs` always drops by one (even when the message stays as `t:'rm'`),
        which alone bumps the room's `_updatedAt`; `lastMessage` is reset only when the deleted
        message was the last one (`resetLastMessageById`; `lm` stays).
        """
        room = self.ws.rooms.get(rid)
        if room is None:
            return
        room["msgs"] = room.get("msgs", 0) - 1
        if self._is_last_message(room, mid):
            self._reset_last_message(room)
        room["_updatedAt"] = iso(now)

    def _reset_last_message(self, room: dict[str, Any]) -> None:
        """`getLastVisibleMessageSentWithNoTypeByRoomId`: newest visible, untyped, shown message."""
        index = self.ws.messages.rooms.get(room["_id"])
        by_id = self.ws.messages.by_id
        for _, mid in reversed(index.main if index else []):
            msg = by_id[mid]
            if msg.t is None and not msg.hidden:
                room["lastMessage"] = msg.doc()
                return
        room.pop("lastMessage", None)

    def create_room(
        self, t: str, name: str | None, owner_id: str, members: Sequence[str] = (), **extra: object
    ) -> dict[str, Any]:
        with self.ws.lock:
            if t not in ("c", "p", "d"):
                raise ValueError(f"room type {t!r} is not one of c, p, d")
            now, owner = self.ws.now(), self.ws.users[owner_id]
            people = [owner] + [self.ws.users[u] for u in members if u != owner_id]
            if t == "d":
                room = r.direct_room(self.rng, people, now)
                if room["_id"] in self.ws.rooms:
                    return self.ws.rooms[room["_id"]]
            else:
                if not name:
                    raise ValueError("channels and groups need a name")
                room = r.named_room(random_id(self.rng), t, name, owner, now)
            room.update(extra)
            room["usersCount"] = len(people)
            self.ws.rooms[room["_id"]] = room
            for user in people:
                self.ws.add_subscription(
                    r.subscription(self.rng, user, room, now, user is owner and t != "d")
                )
            return room

    def rename_room(self, rid: str, name: str, user_id: str | None = None) -> dict[str, Any]:
        with self.ws.lock:
            room = self.ws.rooms[rid]
            now = self.ws.now()
            room.update(name=name, fname=name, _updatedAt=iso(now))
            for sub_id in self.ws.subs_by_room.get(rid, {}).values():
                self.ws.subscriptions[sub_id].update(name=name, fname=name, _updatedAt=iso(now))
            actor = (
                user_id
                or room.get("u", {}).get("_id")
                or next(iter(self.ws.subs_by_room.get(rid, {})))
            )
            self.post_message(rid, actor, name, t="r", groupable=False)
            return room

    def archive_room(self, rid: str, user_id: str | None = None) -> dict[str, Any]:
        with self.ws.lock:
            room = self.ws.rooms[rid]
            now = self.ws.now()
            room.update(archived=True, _updatedAt=iso(now))
            for sub_id in self.ws.subs_by_room.get(rid, {}).values():
                self.ws.subscriptions[sub_id].update(
                    archived=True, alert=False, open=False, _updatedAt=iso(now)
                )
            actor = (
                user_id
                or room.get("u", {}).get("_id")
                or next(iter(self.ws.subs_by_room.get(rid, {})))
            )
            self.post_message(rid, actor, "", t="room-archived", groupable=False)
            return room

    def delete_room(self, rid: str) -> dict[str, Any]:
        """`eraseRoom`: messages (hidden too), uploads and subscriptions go to the trash, then the
        room."""
        with self.ws.lock:
            ws = self.ws
            for child in [k for k, v in ws.rooms.items() if v.get("prid") == rid]:
                self.delete_room(child)
            now = ws.now()
            index = ws.messages.rooms.get(rid)
            if index is not None:
                ids = [mid for _, mid in index.by_ts] + sorted(index.hidden)
                for mid in ids:
                    ws.messages.move_to_trash(mid, now, ws.messages.by_id[mid].upd)
            uploads_of_room_deleted(ws, rid, now)
            for sub_id in list(ws.subs_by_room.get(rid, {}).values()):
                sub = ws.drop_subscription(sub_id)
                if sub is not None:
                    ws.put_in_trash("subscriptions", sub, now)
            room = ws.rooms.pop(rid)
            return ws.put_in_trash("rooms", room, now)

    def add_member(self, rid: str, user_id: str, by_user_id: str | None = None) -> dict[str, Any]:
        with self.ws.lock:
            room, user = self.ws.rooms[rid], self.ws.users[user_id]
            now = self.ws.now()
            if not self.ws.is_subscribed(user_id, rid):
                self.ws.add_subscription(r.subscription(self.rng, user, room, now))
                room["usersCount"] = room.get("usersCount", 0) + 1
            actor = by_user_id or user_id
            return self.post_message(
                rid, actor, user["username"], t="au" if by_user_id else "uj", groupable=False
            )

    def remove_member(self, rid: str, user_id: str) -> dict[str, Any]:
        with self.ws.lock:
            sub_id = self.ws.subs_by_room.get(rid, {}).get(user_id)
            now = self.ws.now()
            if sub_id is not None:
                self.ws.put_in_trash("subscriptions", self.ws.drop_subscription(sub_id) or {}, now)
                room = self.ws.rooms[rid]
                room["usersCount"] = max(0, room.get("usersCount", 1) - 1)
            return self.post_message(
                rid, user_id, self.ws.users[user_id]["username"], t="ul", groupable=False
            )
