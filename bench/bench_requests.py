"""Requests per endpoint: a first sync, a no-op incremental sync, and incremental syncs after
changes in k rooms, counted by the simulator's own request log.

    .venv/bin/python bench/bench_requests.py [--size wide] [--k 1,10,100] [--db sqlite:///x.db]

The counts are deterministic (one workspace seed, one request log), unlike timings: what
tests/sync/test_requests.py asserts is the same as what this prints. `wide` has 1,000 rooms and
few messages, so the per-room costs show without a long first sync; `--size medium` is the
issue's 200-room workspace. "changes in k rooms" posts one message in each of k readable rooms
(channels and private groups, so their member lists are read again too).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.client import Credentials, RocketChatClient
from etl.config import load_settings
from etl.db import open_database
from etl.simulator import SimOptions, SimServer, build_workspace
from etl.sync import run_sync


def changed_rooms(ws: Any, k: int, offset: int) -> list[str]:
    """k readable channels and private groups, different ones for each k (offset)."""
    admin = ws.credentials["admin"]["user_id"]
    readable = sorted(r for r in ws.readable_room_ids(admin) if ws.rooms[r]["t"] in ("c", "p"))
    if offset + k > len(readable):
        raise SystemExit(f"the workspace has {len(readable)} readable rooms, fewer than needed")
    return readable[offset : offset + k]


def run_case(server: SimServer, settings: Any, engine: Any) -> tuple[Counter[str], float, Any]:
    creds = server.ws.credentials["admin"]
    server.request_log.clear()
    start = time.perf_counter()
    with RocketChatClient(
        server.url, Credentials(user_id=creds["user_id"], token=creds["token"])
    ) as client:
        summary = run_sync(settings, client, engine)
    seconds = time.perf_counter() - start
    if summary.status != "ok":
        raise SystemExit(f"sync {summary.status}: {summary.errors[:3]}")
    return Counter(route(e) for e in server.request_log.entries()), seconds, summary


def route(entry: Any) -> str:
    """The endpoint as its route: one line for `livechat/department/:_id`, not one per id."""
    return re.sub(r"^livechat/department/[^/]+", "livechat/department/:_id", entry.endpoint)


def measure(size: str, ks: list[int], db_url: str) -> dict[str, Counter[str]]:
    ws = build_workspace(seed=1, size=size)
    server = SimServer(ws, SimOptions()).start()
    engine = open_database(db_url)
    overrides = {"server.url": server.url, "database.url": db_url}
    settings = load_settings(None, overrides, environ={})
    cases: dict[str, Counter[str]] = {}
    try:
        label = f"first sync ({len(ws.rooms)} rooms)"
        cases[label], seconds, summary = run_case(server, settings, engine)
        print(f"{label}: {summary.total('upserted')} rows in {seconds:.1f} s", file=sys.stderr)
        cases["no-op incremental"], _, _ = run_case(server, settings, engine)
        offset = 0
        admin = ws.credentials["admin"]["user_id"]
        for k in ks:
            ws.clock.advance(5)
            for room_id in changed_rooms(ws, k, offset):
                ws.mutate.post_message(room_id, admin, f"a change in {k} room(s)")
            offset += k
            cases[f"changes in k={k}"], _, _ = run_case(server, settings, engine)
    finally:
        engine.dispose()
        server.stop()
    return cases


def report(cases: dict[str, Counter[str]]) -> None:
    endpoints = sorted({e for counts in cases.values() for e in counts})
    width = max(len(e) for e in [*endpoints, "endpoint"])
    heads = list(cases)
    print(f"| {'endpoint':<{width}} | " + " | ".join(heads) + " |")
    print(f"|{'-' * (width + 2)}|" + "|".join("-" * (len(h) + 2) for h in heads) + "|")
    for endpoint in [*endpoints, "total"]:
        cells = []
        for head in heads:
            counts = cases[head]
            n = sum(counts.values()) if endpoint == "total" else counts.get(endpoint, 0)
            cells.append(f"{n:>{len(head)}}")
        print(f"| {endpoint:<{width}} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="wide")
    parser.add_argument("--k", default="1,10,100", help="comma-separated numbers of rooms changed")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    args = parser.parse_args()
    ks = [int(k) for k in args.k.split(",") if k.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        report(measure(args.size, ks, args.db or f"sqlite:///{tmp}/bench.db"))


if __name__ == "__main__":
    main()
