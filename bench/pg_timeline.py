"""Where a full PostgreSQL sync's wall time goes: per phase, the CPU of the writer thread, of the
fetch threads, of the server's backends and of the simulator, and how long the writer waited for
pages. The machine's two cores can run the client and the server side by side: wall time close to
their sum means they did not.

    .venv/bin/python bench/pg_timeline.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/x \
        [--size medium] [--concurrency 4]

Phases: each resource step (`_run_step`), and inside the messages step the walk (`run_walks`),
the versions pass, the secondary indexes and the full-text index (with background builds, only
their start: their CPU shows in the `server` column of the steps that ran meanwhile), and the
run's wait for the background builds (`join`). CPU is sampled from /proc every 50 ms (threads of
this process, the backends connected to the scratch database, the simulator); `w.pages` is the
writer's wait for pages from the fetch threads, `locks` the backends' time waiting for a lock.
Run it with PYTHONPATH set to the tree to measure (it then does not put its own tree first).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")


def _cpu(path: str) -> float:
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _renice(pid: int, value: int) -> None:
    with suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, value)


class Sampler:
    """Cumulative CPU seconds of the actors, read on demand (`snapshot`)."""

    def __init__(self, sim_pid: int, db_url: str, writer_tid: int) -> None:
        self.sim_pid, self.writer_tid = sim_pid, writer_tid
        self.backends: dict[int, float] = {}
        self.tasks: dict[int, float] = {}
        self.db_url = db_url
        self.stop = threading.Event()
        self.page_wait = 0.0
        self.lock_samples = 0  # backends seen waiting for a lock, one per 50 ms sample
        self.nice: int | None = None  # --nice: the backends get this process's priority
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import psycopg

        url = self.db_url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(url, autocommit=True) as conn:
            own = conn.info.backend_pid
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT pid, wait_event_type = 'Lock' FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> %s",
                    (own,),
                ).fetchall()
                self.lock_samples += sum(1 for _, locked in rows if locked)
                for pid, _ in rows:
                    if self.nice is not None and pid not in self.backends:
                        _renice(pid, self.nice)
                    self.backends[pid] = max(self.backends.get(pid, 0.0), _cpu(f"/proc/{pid}/stat"))
                self._threads()
                time.sleep(0.05)

    def _threads(self) -> None:
        """Threads that ended keep their last reading (the fetch pool's die after each step)."""
        for task in Path("/proc/self/task").iterdir():
            tid = int(task.name)
            self.tasks[tid] = max(self.tasks.get(tid, 0.0), _cpu(f"{task}/stat"))

    def snapshot(self) -> dict[str, float]:
        self._threads()
        writer = self.tasks.get(self.writer_tid, 0.0)
        fetch = sum(self.tasks.values()) - writer - self.tasks.get(self.thread.native_id, 0.0)
        for pid in list(self.backends):
            self.backends[pid] = max(self.backends[pid], _cpu(f"/proc/{pid}/stat"))
        return {
            "t": time.perf_counter(),
            "writer": writer,
            "fetch": fetch,
            "server": sum(self.backends.values()),
            "sim": _cpu(f"/proc/{self.sim_pid}/stat"),
            "page_wait": self.page_wait,
            "lock_wait": self.lock_samples * 0.05,
        }


def timed(
    events: list[tuple[str, dict[str, float], dict[str, float]]],
    sampler: Sampler,
    name: str,
    fn: Callable[..., Any],
) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        label = name(args) if callable(name) else name
        before = sampler.snapshot()
        try:
            return fn(*args, **kwargs)
        finally:
            events.append((label, before, sampler.snapshot()))

    return wrapper


@contextmanager
def patched(sampler: Sampler, events: list) -> Iterator[None]:
    import etl.fulltext.bulk as bulk
    import etl.load.history_pending as pending
    import etl.load.indexes as indexes
    import etl.sync.engine as engine
    import etl.sync.messages as messages
    import etl.sync.pool as pool

    saved = [
        (engine, "_run_step"),
        (messages, "run_walks"),
        (pending, "finish_pending"),
        (indexes, "_finish"),
        (bulk, "_finish"),
        (pool, "_take"),
    ]
    try:
        import etl.load.background as background
    except ImportError:  # a tree without background builds
        background = None
    else:
        saved.append((background.Builds, "join"))
    originals = [(mod, attr, getattr(mod, attr)) for mod, attr in saved]
    engine._run_step = timed(events, sampler, lambda a: f"step {a[1]}", engine._run_step)
    messages.run_walks = timed(events, sampler, "  messages: walk", messages.run_walks)
    pending.finish_pending = timed(
        events, sampler, "  messages: versions pass", pending.finish_pending
    )
    indexes._finish = timed(events, sampler, "  messages: secondary indexes", indexes._finish)
    bulk._finish = timed(events, sampler, "  messages: full-text (GIN) index", bulk._finish)
    if background is not None:
        background.Builds.join = timed(
            events, sampler, "join of background builds", background.Builds.join
        )
    take = pool._take

    def counted_take(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return take(*args)
        finally:
            sampler.page_wait += time.perf_counter() - start

    pool._take = counted_take
    try:
        yield
    finally:
        for mod, attr, original in originals:
            setattr(mod, attr, original)


def run(info: dict[str, Any], sim_pid: int, db_url: str, concurrency: int) -> None:
    from etl.client import Credentials, RocketChatClient
    from etl.config import load_settings
    from etl.db import open_database
    from etl.sync import run_sync

    overrides = {"server.url": info["url"], "database.url": db_url, "sync.concurrency": concurrency}
    settings = load_settings(None, overrides, environ={})
    engine = open_database(db_url)
    sampler = Sampler(sim_pid, db_url, threading.get_native_id())
    if os.environ.get("RCETL_TIMELINE_NICE"):  # see --nice
        sampler.nice = os.getpriority(os.PRIO_PROCESS, 0)
    sampler.thread.start()
    events: list = []
    creds = Credentials(user_id=info["creds"]["user_id"], token=info["creds"]["token"])
    with RocketChatClient(info["url"], creds) as client, patched(sampler, events):
        time.sleep(0.3)
        start = sampler.snapshot()
        summary = run_sync(settings, client, engine)
        end = sampler.snapshot()
    sampler.stop.set()
    engine.dispose()
    print(f"status {summary.status}, messages {summary.counts('messages').upserted}")
    header = f"{'phase':36} {'wall':>6} {'writer':>7} {'fetch':>6} {'server':>7} {'sim':>5} "
    print(header + f"{'w.pages':>8} {'sum cpu':>8} {'locks':>6}")
    rows = [*sorted(events, key=lambda e: e[1]["t"]), ("TOTAL", start, end)]
    for label, a, b in rows:
        d = {k: b[k] - a[k] for k in a}
        cpu = d["writer"] + d["fetch"] + d["server"] + d["sim"]
        if d["t"] < 0.05 and label != "TOTAL":
            continue
        print(
            f"{label:36} {d['t']:6.2f} {d['writer']:7.2f} {d['fetch']:6.2f} {d['server']:7.2f} "
            f"{d['sim']:5.2f} {d['page_wait']:8.2f} {cpu:8.2f} {d['lock_wait']:6.2f}"
        )
    walk = sum(b["t"] - a["t"] for label, a, b in events if label.endswith("messages: walk"))
    total = end["t"] - start["t"]
    print(f"wall: total {total:.2f}s = messages walk {walk:.2f}s + the rest {total - walk:.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="a PostgreSQL URL (a scratch database is made)")
    parser.add_argument("--size", default="medium")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="sync into --pg itself (empty), kept")
    args = parser.parse_args()
    from bench_sync import scratch_pg_database

    sim = subprocess.Popen(
        [sys.executable, str(HERE / "bench_sync.py"), "--serve", "--size", args.size],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(sim.stdout.readline())  # type: ignore[union-attr]
        if args.keep:
            run(info, sim.pid, args.pg, args.concurrency)
        else:
            with scratch_pg_database(args.pg, "t") as url:
                run(info, sim.pid, url, args.concurrency)
    finally:
        sim.stdin.close()  # type: ignore[union-attr]
        sim.wait(timeout=30)


if __name__ == "__main__":
    if "PYTHONPATH" not in os.environ:  # PYTHONPATH picks the tree to measure (A/B runs)
        sys.path.insert(0, str(HERE.parent))
    sys.path.insert(1, str(HERE))
    main()
