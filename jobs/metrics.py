"""Prometheus metrics of one daemon, in its own CollectorRegistry (never the global one, so tests
and several daemons in one process cannot collide). Lags are computed when scraped, not stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from jobs.counts import JobCounts

# (per resource, per job) lag in seconds: time since the last successful run that covered it.
LagSource = Callable[[], tuple[Mapping[str, float], Mapping[str, float]]]

DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, float("inf"))


class _LagCollector(Collector):
    def __init__(self, source: LagSource) -> None:
        self._source = source

    def collect(self) -> Iterator[GaugeMetricFamily]:
        by_resource, by_job = self._source()
        resource_lag = GaugeMetricFamily(
            "rcetl_lag_seconds",
            "Seconds since the last successful run that synced this resource",
            labels=["resource"],
        )
        for resource, seconds in sorted(by_resource.items()):
            resource_lag.add_metric([resource], seconds)
        yield resource_lag
        job_lag = GaugeMetricFamily(
            "rcetl_job_lag_seconds",
            "Seconds since the job's last successful run (since daemon start if none yet)",
            labels=["job"],
        )
        for job_id, seconds in sorted(by_job.items()):
            job_lag.add_metric([job_id], seconds)
        yield job_lag


class DaemonMetrics:
    def __init__(self, lag_source: LagSource) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.rows = Counter(
            "rcetl_rows_synced", "Rows written per resource", ["resource", "action"], registry=r
        )
        self.requests = Counter("rcetl_requests", "API requests sent", ["job"], registry=r)
        self.retries = Counter("rcetl_retries", "API requests retried", ["job"], registry=r)
        self.rate_limit_waits = Counter(
            "rcetl_rate_limit_waits", "Waits for the server's rate limiter", ["job"], registry=r
        )
        self.runs = Counter("rcetl_job_runs", "Job runs by result", ["job", "result"], registry=r)
        self.failures = Counter(
            "rcetl_job_failures", "Failed job runs", ["job", "classification"], registry=r
        )
        self.duration = Histogram(
            "rcetl_job_duration_seconds",
            "Job run duration",
            ["job"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.last_success = Gauge(
            "rcetl_job_last_success_timestamp_seconds",
            "Unix time of the job's last successful run",
            ["job"],
            registry=r,
        )
        self.consecutive_failures = Gauge(
            "rcetl_job_consecutive_failures", "Failed runs in a row", ["job"], registry=r
        )
        self.paused = Gauge(
            "rcetl_job_paused", "1 when a terminal failure stopped the job", ["job"], registry=r
        )
        r.register(_LagCollector(lag_source))

    def declare_job(self, job_id: str) -> None:
        """Make every per-job series exist from the start (0), so alerts see them before a run."""
        for result in ("ok", "transient", "terminal", "interrupted"):
            self.runs.labels(job_id, result)
        for classification in ("transient", "terminal"):
            self.failures.labels(job_id, classification)
        for counter in (self.requests, self.retries, self.rate_limit_waits):
            counter.labels(job_id)
        self.duration.labels(job_id)
        self.consecutive_failures.labels(job_id).set(0)
        self.paused.labels(job_id).set(0)

    def observe_run(self, job_id: str, result: str, duration_s: float, counts: JobCounts) -> None:
        self.runs.labels(job_id, result).inc()
        self.duration.labels(job_id).observe(duration_s)
        for resource, actions in counts.rows.items():
            for action, number in actions.items():
                if number:
                    self.rows.labels(resource, action).inc(number)
        self.requests.labels(job_id).inc(counts.requests)
        self.retries.labels(job_id).inc(counts.retries)
        self.rate_limit_waits.labels(job_id).inc(counts.rate_limit_waits)

    def render(self) -> bytes:
        return generate_latest(self.registry)
