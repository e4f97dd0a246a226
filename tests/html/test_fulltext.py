"""`rcetl search` over SQLite FTS5 and PostgreSQL tsvector + GIN: kept current by every write,
filters, highlighting, links into the HTML site, `rcetl db reindex`, the migration on old data."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from etl.cli.main import cli
from etl.db import downgrade, upgrade
from etl.export.html import export_html
from etl.export.html.layout import page_path
from etl.fulltext import SearchQuery, reindex, search_messages
from etl.fulltext.query import SearchQueryError, split_marks
from tests.export._data import T0, delete, message_doc, save
from tests.html._site_data import HOSTILE, KNOWN_WORD, PARENT, REPLIES, seed


def find(engine: sa.Engine, text: str, **kwargs: object) -> list[str]:
    with engine.connect() as conn:
        return [h.id for h in search_messages(conn, SearchQuery(text, **kwargs))]  # type: ignore[arg-type]


def test_search_finds_every_word_newest_first_with_highlights(db_engine: sa.Engine) -> None:
    seed(db_engine)
    assert find(db_engine, KNOWN_WORD) == [REPLIES[1], REPLIES[0], "p1"]
    assert find(db_engine, f"reply {KNOWN_WORD}") == [REPLIES[1], REPLIES[0]]
    assert find(db_engine, "zanzi*") == [REPLIES[1], REPLIES[0], "p1"]
    assert find(db_engine, "ZANZIBAR private") == ["p1"]
    assert find(db_engine, "nowhere") == []
    # Words, never search syntax. (PostgreSQL's parser drops what looks like an HTML tag.)
    assert find(db_engine, 'quoted" & more OR') == [] and find(db_engine, "quoted more") == [
        "m-hostile"
    ]
    with db_engine.connect() as conn:
        hit = search_messages(conn, SearchQuery("private"))[0]
    assert [hit.snippet[s:e] for s, e in hit.matches] == ["private"]
    assert hit.room == "dev" and hit.username == "user1"


def test_filters(db_engine: sa.Engine) -> None:
    seed(db_engine)
    assert find(db_engine, KNOWN_WORD, rooms=("dev",)) == ["p1"]
    assert find(db_engine, KNOWN_WORD, rooms=("general",)) == [REPLIES[1], REPLIES[0]]
    assert find(db_engine, KNOWN_WORD, users=("user9",)) == []
    assert find(db_engine, KNOWN_WORD, since=T0 + timedelta(days=41)) == [REPLIES[1]]
    assert find(db_engine, KNOWN_WORD, until=T0 + timedelta(days=1)) == ["p1"]
    assert find(db_engine, KNOWN_WORD, limit=1) == [REPLIES[1]]
    with pytest.raises(SearchQueryError):
        find(db_engine, "*** ---")


def test_index_follows_edits_redactions_and_purges(db_engine: sa.Engine) -> None:
    seed(db_engine)
    assert find(db_engine, "secret") == []  # m-gone was redacted in the seed
    save(db_engine, "messages", [message_doc("p1", "dev", T0, "now about kilimanjaro")])
    assert find(db_engine, "kilimanjaro") == ["p1"]
    assert find(db_engine, "private") == []
    delete(db_engine, "messages", ["p1"], "purge")
    assert find(db_engine, "kilimanjaro") == []
    assert reindex(db_engine)
    assert find(db_engine, KNOWN_WORD) == [REPLIES[1], REPLIES[0]]


def test_migration_indexes_messages_already_stored(db_engine: sa.Engine) -> None:
    # Stored with today's columns, then taken back to the schema before full-text search (the
    # downgrades keep the rows), so the upgrade meets a message it must index.
    save(db_engine, "messages", [message_doc("old", "r", T0, "stored before the index")])
    downgrade(db_engine, "0002")
    assert stored_messages(db_engine) == 1
    upgrade(db_engine)
    assert find(db_engine, "stored index") == ["old"]


def stored_messages(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM messages").scalar_one())


def test_cli_search_json_links_into_the_html_site(db_url: str, tmp_path: Path) -> None:
    from etl.db import open_database

    engine = open_database(db_url)
    seed(engine)
    export_html(engine, str(tmp_path / "site"), search=False)
    engine.dispose()
    runner = CliRunner()
    args = ["--database-url", db_url, "search", KNOWN_WORD, "--room", "GENERAL", "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["hits"]
    assert [h["id"] for h in hits] == [REPLIES[1], REPLIES[0]]
    expected = str(tmp_path / "site" / page_path("GENERAL", "2024-11", 1))
    assert hits[0]["url"] == f"{expected}#m-{REPLIES[1]}"  # the reply sits under {PARENT}
    assert PARENT not in hits[0]["url"]
    table = runner.invoke(cli, ["--database-url", db_url, "search", "hostile", "quoted"])
    assert table.exit_code == 0
    assert "no message matches" in table.output
    shown = runner.invoke(cli, ["--database-url", db_url, "search", "quoted", "--limit", "1"])
    assert "alert(1)" in shown.output and "2024-11-20" in shown.output
    reindexed = runner.invoke(cli, ["--database-url", db_url, "db", "reindex"])
    assert reindexed.exit_code == 0 and "rebuilt" in reindexed.output
    bad = runner.invoke(cli, ["--database-url", db_url, "search", "%%%"])
    assert bad.exit_code == 2 and "no word to search for" in bad.output
    assert HOSTILE


def test_split_marks() -> None:
    assert split_marks("a \x02b\x03 c \x02d\x03") == ("a b c d", [(2, 3), (6, 7)])
