"""A full sync against its two limits, the cost of a no-change incremental sync, requests per
endpoint, and peak memory.

    .venv/bin/python bench/bench_sync.py [--size medium|large] [--concurrency 4] [--rounds 1]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--no-sqlite]

The simulator runs in its own subprocess (its memory is not the sync's). Each measured variant
runs in a fresh subprocess, so its peak RSS (ru_maxrss) is its own:
- floor: imports + open the database only;
- raw: the same chat.syncMessages cursor pages the sync reads (same page size, every readable
  room), fetched with httpx and decoded with orjson, nothing else: the ceiling for the sync;
- sync: `etl.sync.run_sync` of every resource into an empty database, then a second run with no
  change on the server (its requests and seconds, and the requests per endpoint of both);
- load: exactly the rows the sync wrote, loaded raw into an empty database of the same schema
  (`bench/raw_load.py`: sqlite3 `executemany`; on PostgreSQL `COPY`): the sync's other limit.
With --pg, sync and load run again in scratch databases created on that PostgreSQL server (and
dropped afterwards). The figure of merit is sync / max(raw, load) (issue 15's goal: <= 1.3).
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
    start, cpu = time.perf_counter(), time.process_time()
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
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return {
        "messages": messages,
        "requests": requests,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }


def sync_runs(info: dict[str, Any], db_url: str, concurrency: int) -> dict[str, Any]:
    from pg_cpu import database_backends_cpu

    from etl.client import Credentials, RocketChatClient
    from etl.config import load_settings
    from etl.db import open_database
    from etl.sync import run_sync

    overrides = {"server.url": info["url"], "database.url": db_url}
    settings = load_settings(None, {**overrides, "sync.concurrency": concurrency}, environ={})
    engine = open_database(db_url)
    creds = Credentials(user_id=info["creds"]["user_id"], token=info["creds"]["token"])
    with RocketChatClient(info["url"], creds) as client:
        start, cpu = time.perf_counter(), time.process_time()
        full = run_sync(settings, client, engine)
        full_seconds, full_cpu = time.perf_counter() - start, time.process_time() - cpu
        full_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        server_cpu = database_backends_cpu(db_url) if db_url.startswith("postgresql") else 0.0
        by_endpoint = dict(client.stats.by_endpoint)
        start = time.perf_counter()
        again = run_sync(settings, client, engine)
        again_seconds = time.perf_counter() - start
        again_by_endpoint = {
            k: v - by_endpoint.get(k, 0) for k, v in client.stats.by_endpoint.items()
        }
    engine.dispose()
    return {
        "cpu_seconds": full_cpu,
        "server_cpu_seconds": server_cpu,
        "full_peak_rss_mb": full_peak,
        "by_endpoint": by_endpoint,
        "no_change_by_endpoint": {k: v for k, v in again_by_endpoint.items() if v},
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
    elif name == "load":
        from raw_load import raw_load

        result = raw_load(info["source"], db_url, bulk_fts=info.get("bulk_fts", False))
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
    parser.add_argument("--pg", default=None, help="also sync into a scratch database there")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only (with --pg)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=1000, help="sync.message_page_size")
    parser.add_argument("--rounds", type=int, default=1, help="repeat raw/load/sync this often")
    parser.add_argument("--db", help=argparse.SUPPRESS)
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
            print_header(args, floor)
            for round_ in range(args.rounds):
                raw = run_variant("raw", info, "", args)
                print_raw(raw)
                if not args.no_sqlite:
                    sqlite_round(info, args, raw, f"{tmp}/r{round_}")
                if args.pg:
                    pg_round(info, args, raw)
        finally:
            sim.stdin.close()  # type: ignore[union-attr]
            sim.wait(timeout=30)


def sqlite_round(info: dict[str, Any], args: argparse.Namespace, raw: dict, prefix: str) -> None:
    synced = run_variant("sync", info, f"sqlite:///{prefix}-sync.db", args)
    source = {**info, "source": f"sqlite:///{prefix}-sync.db"}
    loaded = run_variant("load", source, f"sqlite:///{prefix}-load.db", args)
    bulk = {**source, "bulk_fts": True}
    loaded_bulk = run_variant("load", bulk, f"sqlite:///{prefix}-bulk.db", args)
    report("SQLite", raw, loaded, synced)
    print(
        f"SQLite: (b') raw load, full-text index built after: {loaded_bulk['seconds']:.2f}s "
        f"(cpu {loaded_bulk['cpu_seconds']:.2f}s); sync / max(a, b') = "
        f"{synced['seconds'] / max(raw['seconds'], loaded_bulk['seconds']):.2f}, in CPU "
        f"{_cpu_ratio(synced, raw, loaded_bulk)}"
    )
    for name in ("sync", "load", "bulk"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{prefix}-{name}.db{suffix}").unlink(missing_ok=True)


def pg_round(info: dict[str, Any], args: argparse.Namespace, raw: dict) -> None:
    with scratch_pg_database(args.pg) as sync_url, scratch_pg_database(args.pg, "l") as load_url:
        synced = run_variant("sync", info, sync_url, args)
        loaded = run_variant("load", {**info, "source": sync_url}, load_url, args)
    report("PostgreSQL", raw, loaded, synced)


@contextmanager
def scratch_pg_database(url: str, tag: str = "") -> Iterator[str]:
    """An empty database on the server of `url`, dropped afterwards: a full sync needs one."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"rcetl_bench_{os.getpid()}{tag}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def print_header(args: argparse.Namespace, floor: dict) -> None:
    print(f"workspace {args.size}, message page {args.page_size}, concurrency {args.concurrency}")
    print(f"floor (imports + open database): peak {floor['peak_rss_mb']:.0f} MB")


def print_raw(raw: dict) -> None:
    rate = raw["messages"] / raw["seconds"]
    print(
        f"(a) raw fetch+decode : {raw['messages']:>8} msgs {raw['requests']:>6} req "
        f"{raw['seconds']:7.2f}s (cpu {raw['cpu_seconds']:.2f}s) {rate:>9,.0f} msgs/s  "
        f"peak {raw['peak_rss_mb']:.0f} MB"
    )


def report(name: str, raw: dict, loaded: dict, run: dict) -> None:
    print(
        f"{name}: (b) raw load : {loaded['rows']:>8} rows {loaded['seconds']:7.2f}s "
        f"(cpu {loaded['cpu_seconds']:.2f}s) {loaded['rows'] / loaded['seconds']:>9,.0f} rows/s"
    )
    print(
        f"{name}: (c) full sync: {run['rows']:>8} upserts {run['seconds']:7.2f}s "
        f"(cpu {run['cpu_seconds']:.2f}s) {run['messages']} msgs "
        f"{run['messages'] / run['seconds']:,.0f} msgs/s  peak {run['full_peak_rss_mb']:.0f} MB"
        f"  status {run['status']}"
    )
    limit = max(raw["seconds"], loaded["seconds"])
    print(
        f"{name}:   sync / max(a, b) = {run['seconds']:.2f} / {limit:.2f} = "
        f"{run['seconds'] / limit:.2f}  (goal <= 1.3); in CPU seconds of this process "
        f"{_cpu_ratio(run, raw, loaded)}"
    )
    print(f"{name}:   requests {run['requests']}: {_endpoints(run['by_endpoint'])}")
    print(
        f"{name}:   no-change sync: {run['no_change_requests']} requests "
        f"({_endpoints(run['no_change_by_endpoint'])}), {run['no_change_seconds']:.2f}s, "
        f"{run['no_change_writes']} rows written"
    )
    if "server_cpu_seconds" in loaded:
        sync_total = run["cpu_seconds"] + run["server_cpu_seconds"]
        load_total = loaded["cpu_seconds"] + loaded["server_cpu_seconds"]
        print(
            f"{name}:   with the server's backends: sync {sync_total:.2f}s CPU "
            f"({run['server_cpu_seconds']:.2f}s server), raw load {load_total:.2f}s "
            f"({loaded['server_cpu_seconds']:.2f}s server): sync / max(a, b) = "
            f"{sync_total / max(raw['cpu_seconds'], load_total):.2f}"
        )
    if run["errors"]:
        print(f"{name}:   errors:", run["errors"])


def _cpu_ratio(run: dict, raw: dict, loaded: dict) -> str:
    """The steadier figure on a loaded machine (PostgreSQL's own work is not in it)."""
    limit = max(raw["cpu_seconds"], loaded["cpu_seconds"])
    return f"{run['cpu_seconds']:.2f} / {limit:.2f} = {run['cpu_seconds'] / limit:.2f}"


def _endpoints(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
