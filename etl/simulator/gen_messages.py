"""Generates one room's message history: threads, ties, edits, pins, stars and the four deletion
kinds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.content import Content, as_removed
from etl.simulator.ids import object_id
from etl.simulator.messages import MessageStore, Msg, TrashMsg

DAY_MS = 86_400_000


@dataclass
class Draft:
    doc: dict[str, Any]
    ts: int
    upd: int
    tlm: int | None = None


@dataclass
class RoomPlan:
    room: dict[str, Any]
    members: list[dict[str, Any]]
    count: int
    start: int  # epoch ms of the first message
    end: int  # epoch ms of the last one
    rich: bool = False  # force at least one of every special kind (tiny workspaces, GENERAL)
    # pre-built docs to interleave (discussions)
    extras: list[dict[str, Any]] = field(default_factory=list)
    parent: RoomPlan | None = None  # a discussion's parent room


def _quota(rng: random.Random, rate: float, n: int, rich: bool) -> int:
    expected = rate * n
    k = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
    return max(k, 1) if rich and n >= 20 else k


class RoomGenerator:
    def __init__(self, rng: random.Random, content: Content, now: int) -> None:
        self.rng = rng
        self.content = content
        self.now = now

    def timeline(self, plan: RoomPlan) -> list[int]:
        """Message times with deliberate millisecond ties (bulk sends, imports)."""
        rng, n = self.rng, plan.count
        gap = max(1, (plan.end - plan.start) // max(n, 1))
        times: list[int] = []
        t = plan.start
        while len(times) < n:
            if rng.random() < 0.01:  # a burst: several messages in the same millisecond
                times.extend([t] * min(rng.randint(3, 6), n - len(times)))
            else:
                times.append(t)
            t += 0 if rng.random() < 0.03 else rng.randint(1, 2 * gap)
        span = (times[-1] - plan.start) if times else 0
        if span > plan.end - plan.start:  # squeeze into the room's life; ties stay ties
            scale = (plan.end - plan.start) / span
            times = [plan.start + int((x - plan.start) * scale) for x in times]
        return times

    def generate(self, plan: RoomPlan) -> list[Draft]:
        rng, content, rid = self.rng, self.content, plan.room["_id"]
        drafts: list[Draft] = []
        parents: list[Draft] = []
        extras = list(plan.extras)
        for i, ts in enumerate(self.timeline(plan)):
            user = rng.choice(plan.members)
            if extras and rng.random() < len(extras) / max(1, plan.count - i):
                drafts.append(self.place(extras.pop(), ts))
                continue
            roll = rng.random()
            if roll < 0.05:
                drafts.append(Draft(content.system(rid, user, ts), ts, ts))
            elif roll < 0.22 and parents:
                drafts.append(self.reply(rng.choice(parents[-30:]), rid, user, ts))
            else:
                draft = Draft(content.regular(rid, user, ts), ts, ts)
                drafts.append(draft)
                if rng.random() < 0.25:
                    parents.append(draft)
        for doc in extras:  # left over: append at the end
            drafts.append(self.place(doc, drafts[-1].ts if drafts else plan.start))
        return drafts

    @staticmethod
    def place(doc: dict[str, Any], ts: int) -> Draft:
        """A pre-built doc at `ts`; a discussion's messages bumped its parent message (`dlm`)."""
        upd = max(ts, doc.pop("_dlm_ms", ts))
        doc["ts"], doc["_updatedAt"] = iso(ts), iso(upd)
        return Draft(doc, ts, upd)

    def reply(self, parent: Draft, rid: str, user: dict[str, Any], ts: int) -> Draft:
        doc = self.content.regular(rid, user, ts)
        doc["tmid"] = parent.doc["_id"]
        if self.rng.random() < 0.1:
            doc["tshow"] = True
        pdoc = parent.doc
        pdoc["tcount"] = pdoc.get("tcount", 0) + 1
        pdoc["tlm"] = iso(ts)
        replies = pdoc.setdefault("replies", [pdoc["u"]["_id"]])
        if user["_id"] not in replies:
            replies.append(user["_id"])
        parent.tlm = ts
        parent.upd = max(parent.upd, ts)
        pdoc["_updatedAt"] = iso(parent.upd)
        return Draft(doc, ts, ts)

    def later(self, draft: Draft, max_days: float = 20) -> int:
        """A time after the draft's last update, inside the last `max_days` before now, never after
        now: the clock starts at `now`, and a real server holds no documents from the future.
        """
        lo = min(self.now, max(draft.upd + 1, self.now - int(max_days * DAY_MS)))
        return self.rng.randint(lo, max(lo, self.now - 1000))

    def decorate(self, drafts: list[Draft], plan: RoomPlan) -> list[Draft]:
        """Edits (some with history clones), pins and stars. Returns the clones."""
        rng = self.rng
        clones: list[Draft] = []
        plain = [d for d in drafts if "t" not in d.doc]
        if not plain:
            return clones
        for draft in rng.sample(plain, min(len(plain), _quota(rng, 0.05, len(plain), plan.rich))):
            editor = draft.doc["u"]
            when = self.later(draft, 200)
            if rng.random() < 0.3:
                clones.append(self.clone(draft, editor, when))
            draft.doc["msg"] = draft.doc["msg"] + " (edited)"
            if "md" in draft.doc:
                draft.doc["md"] = self.content_md(draft.doc["msg"])
            self.touch(
                draft,
                when,
                editedAt=iso(when),
                editedBy={"_id": editor["_id"], "username": editor["username"]},
            )
        for draft in rng.sample(plain, min(len(plain), _quota(rng, 0.01, len(plain), plan.rich))):
            who = rng.choice(plan.members)
            when = self.later(draft, 200)
            self.touch(
                draft,
                when,
                pinned=True,
                pinnedAt=iso(when),
                pinnedBy={"_id": who["_id"], "username": who["username"]},
            )
        for draft in rng.sample(plain, min(len(plain), _quota(rng, 0.02, len(plain), plan.rich))):
            fans = rng.sample(plan.members, min(len(plan.members), rng.randint(1, 3)))
            self.touch(draft, self.later(draft, 200), starred=[{"_id": u["_id"]} for u in fans])
        return clones

    @staticmethod
    def content_md(text: str) -> list[dict[str, Any]]:
        return [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": text}]}]

    @staticmethod
    def touch(draft: Draft, when: int, **fields: object) -> None:
        draft.doc.update(fields)
        draft.upd = max(draft.upd, when)
        draft.doc["_updatedAt"] = iso(draft.upd)

    def clone(self, draft: Draft, editor: dict[str, Any], when: int) -> Draft:
        """`cloneAndSaveAsHistoryByRecord`: the old version, `_hidden`, `parent`, an ObjectId."""
        doc = {k: v for k, v in draft.doc.items() if k != "_id"}
        doc["_id"] = object_id(self.rng, when // 1000)
        doc.update(_hidden=True, parent=draft.doc["_id"], editedAt=iso(when), _updatedAt=iso(when))
        doc["editedBy"] = {"_id": editor["_id"], "username": editor["username"]}
        return Draft(doc, draft.ts, when)

    def delete(
        self, drafts: list[Draft], plan: RoomPlan, store: MessageStore
    ) -> tuple[list[Draft], list[Draft]]:
        """The four KeepHistory x ShowDeletedStatus outcomes; returns (live, extra clones)."""
        rng = self.rng
        candidates = [
            d for d in drafts if "t" not in d.doc and "tmid" not in d.doc and "tcount" not in d.doc
        ]
        rng.shuffle(candidates)
        kinds = [("trash", 0.012), ("rm", 0.005), ("rm_clone", 0.003), ("hidden", 0.003)]
        chosen: dict[str, str] = {}
        for kind, rate in kinds:
            for _ in range(_quota(rng, rate, len(candidates), plan.rich)):
                if candidates:
                    chosen[candidates.pop().doc["_id"]] = kind
        live: list[Draft] = []
        clones: list[Draft] = []
        for draft in drafts:
            how = chosen.get(draft.doc["_id"])
            if how is None:
                live.append(draft)
                continue
            when = self.later(draft, 25)
            if how == "trash":
                store.load_trash(TrashMsg(draft.doc, when, draft.upd))
                continue
            if how == "rm_clone":
                clones.append(self.clone(draft, draft.doc["u"], when))
            if how == "hidden":
                self.touch(draft, when, _hidden=True)
            else:
                self.mark_removed(draft, when)
            live.append(draft)
        return live, clones

    def mark_removed(self, draft: Draft, when: int) -> None:
        as_removed(draft.doc, draft.doc["u"], when)
        draft.upd = max(draft.upd, when)


def to_messages(drafts: list[Draft]) -> list[Msg]:
    return [Msg(d.doc, d.ts, d.upd, d.tlm) for d in drafts]
