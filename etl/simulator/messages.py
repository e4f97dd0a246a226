"""The message collection: compact documents (pre-serialised JSON) plus the indexes.

A real server answers these queries from Mongo indexes (`{rid, ts, _updatedAt}`, `{tmid}`, the
trash's
`{rid, __collection__, _deletedAt}`); here each room keeps sorted key lists so that every page is a
bisect and a slice, never a scan of the room.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from etl.simulator.clock import iso


def compact(doc: dict[str, Any]) -> bytes:
    """orjson over-allocates its output buffer (~4 KiB); an exact copy keeps 1M messages small."""
    return memoryview(orjson.dumps(doc)).tobytes()


class Msg:
    """One live message. `raw` is the document as the server would serialise it."""

    __slots__ = ("hidden", "id", "raw", "rid", "starred", "t", "tlm", "tmid", "ts", "tshow", "upd")

    def __init__(self, doc: dict[str, Any], ts: int, upd: int, tlm: int | None) -> None:
        self.id: str = doc["_id"]
        self.rid: str = doc["rid"]
        self.ts = ts
        self.upd = upd
        self.tmid: str | None = doc.get("tmid")
        self.tshow: bool = bool(doc.get("tshow"))
        self.hidden: bool = bool(doc.get("_hidden"))
        self.t: str | None = doc.get("t")
        self.tlm = tlm
        self.starred: bool = bool(doc.get("starred"))
        self.raw: bytes = compact(doc)

    def doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = orjson.loads(self.raw)
        return doc

    @property
    def in_main_list(self) -> bool:
        """What `channels.history` shows by default: no thread replies unless `tshow`."""
        return self.tmid is None or self.tshow


class TrashMsg:
    """A trashed message: `{...doc, _deletedAt, __collection__: 'message'}`."""

    __slots__ = ("deleted", "id", "is_parent", "raw", "rid", "tmid", "upd")

    def __init__(self, doc: dict[str, Any], deleted: int, upd: int) -> None:
        self.id: str = doc["_id"]
        self.rid: str = doc["rid"]
        self.tmid: str | None = doc.get("tmid")
        self.is_parent = "tcount" in doc
        self.deleted = deleted
        self.upd = upd
        self.raw = compact({**doc, "_deletedAt": iso(deleted), "__collection__": "message"})

    def doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = orjson.loads(self.raw)
        return doc


@dataclass
class RoomIndex:
    by_ts: list[tuple[int, str]] = field(default_factory=list)  # visible, sorted by (ts, _id)
    main: list[tuple[int, str]] = field(default_factory=list)  # visible, not hidden thread replies
    by_upd: list[tuple[int, str]] = field(
        default_factory=list
    )  # visible, sorted by (_updatedAt, _id)
    hidden: set[str] = field(default_factory=set)  # `_hidden` records and history clones
    parents: set[str] = field(default_factory=set)  # thread parents (`tcount` exists), clones too
    trash: list[tuple[int, str]] = field(default_factory=list)  # (_deletedAt, _id)


def _remove(keys: list[tuple[int, str]], key: tuple[int, str]) -> None:
    i = bisect_left(keys, key)
    if i < len(keys) and keys[i] == key:
        del keys[i]


class MessageStore:
    def __init__(self) -> None:
        self.by_id: dict[str, Msg] = {}
        self.rooms: dict[str, RoomIndex] = {}
        self.threads: dict[str, list[tuple[int, str]]] = {}  # tmid -> (ts, _id), clones included
        self.trash: dict[str, TrashMsg] = {}
        self.trash_order: list[tuple[int, str]] = []  # (_deletedAt, _id) for TTL expiry

    def room(self, rid: str) -> RoomIndex:
        index = self.rooms.get(rid)
        if index is None:
            index = self.rooms[rid] = RoomIndex()
        return index

    # -- bulk loading (generator): append, then sort once ----------------------------------
    def load(self, msg: Msg) -> None:
        self.by_id[msg.id] = msg
        index = self.room(msg.rid)
        self._index(index, msg, bulk=True)

    def load_trash(self, item: TrashMsg) -> None:
        self.trash[item.id] = item
        self.room(item.rid).trash.append((item.deleted, item.id))
        self.trash_order.append((item.deleted, item.id))

    def finish_load(self) -> None:
        for index in self.rooms.values():
            index.by_ts.sort()
            index.main.sort()
            index.by_upd.sort()
            index.trash.sort()
        for replies in self.threads.values():
            replies.sort()
        self.trash_order.sort()

    # -- live writes ---------------------------------------------------------------------------
    def put(self, msg: Msg) -> None:
        """Insert or replace one message, keeping every index sorted."""
        old = self.by_id.get(msg.id)
        if old is not None:
            self._unindex(old)
        self.by_id[msg.id] = msg
        self._index(self.room(msg.rid), msg, bulk=False)

    def move_to_trash(self, msg_id: str, deleted_ms: int, upd_ms: int) -> TrashMsg:
        msg = self.by_id.pop(msg_id)
        self._unindex(msg)
        doc = msg.doc()
        doc["_updatedAt"] = iso(upd_ms)
        item = TrashMsg(doc, deleted_ms, upd_ms)
        self.trash[item.id] = item
        insort(self.room(item.rid).trash, (deleted_ms, item.id))
        insort(self.trash_order, (deleted_ms, item.id))
        return item

    def expire_trash(self, cutoff_ms: int) -> int:
        """The trash collection's TTL index: drop tombstones deleted at or before `cutoff_ms`."""
        n = bisect_left(self.trash_order, (cutoff_ms + 1, ""))
        for deleted, mid in self.trash_order[:n]:
            item = self.trash.pop(mid, None)
            if item is not None:
                _remove(self.room(item.rid).trash, (deleted, mid))
        del self.trash_order[:n]
        return n

    def _index(self, index: RoomIndex, msg: Msg, bulk: bool) -> None:
        add = list.append if bulk else insort
        if msg.tmid is not None:
            replies = self.threads.get(msg.tmid)
            if replies is None:
                replies = self.threads[msg.tmid] = []
            add(replies, (msg.ts, msg.id))
        if msg.tlm is not None:
            index.parents.add(msg.id)
        if msg.hidden:
            index.hidden.add(msg.id)
            return
        add(index.by_ts, (msg.ts, msg.id))
        add(index.by_upd, (msg.upd, msg.id))
        if msg.in_main_list:
            add(index.main, (msg.ts, msg.id))

    def _unindex(self, msg: Msg) -> None:
        index = self.room(msg.rid)
        if msg.tmid is not None and msg.tmid in self.threads:
            _remove(self.threads[msg.tmid], (msg.ts, msg.id))
        index.parents.discard(msg.id)
        if msg.hidden:
            index.hidden.discard(msg.id)
            return
        _remove(index.by_ts, (msg.ts, msg.id))
        _remove(index.by_upd, (msg.upd, msg.id))
        if msg.in_main_list:
            _remove(index.main, (msg.ts, msg.id))

    # -- reads -----------------------------------------------------------------------------------
    def visible(self, rid: str) -> Iterator[Msg]:
        index = self.rooms.get(rid)
        if index is None:
            return iter(())
        by_id = self.by_id
        return (by_id[mid] for _, mid in index.by_ts)

    def count_visible(self, rid: str) -> int:
        index = self.rooms.get(rid)
        return len(index.by_ts) if index else 0
