"""Schedules are data: `settings.schedules` (job id → interval or cron) becomes validated job specs
with APScheduler triggers. Every problem is reported at start, naming the job and the bad value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from etl.config import ALL_RESOURCES, ScheduleSettings, Settings
from etl.errors import ConfigError

JobKind = Literal["sync", "reconcile", "export", "iceberg", "html"]
# Jobs that only read the synced tables (they write their own state and files).
EXPORT_KINDS: tuple[str, ...] = ("export", "iceberg", "html")

# Used when config.yaml has no `schedules:` section. Rooms and messages move all day; users and the
# small tables change rarely; reconciliation (full id listings, finds deletions the deltas cannot
# show) and the Parquet feed are heavy, so they run at night (UTC).
_FREQUENT = ["rooms", "messages", "threads"]
DEFAULT_SCHEDULES: dict[str, ScheduleSettings] = {
    "rooms_messages": ScheduleSettings(interval=300, resources=_FREQUENT),
    "users_small_tables": ScheduleSettings(
        interval=3600, resources=[r for r in ALL_RESOURCES if r not in _FREQUENT]
    ),
    "reconcile": ScheduleSettings(cron="30 2 * * *"),
    "export": ScheduleSettings(cron="0 4 * * *"),
}

# Executors: every job that writes synced tables (sync, reconcile) goes to the one-thread "writer"
# executor, so two of them never write the same tables at once (and SQLite has one writer anyway).
# The exports (Parquet feed, Iceberg tables) only read synced tables, so they get their own thread.
# The `iceberg*` kind is not a default: it needs the optional extra `[iceberg]`.
WRITER_EXECUTOR = "writer"
EXPORT_EXECUTOR = "export"


class ScheduleError(ConfigError):
    """A schedule in the configuration cannot be turned into a job."""


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    kind: JobKind
    resources: tuple[str, ...] | None  # None: every resource in settings.sync.resources
    trigger: BaseTrigger
    enabled: bool
    describe: str  # "every 5m" / "cron '0 4 * * *' (UTC)"

    @property
    def executor(self) -> str:
        return EXPORT_EXECUTOR if self.kind in EXPORT_KINDS else WRITER_EXECUTOR


def build_job_specs(settings: Settings) -> list[JobSpec]:
    """All configured jobs (disabled ones included, for status), or the defaults when none are."""
    configured = settings.schedules or _defaults_for(settings)
    specs = [_spec(job_id, schedule, settings) for job_id, schedule in configured.items()]
    if not any(spec.enabled for spec in specs):
        raise ScheduleError("schedules: every job is disabled; the daemon would have nothing to do")
    return specs


def _defaults_for(settings: Settings) -> dict[str, ScheduleSettings]:
    """The default jobs, limited to the resources this configuration syncs."""
    wanted = set(settings.sync.resources)
    defaults = {}
    for job_id, schedule in DEFAULT_SCHEDULES.items():
        if schedule.resources is None:
            defaults[job_id] = schedule
            continue
        kept = [name for name in schedule.resources if name in wanted]
        if kept:
            defaults[job_id] = schedule.model_copy(update={"resources": kept})
    return defaults


def _spec(job_id: str, schedule: ScheduleSettings, settings: Settings) -> JobSpec:
    kind = job_kind(job_id, schedule)
    resources = tuple(schedule.resources) if schedule.resources else None
    if resources is None and job_id in ALL_RESOURCES:
        resources = (job_id,)
    if kind in EXPORT_KINDS and schedule.resources:
        raise ScheduleError(f"schedules.{job_id}: an {kind} job takes no resources")
    trigger, describe = make_trigger(job_id, schedule)
    return JobSpec(job_id, kind, resources, trigger, schedule.enabled, describe)


def job_kind(job_id: str, schedule: ScheduleSettings) -> JobKind:
    """The id says what a job does: `export*`, `iceberg*`, `html*`, `reconcile*`, `sync*` or a
    resource name; any other id must list its `resources` (then it is a sync). A typo must not
    become a full sync."""
    for kind in ("export", "iceberg", "html", "reconcile", "sync"):
        if job_id.startswith(kind):
            return kind
    if job_id in ALL_RESOURCES or schedule.resources:
        return "sync"
    raise ScheduleError(
        f"schedules.{job_id}: unknown job {job_id!r}: name it sync*, reconcile*, export*, "
        f"iceberg*, html* or after a resource ({', '.join(ALL_RESOURCES)}), or give it `resources:`"
    )


def make_trigger(job_id: str, schedule: ScheduleSettings) -> tuple[BaseTrigger, str]:
    if schedule.interval is not None:
        # Jitter-free on purpose: tests and operators can predict the next run.
        trigger = IntervalTrigger(seconds=schedule.interval, timezone=UTC)
        return trigger, f"every {_human(schedule.interval)}"
    cron = schedule.cron or ""
    try:
        trigger = CronTrigger.from_crontab(cron, timezone=UTC)
    except ValueError as exc:
        raise ScheduleError(f"schedules.{job_id}.cron: invalid cron {cron!r}: {exc}") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ScheduleError(f"schedules.{job_id}.cron: cron {cron!r} never fires")
    return trigger, f"cron {cron!r} (UTC)"


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def period_seconds(trigger: BaseTrigger, now: datetime) -> float:
    """How long the trigger waits between two runs around `now` (for lag thresholds)."""
    if isinstance(trigger, IntervalTrigger):
        interval: timedelta = trigger.interval
        return interval.total_seconds()
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    return (second - first).total_seconds() if first and second else 86400.0


def backoff_next_run(
    trigger: BaseTrigger, now: datetime, failures: int, cap_seconds: float
) -> datetime | None:
    """After `failures` consecutive transient failures, skip 2**(failures-1) - 1 scheduled runs
    (1, 2, 4, 8 … runs later), but never wait longer than `cap_seconds` past the next run."""
    fire: datetime | None = trigger.get_next_fire_time(None, now)
    if fire is None:
        return None
    limit = fire + timedelta(seconds=cap_seconds)
    for _ in range(2 ** min(failures - 1, 10) - 1):
        later: datetime | None = trigger.get_next_fire_time(fire, fire)
        if later is None or later > limit:
            break
        fire = later
    return fire
