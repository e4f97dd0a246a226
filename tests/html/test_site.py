"""`rcetl export html` on SQLite and PostgreSQL: pages, safety, manifest, incremental runs."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.export.html import export_html
from etl.export.html.layout import page_path, room_dir
from etl.export.html.search_index import shard_path
from etl.export.verify import verify_archive
from tests.export._data import T0, delete, message_doc, save
from tests.html._site_data import DISCUSSION, ODD, PARENT, REPLIES, seed


@pytest.fixture
def site(db_engine: sa.Engine, tmp_path: Path) -> tuple[sa.Engine, Path]:
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out))
    return db_engine, out


def page(out: Path, rid: str, month: str) -> str:
    return (out / page_path(rid, month, 1)).read_text()


def test_index_groups_rooms_by_kind_with_counts(site: tuple[sa.Engine, Path]) -> None:
    _, out = site
    html = (out / "index.html").read_text()
    for heading in ("Channels", "Private groups", "Discussions", "Direct messages"):
        assert f"<h2>{heading}" in html
    assert "all &lt;things&gt;" in html  # the topic, escaped
    assert "dm</a>" in html[html.index('id="kind-dms"') :]
    assert "general" in html and "users.html" in html
    assert "@user3" in (out / "users.html").read_text()


def test_room_page_shows_messages_in_order_with_everything(site: tuple[sa.Engine, Path]) -> None:
    _, out = site
    html = page(out, "GENERAL", "2024-11")
    positions = [html.index(f'id="m-g{i:02d}"') for i in range(30)]
    assert positions == sorted(positions)
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<del>gone</del>" in html and "<code>x&lt;y</code>" in html
    assert "print(&#39;&lt;hi&gt;&#39;)" in html and "<blockquote>" in html
    assert '<span class="mention">@user2</span>' in html and ":smile:" in html
    assert 'href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow"' in html
    assert "&lt;b&gt;unknown&lt;/b&gt;" in html  # an unknown token shows its text, escaped
    assert "report.pdf" in html and "application/pdf" in html and "2.0 KB" in html
    assert "Q3 numbers" in html and "X page" in html
    assert "📌 pinned" in html and "★ 1" in html
    assert "edited by @user2 at 2024-11-21 10:00:00 UTC" in html
    assert "@user1 joined the room" in html
    assert "message deleted" in html and "secret text" not in html  # redacted: a tombstone
    assert ":+1:" in html and "@user1, @user3" in html


def test_hostile_text_is_escaped_everywhere(site: tuple[sa.Engine, Path]) -> None:
    _, out = site
    for path in out.rglob("*.html"):
        text = path.read_text()
        assert "<script>alert" not in text and "<img src=x" not in text, path
    html = page(out, "GENERAL", "2024-11")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;p&gt;" not in html  # a plain paragraph's own markup is markup, not text
    assert 'http-equiv="Content-Security-Policy"' in html and "default-src &#39;none&#39;" in html
    assert "https://" not in html.split("<main>")[0]  # no CDN, no external font


def test_threads_and_discussions_link_both_ways(site: tuple[sa.Engine, Path]) -> None:
    _, out = site
    html = page(out, "GENERAL", "2024-11")
    start = html.index(f'id="m-{PARENT}"')
    thread = html[start : html.index("</details>", start)]
    assert "2 replies" in thread
    for mid in REPLIES:  # replies posted next month sit under their parent
        assert f'id="m-{mid}"' in thread
    assert f'href="#m-{PARENT}"' in thread
    assert not (out / page_path("GENERAL", "2024-12", 1)).exists()
    discussion_index = f"../../{room_dir(DISCUSSION)}/index.html".replace("%", "%25")
    assert discussion_index in html
    disc = (out / room_dir(DISCUSSION) / "index.html").read_text()
    assert 'class="parent-room" href="../../rooms/rid=GENERAL/index.html"' in disc


def test_nothing_is_written_outside_out(site: tuple[sa.Engine, Path]) -> None:
    _, out = site
    assert (
        sorted(p.name for p in out.parent.iterdir()) == ["site"]
        or (out.parent / "rcetl.db").exists()
    )
    assert (out / room_dir(ODD)).is_dir()
    assert room_dir(ODD).startswith("rooms/rid=..%2F..%2Fevil%2F%3Cb%3E")
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve())


def test_manifest_verifies_and_catches_tampering(site: tuple[sa.Engine, Path]) -> None:
    _, out = site
    assert verify_archive(str(out)) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "rocketchat-etl-html"
    listed = {f["path"] for f in manifest["files"]}
    assert {"search/index.json", shard_path("GENERAL", "2024-11")} <= listed
    target = out / page_path("GENERAL", "2024-11", 1)
    target.write_text(target.read_text().replace("number 3", "number 33"))
    (out / "extra.html").write_text("x")
    problems = verify_archive(str(out))
    assert any("2024-11.html: changed" in p for p in problems)
    assert any("extra.html: extra file" in p for p in problems)


def _mtimes(out: Path) -> dict[str, int]:
    return {
        p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("rooms/*/*.html")
    }


def test_second_run_rewrites_only_changed_room_months(site: tuple[sa.Engine, Path]) -> None:
    engine, out = site
    again = export_html(engine, str(out))
    assert (again.full, again.months_rewritten) == (False, 0)
    before = _mtimes(out)
    save(engine, "messages", [message_doc("p2", "dev", T0 + timedelta(minutes=20), "new one")])
    result = export_html(engine, str(out))
    assert result.months_rewritten == 1
    changed = {p for p, t in _mtimes(out).items() if before.get(p) != t and "index.html" not in p}
    assert changed == {page_path("dev", "2024-11", 1)}
    assert "new one" in page(out, "dev", "2024-11")
    assert verify_archive(str(out)) == []


def test_a_reply_edit_rewrites_its_parents_month(site: tuple[sa.Engine, Path]) -> None:
    engine, out = site
    edited = message_doc(
        REPLIES[0], "GENERAL", T0 + timedelta(days=40), "reply edited", tmid=PARENT
    )
    save(engine, "messages", [edited])
    result = export_html(engine, str(out))
    # The parent's month, where the reply shows, patched in place; the reply's own month shows
    # nothing that changed (a full render of it gives the same bytes).
    assert (result.months_rewritten, result.rooms_spliced) == (1, 1)
    assert "reply edited" in page(out, "GENERAL", "2024-11")


def test_purged_month_pages_are_removed(site: tuple[sa.Engine, Path]) -> None:
    engine, out = site
    delete(engine, "messages", ["o1"], "purge")
    gone = out / page_path(ODD, "2024-11", 1)
    assert gone.exists()
    result = export_html(engine, str(out))
    assert not gone.exists() and result.files_removed >= 1
    assert verify_archive(str(out)) == []


def test_filters_limit_rooms_and_time(db_engine: sa.Engine, tmp_path: Path) -> None:
    from etl.export.filters import ExportFilters

    seed(db_engine)
    out = tmp_path / "dev-only"
    export_html(db_engine, str(out), ExportFilters(rooms=("dev",)), search=False)
    assert (out / page_path("dev", "2024-11", 1)).exists()
    assert not (out / room_dir("GENERAL")).exists()
    assert "general" not in (out / "index.html").read_text()


def test_long_months_are_split_into_pages(db_engine: sa.Engine, tmp_path: Path) -> None:
    from etl.export.html import views

    docs = [
        message_doc(f"x{i:04d}", "big", T0 + timedelta(minutes=i), f"msg {i}")
        for i in range(views.PAGE_MESSAGES + 3)
    ]
    save(db_engine, "messages", docs)
    out = tmp_path / "big"
    export_html(db_engine, str(out), search=False)
    second = (out / page_path("big", "2024-11", 2)).read_text()
    assert f'id="m-x{views.PAGE_MESSAGES:04d}"' in second and "page 2 of 2" in second
    assert 'rel="prev" href="2024-11.html"' in second
