"""`rcetl search`: full-text search over message texts, SQLite FTS5 or PostgreSQL tsvector.

The words a person types become an AND of quoted terms (a trailing `*` makes a prefix), so no
query text is ever parsed as search syntax or SQL. Hits come newest first, each with a snippet whose
matched words are given as character ranges (the CLI highlights them; `--json` carries them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, text

from etl.fulltext.names import FTS_TABLE, PG_CONFIG, PG_VECTOR
from etl.schema.types import unescape_text

START, STOP = "\x02", "\x03"  # highlight marks; control characters never shown to anyone
SNIPPET_WORDS = 24
_TERM = re.compile(r"(\w+)(\*?)")
_Text = TypeVar("_Text", str, None)


class SearchQueryError(ValueError):
    """A query with no searchable word in it."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    rooms: tuple[str, ...] = ()  # room ids or names
    users: tuple[str, ...] = ()  # usernames
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 20

    def terms(self) -> list[tuple[str, bool]]:
        found = [(word.lower(), bool(star)) for word, star in _TERM.findall(self.text)]
        if not found:
            raise SearchQueryError(f"no word to search for in {self.text!r}")
        return found


@dataclass
class SearchHit:
    id: str
    rid: str
    room: str | None
    ts: datetime | None
    username: str | None
    snippet: str
    matches: list[tuple[int, int]]
    tmid: str | None = None
    deleted: bool = False
    url: str | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room_id": self.rid,
            "room": self.room,
            "ts": self.ts.isoformat() if self.ts else None,
            "username": self.username,
            "snippet": self.snippet,
            "matches": [list(m) for m in self.matches],
            "thread_parent_id": self.tmid,
            "deleted": self.deleted,
            "url": self.url,
        }


def fts5_match(terms: list[tuple[str, bool]]) -> str:
    return " ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in terms)


def pg_tsquery(terms: list[tuple[str, bool]]) -> str:
    return " & ".join(f"'{word}'" + (":*" if prefix else "") for word, prefix in terms)


def split_marks(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Text without the highlight marks, and the [start, end) ranges they enclosed."""
    plain: list[str] = []
    ranges: list[tuple[int, int]] = []
    length = 0
    start = None
    for piece in re.split(f"([{START}{STOP}])", marked):
        if piece == START:
            start = length
        elif piece == STOP:
            if start is not None and start < length:
                ranges.append((start, length))
            start = None
        else:
            plain.append(piece)
            length += len(piece)
    return "".join(plain), ranges


def _filters(query: SearchQuery, params: dict[str, Any]) -> str:
    clauses = []
    if query.rooms:
        params["rooms"] = list(query.rooms)
        clauses.append(
            "(m.rid IN :rooms OR m.rid IN (SELECT id FROM rooms WHERE name IN :rooms "
            "OR fname IN :rooms))"
        )
    if query.users:
        params["users"] = list(query.users)
        clauses.append("m.u_username IN :users")
    if query.since:
        params["since"] = query.since
        clauses.append("m.ts >= :since")
    if query.until:
        params["until"] = query.until
        clauses.append("m.ts < :until")
    return "".join(f" AND {c}" for c in clauses)


def _sql(dialect: str, where: str) -> str:
    columns = (
        "m.id, m.rid, coalesce(r.fname, r.name), m.ts, m.u_username, m.tmid, "
        "m.deleted_at IS NOT NULL OR m.t = 'rm'"
    )
    if dialect == "postgresql":
        options = f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS}, MinWords=8"
        return (
            f"SELECT {columns}, ts_headline('{PG_CONFIG}', coalesce(m.msg, ''), q, '{options}') "
            f"FROM messages m CROSS JOIN to_tsquery('{PG_CONFIG}', :q) AS q "
            f"LEFT JOIN rooms r ON r.id = m.rid WHERE {PG_VECTOR.replace('msg', 'm.msg')} @@ q"
            f"{where} ORDER BY m.ts DESC, m.id LIMIT :limit"
        )
    snippet = f"snippet({FTS_TABLE}, 0, char(2), char(3), '…', {SNIPPET_WORDS})"
    return (
        f"SELECT {columns}, {snippet} FROM {FTS_TABLE} "
        f"JOIN messages m ON m.rowid = {FTS_TABLE}.rowid LEFT JOIN rooms r ON r.id = m.rid "
        f"WHERE {FTS_TABLE} MATCH :q{where} ORDER BY m.ts DESC, m.id LIMIT :limit"
    )


def search_messages(conn: Connection, query: SearchQuery) -> list[SearchHit]:
    """The newest `query.limit` messages containing every word of the query."""
    dialect = conn.dialect.name
    terms = query.terms()
    params: dict[str, Any] = {
        "q": pg_tsquery(terms) if dialect == "postgresql" else fts5_match(terms),
        "limit": query.limit,
    }
    where = _filters(query, params)
    statement = text(_sql(dialect, where))
    for name in ("rooms", "users"):
        if name in params:
            statement = statement.bindparams(_expanding(name))
    hits = []
    for row in conn.execute(statement.columns(), params):
        mid, rid, room, ts, username, tmid, deleted, marked = row
        snippet, ranges = split_marks(_text(marked, dialect))
        hits.append(
            SearchHit(
                id=mid,
                rid=rid,
                room=_text(room, dialect),
                ts=_when(ts),
                username=_text(username, dialect),
                snippet=snippet,
                matches=ranges,
                tmid=tmid,
                deleted=bool(deleted),
            )
        )
    return hits


def _expanding(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _text(value: _Text, dialect: str) -> _Text:
    if value is None or dialect != "postgresql":
        return value
    return unescape_text(value)


def _when(value: Any) -> datetime | None:
    """Raw SQL gives SQLite's stored text; the schema's rule is naive = UTC."""
    from datetime import UTC

    if value is None:
        return None
    when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
