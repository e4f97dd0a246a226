"""The site in a real browser: Debian's headless Chromium driven by Playwright (never a browser
downloaded by Playwright). Skipped only where no Chromium is installed, and never in CI."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from etl.export.html import export_html
from etl.export.html.layout import href, page_path
from etl.export.html.serve import make_server
from tests.html._site_data import HOSTILE, KNOWN_WORD, PARENT, REPLIES, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("RCETL_TEST_OUTPUT", "test-output")) / "html"

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip(
        "no Chromium installed (apt-get install chromium); the browser tests need it",
        allow_module_level=True,
    )


@contextmanager
def serving(out: Path) -> Iterator[str]:
    server = make_server(out, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def exported(db_engine: sa.Engine, tmp_path: Path) -> Path:
    seed(db_engine)
    out = tmp_path / "site"
    export_html(db_engine, str(out))
    return out


@pytest.fixture
def served(exported: Path) -> Iterator[str]:
    with serving(exported) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI must have Debian's chromium installed (.ci/run installs it)"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield instance
        instance.close()


def test_site_in_chromium(served: str, browser: object, request: pytest.FixtureRequest) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(served + "index.html")
    rooms = page.locator("table.rooms td a").all_inner_texts()
    assert {"general", "dev", "odd", "a discussion", "dm"} <= set(rooms)

    page.goto(served + href(page_path("GENERAL", "2024-11", 1)))
    times = page.locator("section.messages > article > h3 time").evaluate_all(
        "els => els.map(e => e.getAttribute('datetime'))"
    )
    assert times == sorted(times) and len(times) > 30
    assert page.locator("text=general message number 0").is_visible()
    hostile = page.locator(".body", has_text="alert(1)")
    assert HOSTILE.split(" and ")[0] in hostile.inner_text()
    assert page.locator("section.messages script, section.messages img").count() == 0
    assert dialogs == []

    reply = page.locator(f"#m-{REPLIES[0]}")
    assert not reply.is_visible()
    page.locator(f"h3#m-{PARENT} ~ details.thread > summary").click()
    assert reply.is_visible() and page.locator(f"#m-{REPLIES[1]}").is_visible()

    name = request.node.callspec.id
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(SHOTS / f"room-{name}-{scheme}.png"))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 24, 28)"  # dark follows the system setting

    page.goto(served + "search.html")
    page.fill("#search-input", KNOWN_WORD)
    page.press("#search-input", "Enter")
    results = page.locator("#search-results a.result")
    results.first.wait_for(timeout=20_000)
    hrefs = results.evaluate_all("els => els.map(e => e.href)")
    target = next(h for h in hrefs if h.endswith(f"#m-{REPLIES[0]}"))
    assert "@user1" in results.first.inner_text()
    assert page.locator("#search-results mark").first.inner_text().lower() == KNOWN_WORD

    page.fill("#search-input", KNOWN_WORD[:5].upper())  # a prefix, any case, ranked by MiniSearch
    page.press("#search-input", "Enter")
    page.locator("#search-status", has_text="found").wait_for(timeout=20_000)
    prefixed = results.evaluate_all("els => els.map(e => e.href)")
    assert sorted(prefixed) == sorted(hrefs)
    page.goto(target)
    page.wait_for_function(
        f"document.getElementById('m-{REPLIES[0]}').getBoundingClientRect().height > 0"
    )
    assert page.locator(f"#m-{REPLIES[0]}").is_visible()  # the thread opened at the anchor
    assert page.evaluate("location.hash") == f"#m-{REPLIES[0]}"

    outside = [u for u in requests if urlsplit(u).netloc != urlsplit(served).netloc]
    assert outside == [], outside


def test_pages_read_from_disk_without_a_server(exported: Path, browser: object) -> None:
    out = exported
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto((out / page_path("GENERAL", "2024-11", 1)).as_uri())
    assert page.locator("text=general message number 5").is_visible()
    page.goto((out / "search.html").as_uri() + "?q=" + KNOWN_WORD)
    page.wait_for_function("document.getElementById('search-status').textContent.includes('HTTP')")


def _results(page: object, base: str, query: str) -> list[str]:
    page.goto(base + "search.html?q=" + query)  # type: ignore[attr-defined]
    status = page.locator("#search-status", has_text="message")  # type: ignore[attr-defined]
    status.wait_for(timeout=20_000)  # "N messages on M pages"
    links = page.locator("#search-results a.result")  # type: ignore[attr-defined]
    return [h.rsplit("#m-", 1)[-1] for h in links.evaluate_all("els => els.map(e => e.href)")]


def test_search_after_an_incremental_export(
    db_engine: sa.Engine, exported: Path, browser: object
) -> None:
    """The edited message's new words find it; its old words no longer do."""
    from tests.export._data import T0, message_doc, save

    out = exported
    edited = message_doc(REPLIES[0], "GENERAL", T0, "reply 0 kilimanjaro", tmid=PARENT)
    save(db_engine, "messages", [edited])
    export_html(db_engine, str(out))
    with serving(out) as base:
        page = browser.new_page()  # type: ignore[attr-defined]
        assert _results(page, base, "kilimanjaro") == [REPLIES[0]]
        found = _results(page, base, KNOWN_WORD)
        assert REPLIES[1] in found and REPLIES[0] not in found
