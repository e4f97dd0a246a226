"""Live writes with the real server's side effects.

Every write bumps the written document's `_updatedAt`. The room's `_updatedAt` moves only as the
real server moves it (see `RoomWrites`): on new messages and deletions always, on edits, reactions,
pins and stars only when the message is the room's `lastMessage`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

from etl.simulator.admin_writes import AdminWrites
from etl.simulator.clock import iso
from etl.simulator.content import as_removed, markdown
from etl.simulator.ids import object_id, random_id
from etl.simulator.messages import Msg
from etl.simulator.room_writes import RoomWrites
from etl.simulator.store import Store
from etl.simulator.upload_writes import UploadWrites
from etl.simulator.uploads import upload_deleted_with


class Mutations(UploadWrites, RoomWrites, AdminWrites):
    """`ws.mutate`: message, room, emoji, role and user writes. Thread-safe (takes `ws.lock`)."""

    def __init__(self, ws: Store) -> None:
        self.ws = ws
        self.rng = random.Random(f"mutations-{ws.seed}")

    # -- helpers ---------------------------------------------------------------------------------
    def _msg(self, mid: str) -> Msg:
        msg = self.ws.messages.by_id.get(mid)
        if msg is None:
            raise KeyError(f"no live message {mid!r}")
        return msg

    def _user(self, uid: str) -> dict[str, Any]:
        user = self.ws.users.get(uid)
        if user is None:
            raise KeyError(f"no user {uid!r}")
        return user

    def _save(self, doc: dict[str, Any], ts: int, upd: int, tlm: int | None) -> dict[str, Any]:
        doc["_updatedAt"] = iso(upd)
        self.ws.messages.put(Msg(doc, ts, upd, tlm))
        return doc

    def _update(self, mid: str, unset: tuple[str, ...] = (), **fields: object) -> dict[str, Any]:
        """`$set`/`$unset` through `setUpdatedAt`: the message moves, the room does not."""
        msg = self._msg(mid)
        doc = msg.doc()
        doc.update(fields)
        for key in unset:
            doc.pop(key, None)
        self._save(doc, msg.ts, self.ws.now(), msg.tlm)
        return doc

    def _clone_history(self, msg: Msg, user: dict[str, Any], now: int) -> None:
        """`cloneAndSaveAsHistoryByRecord` (KeepHistory): the old version, hidden, ObjectId."""
        doc = msg.doc()
        doc["_id"] = object_id(self.rng, now // 1000)
        doc.update(_hidden=True, parent=msg.id, editedAt=iso(now))
        doc["editedBy"] = {"_id": user["_id"], "username": user["username"]}
        self._save(doc, msg.ts, now, msg.tlm)

    # -- messages ----------------------------------------------------------------------------------
    def post_message(
        self,
        rid: str,
        user_id: str,
        msg: str,
        tmid: str | None = None,
        tshow: bool = False,
        **extra: object,
    ) -> dict[str, Any]:
        with self.ws.lock:
            if rid not in self.ws.rooms:
                raise KeyError(f"no room {rid!r}")
            user = self._user(user_id)
            now = self.ws.now()
            doc: dict[str, Any] = {
                "_id": random_id(self.rng),
                "rid": rid,
                "msg": msg,
                "ts": iso(now),
                "u": {"_id": user["_id"], "username": user["username"], "name": user.get("name")},
                "_updatedAt": iso(now),
                "mentions": [],
                "channels": [],
                "md": markdown(msg),
            }
            doc.update(extra)
            if tmid is not None:
                self._bump_thread(tmid, user_id, now)
                doc["tmid"] = tmid
                if tshow:
                    doc["tshow"] = True
            self._save(doc, now, now, None)
            self._after_new_message(rid, doc, now)
            return doc

    def _bump_thread(self, tmid: str, user_id: str, now: int) -> None:
        parent = self._msg(tmid)
        pdoc = parent.doc()
        pdoc["tcount"] = pdoc.get("tcount", 0) + 1
        pdoc["tlm"] = iso(now)
        replies = pdoc.setdefault("replies", [pdoc["u"]["_id"]])
        if user_id not in replies:
            replies.append(user_id)
        self._save(pdoc, parent.ts, now, now)

    def edit_message(self, mid: str, user_id: str, msg: str) -> dict[str, Any]:
        with self.ws.lock:
            old, user = self._msg(mid), self._user(user_id)
            now = self.ws.now()
            if self.ws.setting("Message_KeepHistory"):
                self._clone_history(old, user, now)
            editor = {"_id": user["_id"], "username": user["username"]}
            doc = self._update(mid, msg=msg, md=markdown(msg), editedAt=iso(now), editedBy=editor)
            self._after_edit(doc, now)
            return doc

    def react(self, mid: str, user_id: str, emoji: str) -> dict[str, Any]:
        with self.ws.lock:
            username = self._user(user_id)["username"]
            reactions = self._msg(mid).doc().get("reactions", {})
            people = reactions.setdefault(emoji, {"usernames": []})["usernames"]
            if username not in people:
                people.append(username)
            doc = self._update(mid, reactions=reactions)
            self._patch_last_message(doc, reactions=reactions)
            return doc

    def unreact(self, mid: str, user_id: str, emoji: str) -> dict[str, Any]:
        with self.ws.lock:
            username = self._user(user_id)["username"]
            reactions = self._msg(mid).doc().get("reactions", {})
            people = reactions.get(emoji, {}).get("usernames", [])
            if username in people:
                people.remove(username)
            if emoji in reactions and not people:
                del reactions[emoji]
            if reactions:
                doc = self._update(mid, reactions=reactions)
                self._patch_last_message(doc, reactions=reactions)
            else:  # `Messages.unsetReactions`: the last reaction gone, the field goes too
                doc = self._update(mid, unset=("reactions",))
                self._patch_last_message(doc, unset=("reactions",))
            return doc

    def pin(self, mid: str, user_id: str) -> dict[str, Any]:
        """Pinning also posts a `message_pinned` system message quoting the pinned one."""
        with self.ws.lock:
            user, now = self._user(user_id), self.ws.now()
            doc = self._update(
                mid,
                pinned=True,
                pinnedAt=iso(now),
                pinnedBy={"_id": user["_id"], "username": user["username"]},
            )
            self._patch_last_message(doc, pinned=True, pinnedBy=doc["pinnedBy"])
            quote = {"text": doc["msg"], "author_name": doc["u"]["username"], "ts": doc["ts"]}
            self.post_message(
                doc["rid"], user_id, "", t="message_pinned", groupable=False, attachments=[quote]
            )
            return doc

    def unpin(self, mid: str, user_id: str) -> dict[str, Any]:
        with self.ws.lock:
            self._user(user_id)
            doc = self._update(mid, pinned=False)
            self._patch_last_message(doc, pinned=False)
            return doc

    def star(self, mid: str, user_id: str, starred: bool = True) -> dict[str, Any]:
        with self.ws.lock:
            stars = [s for s in self._msg(mid).doc().get("starred", []) if s["_id"] != user_id]
            doc = self._update(mid, starred=stars + ([{"_id": user_id}] if starred else []))
            self._patch_last_message(doc, starred=doc["starred"])
            return doc

    def delete_message(
        self, mid: str, user_id: str, keep_history: bool = False, show_deleted_status: bool = False
    ) -> dict[str, Any]:
        """The four KeepHistory x ShowDeletedStatus outcomes; thread parents always keep history +
        status.
        """
        with self.ws.lock:
            msg, user = self._msg(mid), self._user(user_id)
            now = self.ws.now()
            doc = msg.doc()
            if doc.get("tcount"):
                keep_history = show_deleted_status = True
            if keep_history and not show_deleted_status:
                self._save({**doc, "_hidden": True}, msg.ts, now, msg.tlm)
            elif show_deleted_status:
                if keep_history:
                    self._clone_history(msg, user, now)
                self._save(as_removed(doc, user, now), msg.ts, now, msg.tlm)
            else:
                self.ws.messages.move_to_trash(mid, now, msg.upd)
            if msg.tmid and msg.tmid in self.ws.messages.by_id:
                self._decrease_replies(msg.tmid, now)
            upload_deleted_with(self.ws, doc, keep_history, now)
            self._after_delete(msg.rid, mid, now)
            return {"_id": mid, "ts": str(now)}

    def hide_message(self, mid: str) -> dict[str, Any]:
        """KeepHistory on, ShowDeletedStatus off: `_hidden` only, nothing in the trash."""
        with self.ws.lock:
            msg = self._msg(mid)
            return self.delete_message(
                mid, msg.doc()["u"]["_id"], keep_history=True, show_deleted_status=False
            )

    def _decrease_replies(self, tmid: str, now: int) -> None:
        parent = self._msg(tmid)
        pdoc = parent.doc()
        pdoc["tcount"] = max(0, pdoc.get("tcount", 1) - 1)
        self._save(pdoc, parent.ts, now, parent.tlm)

    def set_setting(self, setting_id: str, value: object) -> dict[str, Any]:
        with self.ws.lock:
            doc = self.ws.settings.setdefault(setting_id, {"_id": setting_id, "public": False})
            doc.update(value=value, _updatedAt=iso(self.ws.now()))
            return doc

    def advance_clock(self, seconds: float) -> str:
        now = self.ws.clock.advance(seconds)
        self.ws.expire_trash()
        return iso(now)

    def live_ids(self, rid: str) -> Iterable[str]:
        return [m.id for m in self.ws.messages.visible(rid)]
