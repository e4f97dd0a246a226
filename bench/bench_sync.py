"""Full-sync throughput against the raw fetch-and-decode rate of the same pages, the cost of a
no-change incremental sync, and peak memory.

    .venv/bin/python bench/bench_sync.py [--size medium] [--db sqlite:///path.db] [--concurrency 4]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

The simulator runs in its own subprocess (its memory is not the sync's). Each measured variant
runs in a fresh subprocess, so its peak RSS (ru_maxrss) is its own:
- floor: imports + open the database only;
- raw: the same chat.syncMessages cursor pages the sync reads (same page size, every readable
  room), fetched with httpx and decoded with orjson, nothing else: the ceiling for the sync;
- sync: `etl.sync.run_sync` of every resource into an empty database, then a second run with no
  change on the server (its requests and seconds); with --pg, the same again into a temporary
  database created on that PostgreSQL server (and dropped afterwards).
Only ratios between lines of one run mean anything: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def serve(size: str) -> None:
    """Subprocess: build the workspace, serve it, print where, stay up until stdin closes."""
    from etl.simulator import SimOptions, SimServer, build_workspace

    ws = build_workspace(seed=1, size=size)
    server = SimServer(ws, SimOptions()).start()
    admin = ws.credentials["admin"]
    readable = sorted(ws.readable_room_ids(admin["user_id"]))
    print(json.dumps({"url": server.url, "creds": admin, "rooms": readable}), flush=True)
    sys.stdin.read()
    server.stop()


def raw_walk(info: dict[str, Any], page_size: int) -> dict[str, Any]:
    import httpx
    import orjson

    headers = {"X-User-Id": info["creds"]["user_id"], "X-Auth-Token": info["creds"]["token"]}
    messages = requests = 0
    start = time.perf_counter()
    with httpx.Client(base_url=info["url"], headers=headers) as client:
        for room in info["rooms"]:
            cursor = "0"
            while True:
                params = {"roomId": room, "type": "UPDATED", "next": cursor, "count": page_size}
                body = orjson.loads(client.get("/api/v1/chat.syncMessages", params=params).content)
                requests += 1
                result = body["result"]
                messages += len(result["updated"])
                cursor = (result.get("cursor") or {}).get("next")
                if not cursor or len(result["updated"]) < page_size:
                    break
    seconds = time.perf_counter() - start
    return {"messages": messages, "requests": requests, "seconds": seconds}


def sync_runs(info: dict[str, Any], db_url: str, concurrency: int) -> dict[str, Any]:
    from etl.client import Credentials, RocketChatClient
    from etl.config import load_settings
    from etl.db import open_database
    from etl.sync import run_sync

    overrides = {"server.url": info["url"], "database.url": db_url}
    settings = load_settings(None, {**overrides, "sync.concurrency": concurrency}, environ={})
    engine = open_database(db_url)
    creds = Credentials(user_id=info["creds"]["user_id"], token=info["creds"]["token"])
    with RocketChatClient(info["url"], creds) as client:
        start = time.perf_counter()
        full = run_sync(settings, client, engine)
        full_seconds = time.perf_counter() - start
        start = time.perf_counter()
        again = run_sync(settings, client, engine)
        again_seconds = time.perf_counter() - start
    engine.dispose()
    return {
        "messages": full.counts("messages").upserted,
        "rows": full.total("upserted"),
        "requests": full.requests,
        "seconds": full_seconds,
        "status": full.status,
        "errors": full.errors[:3],
        "no_change_requests": again.requests,
        "no_change_seconds": again_seconds,
        "no_change_writes": again.total("upserted") + again.total("deleted"),
    }


def variant(name: str, info: dict[str, Any], db_url: str, concurrency: int, page: int) -> None:
    """Subprocess entry: run one variant, print its figures and its own peak RSS."""
    if name == "floor":
        from etl.db import open_database
        from etl.sync import run_sync  # noqa: F401  (the imports every variant pays)

        open_database(db_url).dispose()
        result: dict[str, Any] = {}
    elif name == "raw":
        result = raw_walk(info, page)
    else:
        result = sync_runs(info, db_url, concurrency)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


def run_variant(name: str, info: dict[str, Any], db_url: str, args: argparse.Namespace) -> Any:
    command = [sys.executable, __file__, "--variant", name, "--info", json.dumps(info)]
    command += ["--db", db_url, "--concurrency", str(args.concurrency)]
    command += ["--page-size", str(args.page_size)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"variant {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite)")
    parser.add_argument("--pg", default=None, help="also sync into a scratch database there")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=1000, help="sync.message_page_size")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--info", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size)
        return
    if args.variant:
        variant(args.variant, json.loads(args.info), args.db, args.concurrency, args.page_size)
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db or f"sqlite:///{tmp}/bench.db"
        print(f"building and serving the {args.size} workspace ...", file=sys.stderr)
        sim = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--size", args.size],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            info = json.loads(sim.stdout.readline())  # type: ignore[union-attr]
            floor = run_variant("floor", info, f"sqlite:///{tmp}/floor.db", args)
            raw = run_variant("raw", info, db_url, args)
            synced = run_variant("sync", info, db_url, args)
            on_pg = None
            if args.pg:
                with scratch_pg_database(args.pg) as pg_url:
                    on_pg = run_variant("sync", info, pg_url, args)
        finally:
            sim.stdin.close()  # type: ignore[union-attr]
            sim.wait(timeout=30)
    report(args, raw, synced, floor, on_pg)


@contextmanager
def scratch_pg_database(url: str) -> Iterator[str]:
    """An empty database on the server of `url`, dropped afterwards: a full sync needs one."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"rcetl_bench_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def report(
    args: argparse.Namespace, raw: dict, synced: dict, floor: dict, on_pg: dict | None
) -> None:
    raw_rate = raw["messages"] / raw["seconds"]
    print(f"workspace {args.size}, message page {args.page_size}, concurrency {args.concurrency}")
    print(
        f"raw fetch+decode : {raw['messages']:>8} msgs {raw['requests']:>6} req "
        f"{raw['seconds']:7.2f}s {raw_rate:>9,.0f} msgs/s  peak {raw['peak_rss_mb']:.0f} MB"
    )
    runs = [("SQLite" if not args.db else "--db", synced)]
    if on_pg is not None:
        runs.append(("PostgreSQL", on_pg))
    for name, run in runs:
        rate = run["messages"] / run["seconds"]
        print(
            f"full sync {name:<10}: {run['messages']:>8} msgs {run['requests']:>6} req "
            f"{run['seconds']:7.2f}s {rate:>9,.0f} msgs/s  peak {run['peak_rss_mb']:.0f} MB"
            f"  ({run['rows']} rows in all, status {run['status']})"
        )
        print(f"  ratio sync / raw       : {rate / raw_rate:.2f}")
        print(
            f"  no-change sync         : {run['no_change_requests']} requests, "
            f"{run['no_change_seconds']:.2f}s, {run['no_change_writes']} rows written"
        )
        if run["errors"]:
            print("  errors:", run["errors"])
    print(f"floor (imports + open database): peak {floor['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
