"""Writes to statuses and integrations, and an outgoing integration firing (its history)."""

from __future__ import annotations

import random
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.gen_admin import history_doc, integration_doc
from etl.simulator.ids import random_id
from etl.simulator.store import Store

EDITABLE_INTEGRATION = frozenset({"name", "enabled", "alias", "emoji", "channel", "scriptEnabled"})


class AdminWrites:
    ws: Store
    rng: random.Random

    def add_status(self, name: str, status_type: str = "busy") -> dict[str, Any]:
        with self.ws.lock:
            sid = random_id(self.rng)
            doc = {
                "_id": sid,
                "name": name,
                "statusType": status_type,
                "_updatedAt": iso(self.ws.now()),
            }
            self.ws.custom_statuses[sid] = doc
            return doc

    def edit_status(
        self, status_id: str, name: str | None = None, status_type: str | None = None
    ) -> dict[str, Any]:
        with self.ws.lock:
            doc = self.ws.custom_statuses[status_id]
            doc.update(
                {"name": name or doc["name"], "statusType": status_type or doc["statusType"]}
            )
            doc["_updatedAt"] = iso(self.ws.now())
            return doc

    def remove_status(self, status_id: str) -> dict[str, Any]:
        with self.ws.lock:
            return self.ws.custom_statuses.pop(status_id)

    def add_integration(self, kind: str, name: str) -> dict[str, Any]:
        """`integrations.create`: the answer (with its token) is what tests look for later."""
        if kind not in ("webhook-incoming", "webhook-outgoing"):
            raise ValueError(f"unknown integration type {kind!r}")
        with self.ws.lock:
            creator = next(u for u in self.ws.users.values() if "admin" in u.get("roles", []))
            doc = integration_doc(self.rng, kind, name, creator, self.ws.now())
            self.ws.integrations[doc["_id"]] = doc
            return doc

    def edit_integration(self, integration_id: str, **fields: Any) -> dict[str, Any]:
        unknown = set(fields) - EDITABLE_INTEGRATION
        if unknown:
            raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
        with self.ws.lock:
            doc = self.ws.integrations[integration_id]
            doc.update(fields, _updatedAt=iso(self.ws.now()))
            return doc

    def remove_integration(self, integration_id: str) -> dict[str, Any]:
        """`integrations.remove`: the server removes the integration's history with it."""
        with self.ws.lock:
            doc = self.ws.integrations.pop(integration_id)
            self.clear_integration_history(integration_id)
            return doc

    def fire_integration(self, integration_id: str, text: str = "!ping") -> dict[str, Any]:
        """A message triggers an outgoing integration: one new history entry."""
        with self.ws.lock:
            doc = self.ws.integrations[integration_id]
            if doc["type"] != "webhook-outgoing":
                raise ValueError(f"{integration_id} is not an outgoing integration")
            entry = history_doc(self.rng, doc, {"text": text}, self.ws.now())
            self.ws.integration_history[entry["_id"]] = entry
            return entry

    def clear_integration_history(self, integration_id: str) -> int:
        with self.ws.lock:
            history = self.ws.integration_history
            gone = [k for k, h in history.items() if h["integration"]["_id"] == integration_id]
            for key in gone:
                del history[key]
            return len(gone)
