"""`rcetl export html` (the readable, searchable site), `rcetl search` and `rcetl db reindex`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from etl.cli.context import AppContext, open_engine, open_writer, pass_app, wait_option
from etl.cli.export_cmds import WhenType, _filters, filter_options

# The site builder, the full-text search, SQLAlchemy and rich are imported when a command runs
# (an instant `--help`).
if TYPE_CHECKING:
    from sqlalchemy import Connection

    from etl.fulltext import SearchHit


@click.command("html")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Site folder.")
@filter_options
@click.option("--no-search", is_flag=True, help="Skip the browser search index.")
@click.option("--title", default="Rocket.Chat archive", show_default=True, help="Site title.")
@click.option("--serve", is_flag=True, help="Then serve the site on 127.0.0.1 until Ctrl-C.")
@click.option("--port", default=8000, show_default=True, help="Port for --serve (0: any free).")
@wait_option
@pass_app
def html_cmd(
    app: AppContext,
    /,
    out: str,
    no_search: bool,
    title: str,
    serve: bool,
    port: int,
    **filters: Any,
) -> None:
    """Write a static HTML site people can read and search: rooms by kind, a page per room and
    month, threads, reactions, files, edits and deletions, search in the browser. A second run
    into the same folder rewrites only the room-months that changed.

    \b
    Example:
      rcetl export html --out site
      rcetl export html --out site-2024 --since 2024 --until 2025 --serve
    """
    from etl.export.html import export_html

    if filters.pop("tables"):
        raise click.BadParameter("export html takes no --table (it shows rooms and messages)")
    with open_writer(app, "rcetl export html") as engine:
        result = export_html(
            engine, out, _filters((), **filters), search=not no_search, title=title
        )
    kind = "full" if result.full else "incremental"
    click.echo(
        f"{kind} export: {result.rooms} rooms, {result.messages} messages; "
        f"{result.months_rewritten} room-months rewritten ({result.pages_written} pages), "
        f"{result.pages_kept} pages unchanged, {result.files_removed} files removed, "
        f"{result.seconds:.1f}s"
    )
    click.echo(f"open {Path(out) / 'index.html'} (check it: rcetl export verify {out})")
    if serve:
        _serve(Path(out), port)


def _serve(folder: Path, port: int) -> None:
    from etl.export.html.serve import make_server

    server = make_server(folder, port=port)
    click.echo(f"serving {folder} at http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--room", "rooms", multiple=True, help="Only this room id or name (repeatable).")
@click.option("--user", "users", multiple=True, help="Only this username (repeatable).")
@click.option("--since", type=WhenType(), help="From this time on.")
@click.option("--until", type=WhenType(), help="Before this time.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option("--html", "site", type=click.Path(file_okay=False), help="Link into this site.")
@pass_app
def search_cmd(
    app: AppContext,
    query: tuple[str, ...],
    rooms: tuple[str, ...],
    users: tuple[str, ...],
    since: Any,
    until: Any,
    limit: int,
    as_json: bool,
    site: str | None,
) -> None:
    """Full-text search over message texts (every word must match; `deplo*` is a prefix),
    newest first, with the matched words highlighted and the message's place in the HTML
    export (the newest one made from this database, or --html DIR).

    \b
    Example:
      rcetl search deploy staging --room general --since 2024-06
      rcetl search 'hotfix*' --user alice --json
    """
    from etl.export.html.incremental import latest_site
    from etl.fulltext import SearchQuery, search_messages
    from etl.fulltext.query import SearchQueryError

    request = SearchQuery(" ".join(query), rooms, users, since, until, limit)
    with open_engine(app) as engine, engine.connect() as conn:
        try:
            hits = search_messages(conn, request)
        except SearchQueryError as exc:
            raise click.BadParameter(str(exc)) from None
        folder = Path(site) if site else latest_site(conn)
        if folder is not None:
            link_hits(conn, folder, hits)
    if as_json:
        import orjson

        document = {"query": request.text, "hits": [h.as_dict() for h in hits]}
        click.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        return
    _print_hits(hits)


def link_hits(conn: Connection, folder: Path, hits: list[SearchHit]) -> None:
    """Give each hit the path of its anchor in the HTML site at `folder`, when it is there."""
    from etl.export.html.anchors import anchor_url, parent_join
    from etl.export.html.layout import PageLocator
    from etl.export.html.manifest import read_manifest

    manifest = read_manifest(folder)
    if not manifest or "months" not in manifest:
        return
    locator = PageLocator(manifest["months"])
    from etl.export.filters import ExportFilters
    from etl.export.html.queries import MESSAGES

    saved = manifest.get("filters") or {}
    filters = ExportFilters(
        rooms=tuple(saved.get("rooms") or ()),
        since=_parse(saved.get("since")),
        until=_parse(saved.get("until")),
    )
    parent, on = parent_join(filters)
    import sqlalchemy as sa

    ids = [h.id for h in hits]
    rows = conn.execute(
        sa.select(MESSAGES.c.id, MESSAGES.c.ts, parent.c.id, parent.c.ts)
        .outerjoin(parent, on)
        .where(MESSAGES.c.id.in_(ids))
    ).all()
    places = {mid: (ts, pid, pts) for mid, ts, pid, pts in rows}
    for hit in hits:
        if hit.id in places:
            ts, pid, pts = places[hit.id]
            url = anchor_url(locator, hit.rid, hit.id, ts, pid, pts)
            hit.url = str(folder / url) if url else None


def _parse(value: str | None) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


def _print_hits(hits: list[SearchHit]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not hits:
        console.print("no message matches")
        return
    table = Table(show_lines=False)
    for column in ("when (UTC)", "room", "user", "message", "page"):
        table.add_column(column, overflow="fold")
    for hit in hits:
        snippet = Text(hit.snippet)
        for start, end in hit.matches:
            snippet.stylize("bold reverse", start, end)
        if hit.deleted:
            snippet = Text("(deleted) ") + snippet
        when = hit.ts.strftime("%Y-%m-%d %H:%M") if hit.ts else ""
        table.add_row(when, hit.room or hit.rid, hit.username or "", snippet, hit.url or "")
    console.print(table)


@click.command("reindex")
@wait_option
@pass_app
def reindex_cmd(app: AppContext) -> None:
    """Rebuild the full-text index of message texts (SQLite FTS5 / PostgreSQL GIN).

    The index is kept current on every write; rebuild it after restoring a database or when
    `rcetl search` seems to miss messages. Also finishes what a first sync cut short left
    undone: the first message versions written in one pass, and the secondary indexes of the
    messages tables (the next sync's messages step does both too).

    \b
    Example:
      rcetl db reindex
    """
    from etl.fulltext import reindex
    from etl.load.history_pending import finish_pending
    from etl.load.indexes import create_missing

    with open_writer(app, "rcetl db reindex") as engine:
        what = reindex(engine)
        versions = finish_pending(engine)  # before the indexes: the pass is faster without them
        with engine.begin() as conn:
            created = create_missing(conn)
    click.echo(f"rebuilt {what}")
    if versions:
        click.echo(f"wrote {versions} first message version(s) a cut-short first load left")
    if created:
        click.echo(f"created {created} secondary index(es) a cut-short first sync left out")
