"""Previous versions of edited messages (issue 12's `message_versions`), the daemon's `html` job,
and the md-token renderer's corner cases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from etl.config import Settings
from etl.export.html import export_html
from etl.export.html.layout import page_path
from etl.export.html.markup import render_md, render_text
from jobs.registry import JobContext, run_job
from jobs.schedule import build_job_specs
from tests.export._data import T0, message_doc, save
from tests.html._site_data import seed


def test_edits_show_previous_versions_from_message_versions(
    db_engine: sa.Engine, tmp_path: Path
) -> None:
    """Versions as issue 12's loader writes them (`message_versions`, migration 0004)."""
    seed(db_engine)
    table = sa.Table("message_versions", sa.MetaData(), autoload_with=db_engine)
    base = {"message_id": "m-extras", "attachments": None, "raw": {}, "origin": "sync"}
    rows = [
        {
            **base,
            "version": 1,
            "msg": "first <b>draft</b>",
            "kind": "created",
            "edited_at": None,
            "edited_by_id": None,
            "edited_by_username": None,
            "observed_at": T0,
            "content_hash": "v1",
            "change_seq": 1,
        },
        {
            **base,
            "version": 2,
            "msg": "with extras https://example.org/x",
            "kind": "edited",
            "edited_at": T0 + timedelta(days=1),
            "edited_by_id": "2",
            "edited_by_username": "user2",
            "observed_at": T0 + timedelta(days=1),
            "content_hash": "v2",
            "change_seq": 2,
        },
    ]
    with db_engine.begin() as conn:
        conn.execute(sa.insert(table), rows)
    out = tmp_path / "site"
    export_html(db_engine, str(out), search=False)
    html = (out / page_path("GENERAL", "2024-11", 1)).read_text()
    assert "1 previous version" in html and "first &lt;b&gt;draft&lt;/b&gt;" in html


def test_daemon_html_job_writes_the_site(db_engine: sa.Engine, tmp_path: Path) -> None:
    seed(db_engine)
    out = tmp_path / "daemon-site"
    settings = Settings.model_validate(
        {"export": {"html_out": str(out)}, "schedules": {"html": {"interval": 3600}}}
    )
    (spec,) = build_job_specs(settings)
    assert spec.kind == "html" and spec.executor == "export"
    import threading

    ctx = JobContext(settings, None, db_engine, threading.Event())  # type: ignore[arg-type]
    first = run_job(spec, ctx)
    assert first.rows["export.html"]["months_rewritten"] > 0
    save(db_engine, "messages", [message_doc("late", "dev", T0 + timedelta(hours=3), "late")])
    second = run_job(spec, ctx)
    assert second.rows["export.html"]["months_rewritten"] == 1
    assert (out / "manifest.json").is_file()


def test_renderer_corner_cases() -> None:
    link = [
        {
            "type": "PARAGRAPH",
            "value": [
                {
                    "type": "LINK",
                    "value": {
                        "src": {"type": "PLAIN_TEXT", "value": "javascript:alert(1)"},
                        "label": [{"type": "PLAIN_TEXT", "value": "click"}],
                    },
                }
            ],
        }
    ]
    assert "href" not in render_md(link) and "click" in render_md(link)
    assert render_md("<b>not a list</b>") == "&lt;b&gt;not a list&lt;/b&gt;"
    broken = [{"type": "BOLD", "value": 5}, {"type": "EMOJI", "unicode": "😀"}, "<i>"]
    assert "<i>" not in render_md(broken) and "😀" in render_md(broken)
    text = render_text(
        "**bold** <b>raw</b> [x](javascript:alert(1)) [y](https://e.org) ![i](https://e.org/i.png)"
    )
    assert "<strong>bold</strong>" in text and "&lt;b&gt;raw&lt;/b&gt;" in text
    assert 'href="javascript' not in text and 'rel="noopener noreferrer nofollow"' in text
    assert "<img" not in text
