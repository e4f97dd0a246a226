"""The store: every collection of a simulated server, its trash, clock and credentials.

Plain state and the bookkeeping every write shares; the writes themselves (`mutations.py`) and the
access rules (`access.py`) build on it, and `workspace.py` puts the three together.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from etl.simulator.clock import SimClock, iso
from etl.simulator.livechat_store import LivechatData
from etl.simulator.messages import MessageStore

# Collections with a trash on a real server (`rocketchat__trash`, `__collection__` = model name).
TRASH_COLLECTIONS = {
    "rooms": "room",
    "users": "users",
    "roles": "roles",
    "permissions": "permissions",
    "custom_emoji": "custom_emoji",
    "custom_sounds": "custom_sounds",
    "subscriptions": "subscription",
    "teams": "team",
    "uploads": "uploads",
}
DEFAULT_TRASH_TTL_S = 30 * 24 * 3600  # `expireAfterSeconds: 60*60*24*30` on the trash collection


@dataclass
class TrashDoc:
    deleted: int
    doc: dict[str, Any]


@dataclass
class Store:
    seed: int
    size: str
    clock: SimClock
    users: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    roles: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    permissions: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    custom_emoji: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    custom_sounds: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    teams: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    team_members: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # teamId -> userId -> doc
    settings: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    custom_statuses: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    integrations: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    integration_history: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    statistics: list[dict[str, Any]] = field(default_factory=list)  # snapshots, oldest first
    livechat: LivechatData = field(default_factory=LivechatData)  # omnichannel collections
    messages: MessageStore = field(default_factory=MessageStore)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict[str, Any])
    file_bytes: dict[str, bytes] = field(default_factory=dict)  # upload id -> uploaded bytes
    trash: dict[str, dict[str, TrashDoc]] = field(default_factory=dict)
    subs_by_user: dict[str, dict[str, str]] = field(default_factory=dict)  # uid -> rid -> sub id
    subs_by_room: dict[str, dict[str, str]] = field(default_factory=dict)  # rid -> uid -> sub id
    usernames: dict[str, str] = field(default_factory=dict)  # username -> uid
    passwords: dict[str, str] = field(default_factory=dict)  # uid -> password
    two_factor_codes: dict[str, str] = field(default_factory=dict)  # uid -> the code it accepts
    tokens: dict[str, str] = field(default_factory=dict)  # auth token -> uid
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    trash_ttl_s: float = DEFAULT_TRASH_TTL_S
    lock: threading.RLock = field(default_factory=threading.RLock)

    def now(self) -> int:
        return self.clock.now()

    def setting(self, name: str) -> Any:
        doc = self.settings.get(name)
        return None if doc is None else doc["value"]

    # -- subscriptions ------------------------------------------------------------------------
    def add_subscription(self, sub: dict[str, Any]) -> None:
        self.subscriptions[sub["_id"]] = sub
        uid, rid = sub["u"]["_id"], sub["rid"]
        self.subs_by_user.setdefault(uid, {})[rid] = sub["_id"]
        self.subs_by_room.setdefault(rid, {})[uid] = sub["_id"]

    def drop_subscription(self, sub_id: str) -> dict[str, Any] | None:
        sub = self.subscriptions.pop(sub_id, None)
        if sub is not None:
            self.subs_by_user.get(sub["u"]["_id"], {}).pop(sub["rid"], None)
            self.subs_by_room.get(sub["rid"], {}).pop(sub["u"]["_id"], None)
        return sub

    def is_subscribed(self, uid: str, rid: str) -> bool:
        return rid in self.subs_by_user.get(uid, ())

    # -- trash ---------------------------------------------------------------------------------
    def put_in_trash(self, collection: str, doc: dict[str, Any], deleted_ms: int) -> dict[str, Any]:
        trashed = {
            **doc,
            "_deletedAt": iso(deleted_ms),
            "__collection__": TRASH_COLLECTIONS[collection],
        }
        self.trash.setdefault(collection, {})[doc["_id"]] = TrashDoc(deleted_ms, trashed)
        return trashed

    def trash_cutoff(self) -> int:
        """Tombstones deleted at or before this instant have been removed by the TTL index."""
        return self.now() - int(self.trash_ttl_s * 1000)

    def trash_after(self, collection: str, since_ms: int) -> list[TrashDoc]:
        floor = max(since_ms, self.trash_cutoff())
        items = self.trash.get(collection, {}).values()
        return sorted((t for t in items if t.deleted > floor), key=lambda t: t.deleted)

    def tombstones(self, collection: str, since_ms: int) -> list[dict[str, Any]]:
        """Deletions projected to `{_id, _deletedAt}`, as most `remove` lists carry them."""
        found = self.trash_after(collection, since_ms)
        return [{"_id": t.doc["_id"], "_deletedAt": t.doc["_deletedAt"]} for t in found]

    def expire_trash(self) -> None:
        cutoff = self.trash_cutoff()
        with self.lock:
            self.messages.expire_trash(cutoff)
            for docs in self.trash.values():
                for key in [k for k, t in docs.items() if t.deleted <= cutoff]:
                    del docs[key]

    # -- what tests compare against -----------------------------------------------------------
    def ground_truth(self) -> dict[str, Any]:
        """Every live object and every (unexpired) deletion, as the server would serialise them."""
        with self.lock:
            self.expire_trash()
            live: dict[str, dict[str, Any]] = {}
            hidden: dict[str, dict[str, Any]] = {}
            clones: dict[str, dict[str, Any]] = {}
            for msg in self.messages.by_id.values():
                doc = msg.doc()
                bucket = live if not msg.hidden else clones if "parent" in doc else hidden
                bucket[msg.id] = doc
            trash = {
                name: {k: copy.deepcopy(t.doc) for k, t in docs.items()}
                for name, docs in self.trash.items()
            }
            trash["messages"] = {k: t.doc() for k, t in self.messages.trash.items()}
            return {
                "rooms": copy.deepcopy(self.rooms),
                "messages": live,
                "hidden_messages": hidden,  # `_hidden` only (KeepHistory on, ShowDeletedStatus off)
                "history_clones": clones,  # `_hidden` copies with `parent` (edits, deletions)
                "users": copy.deepcopy(self.users),
                "roles": copy.deepcopy(self.roles),
                "permissions": copy.deepcopy(self.permissions),
                "custom_emoji": copy.deepcopy(self.custom_emoji),
                "custom_sounds": copy.deepcopy(self.custom_sounds),
                "teams": copy.deepcopy(self.teams),
                "uploads": copy.deepcopy(self.uploads),
                "team_members": copy.deepcopy(self.team_members),
                "subscriptions": copy.deepcopy(self.subscriptions),
                "settings": copy.deepcopy(self.settings),
                "custom_user_statuses": copy.deepcopy(self.custom_statuses),
                "integrations": copy.deepcopy(self.integrations),
                "integration_history": copy.deepcopy(self.integration_history),
                "statistics": copy.deepcopy(self.statistics),
                **self.livechat.truth(self.rooms, self.users),
                "trash": trash,
            }
