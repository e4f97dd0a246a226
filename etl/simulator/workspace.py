"""The workspace a simulated server serves: the store, its writes (`ws.mutate`) and access queries.

`Store` holds the state; `Mutations` and the access rules are written against it. This module is
their one meeting point, so none of them has to import the others back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from etl.simulator.access import can_access_room
from etl.simulator.mutations import Mutations
from etl.simulator.store import Store


@dataclass
class Workspace(Store):
    @cached_property
    def mutate(self) -> Mutations:
        """Message, room, emoji, role and user writes, as the server's own handlers do them."""
        return Mutations(self)

    def readable_room_ids(self, user_id: str) -> set[str]:
        """What tests compare against: the rooms `user_id` may read."""
        with self.lock:
            return {rid for rid, room in self.rooms.items() if can_access_room(self, user_id, room)}
