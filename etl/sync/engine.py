"""`run_sync` and `reconcile`: run the resource steps in dependency order and log the run."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from etl.catalogue import PER_ROOM, RESOURCES
from etl.client import Client, RequestStats
from etl.config import ALL_RESOURCES, Settings
from etl.errors import (
    ApiError,
    PermissionDeniedError,
    StopRequested,
    database_error,
    describe,
    outcome,
)
from etl.schema.synced import Room
from etl.state import (
    Checkpoint,
    finish_run,
    load_checkpoint,
    load_checkpoints,
    save_checkpoint,
    start_run,
)
from etl.sync.admin_tables import (
    sync_integration_history,
    sync_integrations,
    sync_server_statistics,
)
from etl.sync.context import NullProgress, SyncContext, SyncProgress, log
from etl.sync.members import sync_members
from etl.sync.messages import sync_messages
from etl.sync.omnichannel import sync_department_agents, sync_optional_scan, sync_visitors
from etl.sync.page_writer import quarantine_failure
from etl.sync.rooms import sync_rooms
from etl.sync.server_tables import sync_delta_table, sync_scan_table, sync_users
from etl.sync.summary import SyncSummary
from etl.sync.threads import sync_threads
from etl.sync.uploads import sync_uploads
from etl.walkers import WalkError

# The server keeps deletion records for 30 days (TTL index on the trash): a resource not synced
# for longer may have lost deletions that no delta will ever report again.
TRASH_LIFETIME = timedelta(days=30)

# The catalogue names each resource's step; these are the steps (given the resource's name).
STEPS: dict[str, Callable[[SyncContext, str], None]] = {
    "scan_table": sync_scan_table,
    "delta_table": sync_delta_table,
    "users": lambda ctx, _: sync_users(ctx),
    "rooms": lambda ctx, _: sync_rooms(ctx),
    "messages": lambda ctx, _: sync_messages(ctx),
    "threads": lambda ctx, _: sync_threads(ctx),
    "members": lambda ctx, _: sync_members(ctx),
    "integrations": sync_integrations,
    "integration_history": sync_integration_history,
    "server_statistics": sync_server_statistics,
    "uploads": lambda ctx, _: sync_uploads(ctx),
    "newest_first": sync_users,
    "optional_scan": sync_optional_scan,
    "livechat_department_agents": sync_department_agents,
    "livechat_visitors": sync_visitors,
}
ORDER: tuple[str, ...] = tuple(RESOURCES)


def plan(resources: Iterable[str]) -> list[str]:
    """The steps to run, in order. Per-room resources need the room list, so they bring `rooms`."""
    wanted = set(resources)
    unknown = wanted - set(ORDER)
    if unknown:
        known = ", ".join(ALL_RESOURCES)
        raise ValueError(f"unknown resource(s): {', '.join(sorted(unknown))}; known: {known}")
    if wanted & set(PER_ROOM):
        wanted.add("rooms")
    return [name for name in ORDER if name in wanted]


def run_sync(
    settings: Settings,
    client: Client,
    engine: Engine,
    resources: Iterable[str] | None = None,
    *,
    full: bool = False,
    stop_event: threading.Event | None = None,
    progress: SyncProgress | None = None,
    kind: str | None = None,
) -> SyncSummary:
    """Bring the database level with the server for `resources` (default: settings.sync.resources).

    `full` re-reads everything and compares ids (reconciliation). `stop_event` finishes the pages
    in flight, commits them with their checkpoints and returns. The run is logged in `sync_runs`.
    """
    steps = plan(resources or settings.sync.resources)
    kind = kind or ("reconcile" if full else "sync")
    summary = SyncSummary(kind=kind, started_at=datetime.now(UTC))
    before = client.stats  # before server_identity: its /api/info request is the run's too
    with database_errors(engine):
        summary.run_id = _start(engine, kind, steps, client, summary)
        ctx = SyncContext(settings, client, engine, summary, full=full)
        ctx.stop_event = stop_event or threading.Event()
        ctx.progress = progress or NullProgress()
        ctx.reconcile = set(steps) if full else stale_resources(engine, steps)
    if ctx.reconcile and not full:
        log.warning(
            "last sync older than %s days: reconciling %s",
            TRASH_LIFETIME.days,
            ", ".join(sorted(ctx.reconcile)),
        )
    summary.reconciled = sorted(ctx.reconcile)
    status = "failed"
    # A stop also cuts short the client's rate-limit waits and backoffs (StopRequested).
    previous = client.interrupt_waits_on(ctx.stop_event)
    try:
        with database_errors(engine, summary):
            for resource in steps:
                if ctx.stopped:
                    break
                _run_step(ctx, resource)
            ctx.builds.join()  # a first load's index builds (PostgreSQL), while the steps ran
        status = "stopped" if ctx.stopped else ("partial" if summary.errors else "ok")
    finally:
        ctx.builds.join(raise_error=False)
        client.interrupt_waits_on(previous)
        _close(ctx, before, status)
    return summary


@contextmanager
def database_errors(engine: Engine, summary: SyncSummary | None = None) -> Iterator[None]:
    """A database that fails mid-run (disk full, read-only file, connection lost, a permission)
    ends the run with one `DatabaseError` line: the database named, no SQL, no parameters."""
    try:
        yield
    except SQLAlchemyError as exc:
        error = database_error(engine.url, exc)
        if summary is not None:
            summary.fail("database", error)
        raise error from exc


def _start(
    engine: Engine, kind: str, steps: list[str], client: Client, summary: SyncSummary
) -> int:
    """Open the run in `sync_runs`. A server that cannot be reached at all ends it right away,
    recorded with its one error (every step would only wait out the same timeouts)."""
    try:
        identity = server_identity(client)
    except ApiError as exc:
        run_id = start_run(engine, kind, steps, _client_url(client))
        summary.fail("server", exc)
        finish_run(engine, run_id, "failed", summary.as_record())
        raise
    return start_run(engine, kind, steps, *identity)


def reconcile(
    settings: Settings,
    client: Client,
    engine: Engine,
    resources: Iterable[str] | None = None,
    *,
    stop_event: threading.Event | None = None,
    progress: SyncProgress | None = None,
) -> SyncSummary:
    """Compare the ids on the server with the ids in the database, per resource and per room, and
    mark what disappeared (`_hidden`-only deletions, expired trash, bulk prunes)."""
    return run_sync(
        settings, client, engine, resources, full=True, stop_event=stop_event, progress=progress
    )


def server_identity(client: Client) -> tuple[str | None, str | None]:
    """The server's URL (credentials removed) and version, for the run log and the exports.

    /api/info needs no login and the client caches it, so this costs one request per client. A
    server that will not answer it still gets synced; the run just records no version.
    """
    url = _client_url(client)
    try:
        version: str | None = client.server_version()
    except ApiError as exc:
        if outcome(exc).aborts_run:  # unreachable, bad TLS: nothing else would work either
            raise
        log.warning("server version unknown: %s", exc)
        version = None
    return url, None if version == "unknown" else version


def _client_url(client: Client) -> str | None:
    return public_url(client.base_url) if client.base_url else None


def public_url(url: str) -> str:
    """`url` without any `user:password@` (a URL may carry credentials; the run log must not)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _run_step(ctx: SyncContext, resource: str) -> None:
    before = ctx.client.stats.requests
    ctx.progress.resource_started(resource)
    try:
        STEPS[RESOURCES[resource].step](ctx, resource)
        if resource in PER_ROOM and not ctx.stopped:
            _mark_resource_done(ctx, resource)
    except StopRequested as exc:
        log.info("%s: %s; stopping", resource, exc)
    except PermissionDeniedError as exc:
        # The token may not read this resource at all: reported and logged, not a failure.
        ctx.summary.skip(resource, exc)
        log.warning("%s skipped, this token lacks the permission: %s", resource, exc)
    except (ApiError, WalkError) as exc:
        quarantine_failure(ctx, resource, exc)
        failure = ctx.summary.fail(resource, exc)
        if outcome(exc).aborts_run:  # bad credentials, unreachable: the other steps would fail too
            raise
        log.error("%s (%s): %s", resource, failure.classification, exc)
    finally:
        ctx.summary.add(resource, requests=ctx.client.stats.requests - before)
        ctx.progress.resource_finished(resource, ctx.summary)


def _mark_resource_done(ctx: SyncContext, resource: str) -> None:
    """A resource-level checkpoint for the per-room streams: last complete pass and the newest
    room watermark, for `rcetl status` and the trash-lifetime check."""
    with ctx.engine.begin() as conn:
        rooms = load_checkpoints(conn, resource)
        marks = [cp.watermark_ms for scope, cp in rooms.items() if scope and cp.watermark_ms]
        save_checkpoint(conn, Checkpoint(resource, "", max(marks, default=None), status="complete"))


def stale_resources(engine: Engine, steps: list[str]) -> set[str]:
    """Resources whose last complete sync is older than the trash lifetime."""
    limit = datetime.now(UTC) - TRASH_LIFETIME
    stale = set()
    with engine.connect() as conn:
        for resource in steps:
            cp = load_checkpoint(conn, resource)
            when = cp.updated_at if cp else None
            if when is not None and when < limit:
                stale.add(resource)
    return stale


def _close(ctx: SyncContext, before: RequestStats, status: str) -> None:
    summary, after = ctx.summary, ctx.client.stats
    summary.requests = after.requests - before.requests
    summary.retries = after.retries - before.retries
    summary.rate_limit_waits = after.rate_limit_waits - before.rate_limit_waits
    summary.rate_limit_wait_seconds = after.rate_limit_wait_seconds - before.rate_limit_wait_seconds
    summary.status = status
    summary.finished_at = datetime.now(UTC)
    try:
        summary.unreadable_rooms = unreadable_rooms(ctx.engine)
        record = summary.as_record()
        skipped = [f"skipped {k}: {v}" for k, v in summary.skipped.items()]
        finish_run(
            ctx.engine, summary.run_id or 0, status, record | {"errors": record["errors"] + skipped}
        )
    except SQLAlchemyError as exc:
        # The database itself failed (the run's error says so); the run stays "running" until
        # the next run takes the writer lock and marks it interrupted.
        log.warning(
            "could not record the end of run %s: %s", summary.run_id, describe(exc, ctx.engine.url)
        )


def unreadable_rooms(engine: Engine) -> dict[str, str]:
    rooms = Room.__table__
    query = select(rooms.c.id, rooms.c.unreadable_reason).where(
        rooms.c.readable.is_(False), rooms.c.deleted_at.is_(None)
    )
    with engine.connect() as conn:
        return {row.id: row.unreadable_reason or "" for row in conn.execute(query)}
