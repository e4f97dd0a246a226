"""What each kind of job does: a thin call into `etl`. The schedule (jobs/schedule.py) is data; this
is the only code a job runs, and it returns the run's counts (`JobCounts`). Exceptions propagate to
the runner, which classifies them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from etl import export, sync
from etl.client import RocketChatClient
from etl.config import Settings
from jobs.counts import JobCounts
from jobs.schedule import JobKind, JobSpec


@dataclass
class JobContext:
    settings: Settings
    client: RocketChatClient
    engine: Engine
    stop_event: threading.Event  # set on SIGTERM/SIGINT: finish the page in flight and return


def run_sync_job(spec: JobSpec, ctx: JobContext) -> JobCounts:
    resources = list(spec.resources) if spec.resources else None
    summary = sync.run_sync(
        ctx.settings, ctx.client, ctx.engine, resources, stop_event=ctx.stop_event
    )
    return _summary_counts(summary)


def run_reconcile_job(spec: JobSpec, ctx: JobContext) -> JobCounts:
    resources = list(spec.resources) if spec.resources else None
    summary = sync.reconcile(
        ctx.settings, ctx.client, ctx.engine, resources, stop_event=ctx.stop_event
    )
    return _summary_counts(summary)


def run_export_job(spec: JobSpec, ctx: JobContext) -> JobCounts:
    # The incremental Parquet feed: only rows changed since the previous feed run (export_state).
    options = export.ExportOptions.from_settings(ctx.settings.export)
    result = export.export_feed(ctx.engine, ctx.settings.export.out, options=options)
    tables = sorted(set(result.changes) | set(result.deletions))
    rows = {
        f"export.{table}": {
            "exported": result.changes.get(table, 0),
            "deletions": result.deletions.get(table, 0),
        }
        for table in tables
    }
    return JobCounts(rows=rows, feed_run=result.run, files=len(result.files))


def run_iceberg_job(spec: JobSpec, ctx: JobContext) -> JobCounts:
    # Current-state Iceberg tables: one transaction per table whose change_seq moved.
    from etl.export.iceberg import export_iceberg
    from etl.export.iceberg_catalog import IcebergOptions

    result = export_iceberg(ctx.engine, IcebergOptions.from_settings(ctx.settings))
    rows = {
        f"iceberg.{name}": {"appended": run.appended, "replaced_keys": run.deleted_keys}
        for name, run in sorted(result.tables.items())
    }
    return JobCounts(rows=rows, change_seq=result.change_seq, tables=len(result.tables))


def run_html_job(spec: JobSpec, ctx: JobContext) -> JobCounts:
    # The readable site, rewritten where messages changed (export.html_out).
    from etl.export.html import export_html

    result = export_html(ctx.engine, ctx.settings.export.html_out)
    rows = {"export.html": {"months_rewritten": result.months_rewritten}}
    return JobCounts(rows=rows, pages_written=result.pages_written, change_seq=result.change_seq)


JOBS: dict[JobKind, Callable[[JobSpec, JobContext], JobCounts]] = {
    "sync": run_sync_job,
    "reconcile": run_reconcile_job,
    "export": run_export_job,
    "iceberg": run_iceberg_job,
    "html": run_html_job,
}


def run_job(spec: JobSpec, ctx: JobContext) -> JobCounts:
    return JOBS[spec.kind](spec, ctx)


def _summary_counts(summary: sync.SyncSummary) -> JobCounts:
    return JobCounts(
        rows={
            resource: {
                "upserted": c.upserted,
                "deleted": c.deleted,
                "quarantined": c.quarantined,
            }
            for resource, c in summary.resources.items()
        },
        requests=summary.requests,
        retries=summary.retries,
        rate_limit_waits=summary.rate_limit_waits,
        unreadable_rooms=len(summary.unreadable_rooms),
        run_id=summary.run_id,
        errors=list(summary.errors),
        classification=summary.classification,
    )
