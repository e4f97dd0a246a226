"""The pacing bookkeeping on its own: header windows, reservations, late answers, skew.

Time is injected (a list the fake sleep advances) so that these run instantly; the behaviour against
a real server over HTTP is covered in test_client_http.py.
"""

from __future__ import annotations

import threading
import time

from etl.ratelimit import RateLimiter


class ManualClock:
    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(clock: ManualClock) -> RateLimiter:
    return RateLimiter(margin=0.0, clock=clock.time, sleep=clock.sleep)


def headers(limit: int, remaining: int, reset_ms: float) -> dict[str, str]:
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(reset_ms)),
    }


def test_unknown_endpoints_and_bypassing_users_are_not_held() -> None:
    clock = ManualClock()
    rl = limiter(clock)
    for _ in range(50):
        assert rl.acquire("GET me") == 0.0
        rl.complete("GET me", {})  # an admin gets no headers at all
    assert clock.sleeps == []


def test_waits_for_the_reset_when_the_window_is_used_up() -> None:
    clock = ManualClock()
    rl = limiter(clock)
    reset = clock.now * 1000 + 800
    rl.acquire("GET a")
    rl.complete("GET a", headers(2, 1, reset))
    assert rl.acquire("GET a") == 0.0  # reserves the last call of the window
    assert rl.acquire("GET a") == 0.8  # ...so the next one waits for the reset
    assert rl.acquire("GET b") == 0.0  # other endpoints are not affected


def test_reservations_stop_concurrent_callers_from_overshooting() -> None:
    clock = ManualClock()
    rl = limiter(clock)
    rl.complete("GET a", headers(10, 3, clock.now * 1000 + 1000))
    passed = [rl.acquire("GET a") for _ in range(3)]
    assert passed == [0.0, 0.0, 0.0]
    # A slow answer from earlier in the same window says 2 left; our reservations say 0.
    rl.complete("GET a", headers(10, 2, clock.now * 1000 + 1000))
    assert rl.snapshot()["GET a"].remaining == 0


def test_late_answer_from_an_old_window_is_ignored() -> None:
    clock = ManualClock()
    rl = limiter(clock)
    rl.complete("GET a", headers(5, 4, clock.now * 1000 + 2000))
    rl.complete("GET a", headers(5, 0, clock.now * 1000 + 1000))  # older window, arrived late
    assert rl.snapshot()["GET a"].remaining == 4


def test_refusal_holds_the_endpoint_until_reset_then_opens_a_fresh_window() -> None:
    clock = ManualClock()
    rl = limiter(clock)
    rl.complete("GET a", headers(3, 2, clock.now * 1000 + 500))
    rl.observe_refusal("GET a", int(clock.now * 1000 + 1500))
    assert rl.acquire("GET a") == 1.5
    assert rl.acquire("GET a") == 0.0  # fresh window: `limit` calls allowed again


def test_server_clock_skew_from_the_date_header_is_used_for_waits() -> None:
    clock = ManualClock(start=1_700_000_000.0)
    rl = limiter(clock)
    # The server's clock is 60 s ahead of ours; its reset is 1 s ahead of ITS now.
    server_now = clock.now + 60
    date = "Tue, 14 Nov 2023 22:14:20 GMT"  # == 1_700_000_060
    assert abs(server_now - 1_700_000_060) < 1
    rl.complete("GET a", {**headers(1, 0, server_now * 1000 + 1000), "date": date})
    waited = rl.acquire("GET a")
    assert 0.4 < waited < 1.6  # not 61 s: the wait is measured on the server's clock


def test_waits_happen_outside_the_lock() -> None:
    """A caller sleeping for one endpoint's reset does not block another endpoint's caller."""
    rl = RateLimiter(margin=0.0)
    rl.complete("GET slow", headers(1, 0, time.time() * 1000 + 600))
    sleeper = threading.Thread(target=rl.acquire, args=("GET slow",))
    sleeper.start()
    while not sleeper.is_alive():
        pass
    other_done = threading.Event()
    threading.Thread(target=lambda: (rl.acquire("GET fast"), other_done.set())).start()
    assert other_done.wait(0.5)
    assert sleeper.is_alive()  # still waiting for its own reset
    sleeper.join()
