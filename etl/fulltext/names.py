"""Names of the full-text objects that migration 0005 creates by hand (no model describes them).

SQLite: an FTS5 external-content table over `messages.msg`, kept current by triggers, so the
loader needs no change. PostgreSQL: a GIN expression index over `to_tsvector('simple', msg)`, which
PostgreSQL keeps current by itself. Both use no stemming ('simple', 'unicode61'): chat is written in
every language, and a search should find the word that was written.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "messages_fts"
FTS_TRIGGERS = ("messages_fts_ai", "messages_fts_ad", "messages_fts_au")
# The triggers that keep the external-content FTS5 table current (migration 0005 creates them;
# a first load drops them and rebuilds the index in bulk: etl/fulltext/bulk.py). The loader
# upserts with ON CONFLICT DO UPDATE, which keeps a row's rowid, so the FTS rows stay attached to
# their message; the update trigger fires only when the text changed.
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, msg) VALUES (new.rowid, new.msg); END",
    f"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, msg) VALUES ('delete', old.rowid, old.msg); END",
    f"CREATE TRIGGER messages_fts_au AFTER UPDATE OF msg ON messages "
    f"WHEN old.msg IS NOT new.msg BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, msg) VALUES ('delete', old.rowid, old.msg); "
    f"INSERT INTO {FTS_TABLE}(rowid, msg) VALUES (new.rowid, new.msg); END",
)
PG_INDEX = "ix_messages_msg_fts"
PG_CONFIG = "simple"
# Must be the indexed expression exactly, or PostgreSQL will not use the index.
PG_VECTOR = f"to_tsvector('{PG_CONFIG}'::regconfig, coalesce(msg, ''))"
PG_INDEX_DDL = f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON messages USING gin ({PG_VECTOR})"
_FTS5_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


def is_fulltext_object(name: str | None, type_: str) -> bool:
    """Whether autogenerate should ignore this reflected object (migration-made, not modelled)."""
    if name is None:
        return False
    if type_ == "table":
        return name == FTS_TABLE or any(name == FTS_TABLE + s for s in _FTS5_SHADOWS)
    return type_ == "index" and name == PG_INDEX


def include_fulltext(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
    return not is_fulltext_object(name, type_)
