"""The one retry policy: what `etl.errors.OUTCOMES` marks `retry` is retried with exponential
backoff and jitter, a bounded number of times; everything else fails at once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import tenacity

from etl.config import RetrySettings
from etl.errors import RateLimitedError, outcome

log = logging.getLogger(__name__)


def retry_policy(
    retries: RetrySettings,
    on_retry: Callable[[], None],
    sleep: Callable[[float], None] = time.sleep,
) -> tenacity.Retrying:
    """A tenacity policy; `on_retry` is called before each retry (for counting); `sleep` waits out
    the backoff (the client's may raise StopRequested). Use `policy.copy()` per call so that
    concurrent calls keep separate state."""
    backoff = tenacity.wait_exponential(
        multiplier=retries.backoff_initial, max=retries.backoff_max
    ) + tenacity.wait_random(0, retries.backoff_initial)

    def wait(state: tenacity.RetryCallState) -> float:
        # A 429 is waited out by the rate limiter before the next send, not by backoff.
        exc = state.outcome.exception() if state.outcome else None
        return 0.0 if isinstance(exc, RateLimitedError) else backoff(state)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        on_retry()
        exc = state.outcome.exception() if state.outcome else None
        log.warning("retrying after attempt %d failed: %s", state.attempt_number, exc)

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: outcome(exc).retry),
        stop=tenacity.stop_after_attempt(retries.max_attempts),
        wait=wait,
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
