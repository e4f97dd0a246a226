"""Export filters: tables, rooms and a time range, turned into WHERE clauses per table.

- `rooms` narrows every table that belongs to a room: `rooms` by id, `messages`/`subscriptions` by
  `rid`, `teams`/`room_members` by `room_id`, the other children of messages through their parent.
  Tables unrelated to rooms (users, roles, ...) are left out unless named in `tables`.
- `since`/`until` (inclusive/exclusive) narrow the tables of TIME_COLUMNS (messages by `ts`)
  and their child tables. Reference tables (rooms, users, roles, ...) stay whole: an archive of one
  year's messages still needs the rooms and users those messages point to, and filtering them by
  creation or update time would drop exactly those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from etl.errors import FilterError
from etl.schema import CHILD_TABLES

ROOM_COLUMNS = {
    "rooms": "id",
    "messages": "rid",
    "subscriptions": "rid",
    "teams": "room_id",
    "room_members": "room_id",
    "uploads": "rid",
}
TIME_COLUMNS = {"messages": "ts", "uploads": "uploaded_at"}


def _utc(value: datetime | None) -> datetime | None:
    """Naive times are taken as UTC, like everything the database stores."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class ExportFilters:
    tables: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _utc(self.since))
        object.__setattr__(self, "until", _utc(self.until))
        if self.since and self.until and self.since >= self.until:
            raise FilterError(f"--since {self.since} is not before --until {self.until}")

    @property
    def is_empty(self) -> bool:
        return not (self.tables or self.rooms or self.since or self.until)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables": list(self.tables),
            "rooms": list(self.rooms),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }

    def select_tables(self, candidates: list[str]) -> list[str]:
        """The tables to export, in `candidates` order; unknown names are an error."""
        unknown = sorted(set(self.tables) - set(candidates))
        if unknown:
            raise FilterError(f"unknown table(s) {unknown}; known: {', '.join(candidates)}")
        chosen = [t for t in candidates if not self.tables or t in self.tables]
        if self.rooms and not self.tables:
            chosen = [t for t in chosen if _room_related(t)]
        return chosen

    def where(self, table: sa.Table, metadata: sa.MetaData) -> sa.ColumnElement[bool] | None:
        """The WHERE clause for one table (None: the whole table)."""
        if table.name in CHILD_TABLES:
            parent_name, parent_column = CHILD_TABLES[table.name]
            clauses = self._own_clauses(table, room_column=ROOM_COLUMNS.get(table.name))
            parent = metadata.tables[parent_name]
            parent_where = self._parent_where(parent, table.name)
            if parent_where is not None:
                ids = sa.select(parent.c.id).where(parent_where)
                clauses.append(table.c[parent_column].in_(ids))
        else:
            clauses = self._own_clauses(table, ROOM_COLUMNS.get(table.name), time=True)
        return sa.and_(*clauses) if clauses else None

    def _parent_where(self, parent: sa.Table, child: str) -> sa.ColumnElement[bool] | None:
        room_column = None if child in ROOM_COLUMNS else ROOM_COLUMNS.get(parent.name)
        clauses = self._own_clauses(parent, room_column, time=True)
        return sa.and_(*clauses) if clauses else None

    def _own_clauses(
        self, table: sa.Table, room_column: str | None, time: bool = False
    ) -> list[sa.ColumnElement[bool]]:
        clauses: list[sa.ColumnElement[bool]] = []
        if self.rooms and room_column:
            clauses.append(table.c[room_column].in_(self.rooms))
        time_column = TIME_COLUMNS.get(table.name) if time else None
        if time_column and self.since:
            clauses.append(table.c[time_column] >= self.since)
        if time_column and self.until:
            clauses.append(table.c[time_column] < self.until)
        return clauses


def _room_related(table: str) -> bool:
    return table in ROOM_COLUMNS or CHILD_TABLES.get(table, ("",))[0] in ROOM_COLUMNS
