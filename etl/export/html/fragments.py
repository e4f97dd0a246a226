"""The site's sidecar of rendered messages (`.rcetl-fragments.sqlite` in the site folder).

One row per message shown on a page: the head of its `<article>` (message_html.py) with the
`change_seq` it was rendered from, so a later run re-renders only messages whose row changed and
rebuilds a page by joining cached strings; where it is shown (month, page, position); and its
search document (search_index.py), so a room-month's search shard is written with its pages
without reading the unchanged messages again. With each message it keeps what places it on a
page (ts, tmid, whether it heads a thread) and the `change_seq` the whole sidecar reflects
(`meta.seq`), so a later run places a page's messages from here and reads from the database only
the rows changed since (placement.py); and whom it counts for on the users page, with the counts
as of its run (authors.py). The sidecar belongs to one (format, rcetl version,
filters) key: any other key empties it. It is a cache: deleting it makes the next run render
everything again, nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import orjson

SIDECAR = ".rcetl-fragments.sqlite"
_LAYOUT = 4  # PRAGMA user_version: a sidecar of another layout is dropped and started again
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS fragments (id TEXT PRIMARY KEY, rid TEXT NOT NULL, "
    "seq INTEGER NOT NULL, reply INTEGER NOT NULL, tcount INTEGER NOT NULL, html TEXT NOT NULL, "
    "doc TEXT NOT NULL, month TEXT, page TEXT, pos INTEGER, "
    "ts TEXT, ts_month TEXT, tmid TEXT, tlm INTEGER NOT NULL DEFAULT 0, author TEXT)",
    "CREATE INDEX IF NOT EXISTS fragments_rid ON fragments (rid, month)",
    "CREATE INDEX IF NOT EXISTS fragments_ts_month ON fragments (rid, ts_month)",
    "CREATE INDEX IF NOT EXISTS fragments_tmid ON fragments (tmid)",
)
_COLUMNS = (
    "id, rid, month, page, pos, seq, reply, tcount, html, doc, ts, ts_month, tmid, tlm, author"
)


class Placed(NamedTuple):
    """A message as shown: which page, where on it, and its head's HTML. A tuple in the
    sidecar's column order (_COLUMNS): a re-export builds one per message of every month it
    renders and compares it with the cached one, which a frozen dataclass made slow."""

    id: str
    rid: str
    month: str
    page: str
    pos: int  # its position among the messages its month shows
    seq: int
    reply: int  # a bool; the sidecar gives 0/1 back, and 1 == True in the comparison
    tcount: int
    html: str
    doc: str  # its search document (search_index.search_document)
    ts: str | None  # the database's ts, isoformat (its order and month place the message)
    ts_month: str
    tmid: str | None
    tlm: int  # a bool: heads a thread (its replies are looked for)
    author: str | None  # the user it counts for on the users page (authors.py), None: no one


class FragmentCache:
    def __init__(self, root: Path, key: str) -> None:
        try:
            self.db = self._open(root)
        except sqlite3.DatabaseError:  # unreadable: it is only a cache, start it again
            (root / SIDECAR).unlink(missing_ok=True)
            self.db = self._open(root)
        found = self.db.execute("SELECT value FROM meta WHERE key = 'key'").fetchone()
        if found is None or found[0] != key:
            self.clear(key)
        self.db.execute("BEGIN")

    @staticmethod
    def _open(root: Path) -> sqlite3.Connection:
        db = sqlite3.connect(root / SIDECAR, isolation_level=None)
        if db.execute("PRAGMA user_version").fetchone()[0] != _LAYOUT:
            for table in ("meta", "fragments", "gone"):  # gone: layout 2's
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute(f"PRAGMA user_version = {_LAYOUT}")
        for statement in _SCHEMA:
            db.execute(statement)
        return db

    def clear(self, key: str) -> None:
        self.db.execute("DELETE FROM fragments")
        self.db.execute("DELETE FROM meta WHERE key = 'seq'")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (key,))

    def seq(self) -> int | None:
        """The change_seq every row reflects (the last run that committed), None: unknown."""
        found = self.db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        return int(found[0]) if found else None

    def room(self, rid: str, months: Iterable[str]) -> dict[str, Placed]:
        """What the cache holds for these months of the room (where each message was shown)."""
        months = list(months)
        marks = ",".join("?" * len(months))
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM fragments WHERE rid = ? AND month IN ({marks})",
            (rid, *months),
        )
        return {row[0]: Placed._make(row) for row in rows}

    def placing(self, rid: str, column: str, values: Iterable[str]) -> list[tuple[Any, ...]]:
        """(id, ts, ts_month, tmid, tcount, tlm, seq, author) of the room's messages whose `column`
        (ts_month, tmid or id) is one of `values`: what places them, without their HTML."""
        assert column in ("ts_month", "tmid", "id")
        values = list(values)
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            marks = ",".join("?" * len(chunk))
            found += self.db.execute(
                "SELECT id, ts, ts_month, tmid, tcount, tlm, seq, author FROM fragments "
                f"WHERE rid = ? AND {column} IN ({marks})",
                (rid, *chunk),
            ).fetchall()
        return found

    def by_ids(self, ids: Iterable[str]) -> dict[str, Placed]:
        """The sidecar rows of these messages (those it holds)."""
        ids = list(ids)
        found: dict[str, Placed] = {}
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM fragments WHERE id IN ({marks})", chunk)
            found.update((row[0], Placed._make(row)) for row in rows)
        return found

    def place(self, before: dict[str, Placed], placed: list[Placed]) -> None:
        """Store the messages now shown in some months of a room (`before`: what those months
        showed, from `room`); those not shown any more are dropped."""
        now = {p.id for p in placed}
        self.db.executemany(
            "DELETE FROM fragments WHERE id = ?", [(i,) for i in before if i not in now]
        )
        # Plain tuples: sqlite3 binds a tuple subclass's items through the sequence protocol.
        rows = [tuple(p) for p in placed if before.get(p.id) != p]
        self.db.executemany(
            f"INSERT OR REPLACE INTO fragments ({_COLUMNS}) VALUES ({', '.join('?' * 15)})",
            rows,
        )

    def update(self, placed: list[Placed]) -> None:
        """New heads and documents of messages shown where they were (splice.py): what places
        them is unchanged, so their rows keep their place in the indexes."""
        self.db.executemany(
            "UPDATE fragments SET seq = ?, html = ?, doc = ?, author = ? WHERE id = ?",
            [(p.seq, p.html, p.doc, p.author, p.id) for p in placed],
        )

    def forget_months(self, keep: set[tuple[str, str]]) -> None:
        """Months no longer in the site: their messages are not shown any more."""
        stale = [
            (rid, month)
            for rid, month in self.db.execute("SELECT DISTINCT rid, month FROM fragments")
            if (rid, month) not in keep
        ]
        self.db.executemany("DELETE FROM fragments WHERE rid = ? AND month = ?", stale)

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM fragments").fetchone()[0])

    def user_counts(self) -> dict[str, int] | None:
        """The users page's counts as of the sidecar's run (authors.py), None: not kept."""
        found = self.db.execute("SELECT value FROM meta WHERE key = 'user_counts'").fetchone()
        return dict(orjson.loads(found[0])) if found else None

    def commit(self, seq: int, user_counts: dict[str, int] | None) -> None:
        """Keep this run's rows, which reflect the database at change_seq `seq`, and the users
        page's counts if they were found from them (None: forget them)."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('seq', ?)", (str(seq),))
        self.db.execute("DELETE FROM meta WHERE key = 'user_counts'")
        if user_counts is not None:
            counts = orjson.dumps(user_counts).decode()
            self.db.execute("INSERT INTO meta VALUES ('user_counts', ?)", (counts,))
        self.db.execute("COMMIT")
        self.db.close()

    def abandon(self) -> None:
        self.db.execute("ROLLBACK")
        self.db.close()
