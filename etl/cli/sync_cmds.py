"""`rcetl sync`, `rcetl reconcile`, `rcetl status`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from etl.cli.context import (
    AppContext,
    echo_json,
    open_client,
    open_engine,
    open_writer,
    pass_app,
    wait_option,
)

if TYPE_CHECKING:  # the rest is imported when a command runs (an instant `--help`)
    import threading

    from etl.sync import SyncSummary


class ResourceName(click.ParamType[str]):
    """A resource of the registry. Read when a value is checked, not when `--help` is shown (the
    registry is the slowest import a `--help` would otherwise pay for)."""

    name = "resource"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from etl.catalogue import RESOURCES

        if isinstance(value, str) and value in RESOURCES:
            return value
        known = ", ".join(RESOURCES)
        self.fail(f"{value!r} is not a resource; known: {known}", param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[click.shell_completion.CompletionItem]:
        from click.shell_completion import CompletionItem

        from etl.catalogue import RESOURCES

        return [CompletionItem(name) for name in RESOURCES if name.startswith(incomplete)]


resources_argument = click.argument(
    "resources", nargs=-1, type=ResourceName(), metavar="[RESOURCE]..."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """First Ctrl-C/SIGTERM: finish the pages in flight, commit them, stop. Second: abort."""
    import signal
    import threading

    stop = threading.Event()

    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        click.echo("stopping after the pages in flight (again to abort)...", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _run(
    app: AppContext, resources: tuple[str, ...], purpose: str, as_json: bool, job: Any
) -> None:
    from rich.console import Console

    from etl.sync.progress import LogProgress, RichProgress

    settings = app.settings
    with open_writer(app, purpose) as engine, open_client(app) as client, stop_on_signals() as stop:
        if sys.stderr.isatty() and not as_json:
            with RichProgress(client, Console(stderr=True)) as progress:
                summary = job(settings, client, engine, list(resources) or None, stop, progress)
        else:
            summary = job(settings, client, engine, list(resources) or None, stop, LogProgress())
    _report(summary, as_json)
    if summary.status == "stopped" or summary.errors:
        from etl.errors import EXIT_FAILURE, EXIT_INTERRUPTED

        # stopped: as an interrupted command; partial (some resource or room failed): a failure
        sys.exit(EXIT_INTERRUPTED if summary.status == "stopped" else EXIT_FAILURE)


def _report(summary: SyncSummary, as_json: bool) -> None:
    from etl.view_limits import describe

    if as_json:
        echo_json(summary.as_record())
        return
    seconds = (
        (summary.finished_at - summary.started_at).total_seconds()
        if summary.finished_at and summary.started_at
        else 0.0
    )
    click.echo(
        f"{summary.kind} run {summary.run_id} {summary.status} in {seconds:.1f}s: "
        f"{summary.total('upserted')} upserted, {summary.total('deleted')} deleted, "
        f"{summary.total('quarantined')} quarantined; {summary.requests} requests, "
        f"{summary.retries} retries, {summary.rate_limit_waits} rate-limit waits"
    )
    if summary.unreadable_rooms:
        click.echo(
            f"{len(summary.unreadable_rooms)} room(s) this token cannot read (see `rcetl status`)"
        )
    if summary.files:
        from etl.sync.status import describe_files

        click.echo(describe_files(summary.files))
    if summary.total("quarantined"):
        click.echo("some records could not be normalised: they are in the quarantine table")
    if summary.total("future_dated"):
        click.echo(
            f"{summary.total('future_dated')} document(s) dated after the server's time: kept; "
            "watermarks held at the server's time"
        )
    for resource, reason in summary.skipped.items():
        click.secho(f"skipped {resource}: {reason}", err=True, fg="yellow")
    for permission, hides in summary.view_limits.items():
        click.secho(describe(permission, hides), err=True, fg="yellow")
    for error in summary.errors:
        click.secho(f"error: {error}", err=True, fg="red")


@click.command("sync")
@resources_argument
@click.option("--full", is_flag=True, help="Re-read everything and reconcile ids (slow).")
@json_option
@wait_option
@pass_app
def sync_cmd(app: AppContext, resources: tuple[str, ...], full: bool, as_json: bool) -> None:
    """Bring the database level with the server: everything the first time, then only changes.

    \b
    Examples:
      rcetl sync                    # every resource in sync.resources
      rcetl sync messages users     # just these (messages also refreshes rooms)
      rcetl sync --full             # full re-read + reconciliation of deletions
    """
    from etl.sync import run_sync

    def job(settings: Any, client: Any, engine: Any, res: Any, stop: Any, progress: Any) -> Any:
        return run_sync(
            settings, client, engine, res, full=full, stop_event=stop, progress=progress
        )

    _run(app, resources, "rcetl sync --full" if full else "rcetl sync", as_json, job)


@click.command("reconcile")
@resources_argument
@json_option
@wait_option
@pass_app
def reconcile_cmd(app: AppContext, resources: tuple[str, ...], as_json: bool) -> None:
    """Compare server ids with database ids and mark what disappeared.

    Catches deletions no delta reports: `_hidden`-only deletions (KeepHistory on,
    ShowDeletedStatus off), trash records older than 30 days, bulk prunes.

    \b
    Examples:
      rcetl reconcile               # every resource (slow: a full read)
      rcetl reconcile messages      # just messages, room by room
    """
    from etl.sync import reconcile

    def job(settings: Any, client: Any, engine: Any, res: Any, stop: Any, progress: Any) -> Any:
        return reconcile(settings, client, engine, res, stop_event=stop, progress=progress)

    _run(app, resources, "rcetl reconcile", as_json, job)


@click.command("status")
@json_option
@pass_app
def status_cmd(app: AppContext, as_json: bool) -> None:
    """Per resource: rows, last sync, watermark, lag; unreadable rooms; last errors.

    \b
    Examples:
      rcetl status
      rcetl status --json | jq '.unreadable_rooms'
    """
    from rich.console import Console

    from etl.sync.status import render_status, resource_status
    from jobs.status import describe_jobs, render_jobs

    with open_engine(app) as engine:
        report = resource_status(engine)
        report["jobs"] = describe_jobs(engine, app.settings)
    if as_json:
        echo_json(report)
        return
    render_status(report, Console())
    render_jobs(report["jobs"], Console())
