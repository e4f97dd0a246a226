"""`rcetl export ...`: archives, the warehouse feed, verification and compaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from etl.cli.context import AppContext, open_writer, pass_app, wait_option
from etl.cli.lazy import Lazy, LazyGroup

# pyarrow and the exporters are imported when a command runs (an instant `--help`).
if TYPE_CHECKING:
    from etl.export import ExportFilters


class WhenType(click.ParamType[datetime]):
    """`2024`, `2024-03`, `2024-03-15` or a full ISO time; UTC unless an offset is given."""

    name = "DATE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if re.fullmatch(r"\d{4}", text):
            text += "-01-01"
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            text += "-01"
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(
                f"{value!r} is not a date (2024, 2024-03, 2024-03-15 or ISO 8601)", param, ctx
            )
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def filter_options(fn: Any) -> Any:
    for option in reversed(
        [
            click.option("--table", "tables", multiple=True, help="Only this table (repeatable)."),
            click.option("--room", "rooms", multiple=True, help="Only this room id (repeatable)."),
            click.option(
                "--since", type=WhenType(), help="From this time on (ts, else updated_at)."
            ),
            click.option("--until", type=WhenType(), help="Before this time."),
        ]
    ):
        fn = option(fn)
    return fn


def _files_summary(section: dict[str, Any]) -> str:
    text = f"files/: {section['count']} file(s), {section['bytes']:,} bytes"
    if section["complete"]:
        return text + ", every archived upload's file included"
    left = ", ".join(f"{n} {why}" for why, n in section["not_included"].items())
    return text + f"; NOT complete, uploads without their file: {left}"


def _filters(
    tables: tuple[str, ...], rooms: tuple[str, ...], since: Any, until: Any
) -> ExportFilters:
    from etl.errors import FilterError
    from etl.export.filters import ExportFilters

    try:
        return ExportFilters(tables=tables, rooms=rooms, since=since, until=until)
    except FilterError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(
    "export",
    cls=LazyGroup,
    lazy={
        "html": Lazy(
            "etl.cli.html_cmds:html_cmd",
            "Write a static HTML site people can read and search: rooms by kind, a page per "
            "room and month, threads, reactions, files, edits and deletions, search in the "
            "browser. A second run into the same folder rewrites only the room-months that "
            "changed.",
        )
    },
)
def export_group() -> None:
    """Write the database as Parquet: archives, an incremental feed; verify and compact them.

    \b
    Example:
      rcetl export archive --out archive-2024 --since 2024 --until 2025
      rcetl export archive --out s3://bucket/rocketchat/archive --room GENERAL
      rcetl export verify archive-2024
      rcetl export feed --out warehouse/feed      # run it on a schedule
      rcetl export compact warehouse/feed
      rcetl export iceberg                        # current-state Iceberg tables
    """


@export_group.command("archive")
@click.option("--out", required=True, help="Folder or URI (s3://bucket/prefix) to write to.")
@click.option(
    "--with-files", is_flag=True, help="Add the uploads' downloaded bytes (sync.files) in files/."
)
@filter_options
@wait_option
@pass_app
def archive_cmd(app: AppContext, /, out: str, with_files: bool, **filters: Any) -> None:
    """Write every table (or the filtered part) as Parquet datasets plus manifest.json.

    An archive already in OUT is replaced: its manifest goes first, its files that the new
    archive does not rewrite are removed last.

    \b
    Example:
      rcetl export archive --out archive-2024 --since 2024 --until 2025
      rcetl export archive --out general --room GENERAL
      rcetl export archive --out s3://bucket/rocketchat/full
      rcetl export archive --out full --with-files
    """
    from rich.console import Console

    from etl.export import ExportOptions, export_archive
    from etl.export.describe import describe_archive
    from etl.export.fs import open_location

    settings = app.settings
    target = out
    files = settings.sync.files
    endpoint = str(files.endpoint_url) if files.endpoint_url else None
    store = open_location(files.store, endpoint) if with_files else None
    with open_writer(app, "rcetl export archive") as engine:
        manifest = export_archive(
            engine,
            target,
            _filters(**filters),
            options=ExportOptions.from_settings(settings.export),
            server_url=str(settings.server.url),
            files_store=store,
        )
    console = Console()
    console.print(describe_archive(manifest))
    if "files" in manifest:
        console.print(_files_summary(manifest["files"]))
    console.print(
        f"archive written to {manifest['location']} (check it: rcetl export verify {target})"
    )


@export_group.command("feed")
@click.option("--out", default=None, help="Folder or URI.  [default: export.out setting]")
@filter_options
@wait_option
@pass_app
def feed_cmd(app: AppContext, /, out: str | None, **filters: Any) -> None:
    """Write the rows changed since the previous feed run as new files, then advance.

    The daemon's export job runs this with the default --out (the export.out setting).

    \b
    Example:
      rcetl export feed                              # into the export.out setting
      rcetl export feed --out s3://bucket/warehouse/rocketchat
    """
    from etl.export import ExportOptions, export_feed

    settings = app.settings
    target = out or settings.export.out
    with open_writer(app, "rcetl export feed") as engine:
        options = ExportOptions.from_settings(settings.export)
        result = export_feed(engine, target, _filters(**filters), options=options)
    if result.run is None:
        click.echo(f"nothing changed since change_seq {result.to_change_seq}; no new files")
        return
    click.echo(
        f"feed run {result.run} (change_seq {result.from_change_seq} -> {result.to_change_seq}): "
        f"{sum(result.changes.values())} changed rows, {sum(result.deletions.values())} deletions, "
        f"{len(result.files)} files in {target}"
    )
    for table in sorted(set(result.changes) | set(result.deletions)):
        changed, deleted = result.changes.get(table, 0), result.deletions.get(table, 0)
        click.echo(f"  {table}: {changed} changed, {deleted} deleted")


@export_group.command("verify")
@click.argument("out")
@pass_app
def verify_cmd(app: AppContext, out: str) -> None:
    """Check an archive or feed against its manifest.json: files missing, changed or extra,
    row counts and schemas. Exits 1 when anything is wrong.

    \b
    Example:
      rcetl export verify archive-2024
      rcetl export verify s3://bucket/rocketchat/full
    """
    from etl.export import ExportOptions, verify_archive

    endpoint = ExportOptions.from_settings(app.settings.export).endpoint_url
    problems = verify_archive(out, endpoint)
    if problems:
        for problem in problems:
            click.echo(f"problem: {problem}")
        raise click.ClickException(f"{out}: {len(problems)} problem(s)")
    click.echo(f"{out}: OK, every file matches manifest.json")


@export_group.command("compact")
@click.argument("out")
@click.option("--table", "tables", multiple=True, help="Only this table's datasets (repeatable).")
@pass_app
def compact_cmd(app: AppContext, out: str, tables: tuple[str, ...]) -> None:
    """Rewrite each dataset folder's files into one file (e.g. many feed runs), atomically.

    \b
    Example:
      rcetl export compact export                    # the feed the daemon writes
      rcetl export compact export --table messages
    """
    from etl.export import ExportOptions
    from etl.export.compact import compact

    options = ExportOptions.from_settings(app.settings.export)
    result = compact(out, tables, options)
    for path, count in sorted(result.merged.items()):
        click.echo(f"{path}: {count} files merged")
    for note in result.skipped:
        click.echo(f"skipped {note}")
    if not result.merged:
        click.echo("nothing to compact (every folder already holds one file)")


@export_group.command("iceberg")
@click.option("--warehouse", default=None, help="Folder or s3:// URI.  [default: setting]")
@click.option("--compact", is_flag=True, help="Then rewrite small files and expire old snapshots.")
@wait_option
@pass_app
def iceberg_cmd(app: AppContext, warehouse: str | None, compact: bool) -> None:
    """Bring the Apache Iceberg tables (one per synced and child table) up to date.

    Each table gets one transaction with the rows whose change_seq moved since its last
    snapshot; the catalog is export.iceberg.catalog, else a SQL catalog in the database.

    \b
    Example:
      rcetl export iceberg                            # into export.iceberg.warehouse
      rcetl export iceberg --warehouse s3://bucket/iceberg
      rcetl export iceberg --compact                  # e.g. weekly
    """
    try:
        from pyiceberg.exceptions import CommitFailedException

        from etl.export.iceberg import describe, export_iceberg
        from etl.export.iceberg_catalog import IcebergOptions
        from etl.export.iceberg_compact import compact_iceberg
    except ImportError:
        raise click.ClickException(
            "export iceberg needs pyiceberg: pip install 'rocketchat-etl[iceberg]'"
        ) from None

    settings = app.settings
    options = IcebergOptions.from_settings(settings)
    if warehouse:
        from dataclasses import replace

        options = replace(options, warehouse=warehouse)
    with open_writer(app, "rcetl export iceberg") as engine:
        try:
            result = export_iceberg(engine, options)
            compacted = compact_iceberg(options) if compact else None
        except CommitFailedException as exc:
            # Another writer (an engine's maintenance) committed to the table first.
            raise click.ClickException(f"export iceberg: {exc}; run it again") from None
    for line in describe(result) or [f"nothing changed since change_seq {result.change_seq}"]:
        click.echo(line)
    for line in compacted.lines() if compacted else []:
        click.echo(line)
