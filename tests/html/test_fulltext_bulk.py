"""A first load of messages builds the SQLite FTS5 index in bulk (triggers dropped, one rebuild
at the end), and a load cut short is resumed and finished by the next one or by reindex."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from etl.db import open_database
from etl.fulltext import reindex
from etl.fulltext.bulk import begin_deferred, deferred_index, triggers_missing
from tests.export._data import T0, message_doc, save
from tests.html.test_fulltext import find


def _engine(tmp_path: Path) -> sa.Engine:
    return open_database(f"sqlite:///{tmp_path / 'fts.db'}")


def _missing(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return triggers_missing(conn)


def test_first_load_indexes_in_bulk_and_restores_the_triggers(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with deferred_index(engine):
        assert _missing(engine)  # no row-by-row indexing during the load
        save(engine, "messages", [message_doc("m1", "r1", T0, "hello bulk world")])
        assert find(engine, "bulk") == []  # not indexed yet
    assert not _missing(engine)
    assert find(engine, "bulk") == ["m1"]
    save(engine, "messages", [message_doc("m2", "r1", T0, "later bulk text")])  # triggers again
    assert sorted(find(engine, "bulk")) == ["m1", "m2"]
    with deferred_index(engine):  # not a first load: triggers stay
        assert not _missing(engine)
    engine.dispose()


def test_a_load_cut_short_is_resumed_by_the_next_one(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert begin_deferred(engine)  # the step starts, then the process dies (no rebuild)
    save(engine, "messages", [message_doc("m1", "r1", T0, "orphaned words")])
    engine.dispose()
    engine = _engine(tmp_path)
    assert _missing(engine) and find(engine, "orphaned") == []
    with deferred_index(engine):  # the table is not empty, but the load was never finished
        save(engine, "messages", [message_doc("m2", "r1", T0, "orphaned again")])
    assert not _missing(engine)
    assert sorted(find(engine, "orphaned")) == ["m1", "m2"]
    engine.dispose()


def test_reindex_restores_missing_triggers(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert begin_deferred(engine)
    save(engine, "messages", [message_doc("m1", "r1", T0, "reindexed text")])
    reindex(engine)
    assert not _missing(engine) and find(engine, "reindexed") == ["m1"]
    engine.dispose()


def test_a_failed_step_still_rebuilds(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    try:
        with deferred_index(engine):
            save(engine, "messages", [message_doc("m1", "r1", T0, "before failure")])
            raise RuntimeError("walk failed")
    except RuntimeError:
        pass
    assert not _missing(engine) and find(engine, "failure") == ["m1"]
    engine.dispose()


def _index_missing(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return triggers_missing(conn)


def test_first_load_defers_the_index_on_both_dialects(db_engine: sa.Engine) -> None:
    """PostgreSQL drops the GIN index for a first load and creates it after; SQLite its triggers."""
    with deferred_index(db_engine):
        assert _index_missing(db_engine)
        save(db_engine, "messages", [message_doc("m1", "r1", T0, "deferred gin words")])
    assert not _index_missing(db_engine)
    assert find(db_engine, "deferred") == ["m1"]
    with deferred_index(db_engine):  # messages stored: not a first load, the index stays
        assert not _index_missing(db_engine)


def test_a_missing_index_is_restored_by_reindex_on_both_dialects(db_engine: sa.Engine) -> None:
    assert begin_deferred(db_engine)  # a first load that dies before its end
    save(db_engine, "messages", [message_doc("m1", "r1", T0, "resumed text")])
    assert _index_missing(db_engine)
    reindex(db_engine)
    assert not _index_missing(db_engine) and find(db_engine, "resumed") == ["m1"]
    assert begin_deferred(db_engine) is False  # nothing left to finish
