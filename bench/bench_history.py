"""The cost of version tracking (`message_versions`): a full sync of a workspace and an
incremental sync after N edits, with `sync.track_history` on, as ratios to the same runs with it
off, measured in one process run, alternating on/off.

    .venv/bin/python bench/bench_history.py [--size medium] [--edits 10000] [--rounds 2]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

The simulator runs in its own subprocess and makes the edits on request (random plain messages
of readable rooms, a new text each time). Every variant syncs into a fresh database (a temporary
SQLite file, or a scratch PostgreSQL database with --pg). Quiet rooms are rechecked after 1 s
(`sync.room_recheck_after`), so the incremental sync walks every room from its watermark and sees
every edit. Wall time and the sync process's CPU time (the simulator runs elsewhere) are both
reported; on a loaded machine the CPU ratio is the steadier one. Only ratios between lines of one
run mean anything: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import scratch_pg_database


def serve(size: str) -> None:
    """Subprocess: serve the workspace; each stdin line `N SEED` edits N messages."""
    from etl.simulator import SimOptions, SimServer, build_workspace

    ws = build_workspace(seed=1, size=size)
    server = SimServer(ws, SimOptions()).start()
    admin = ws.credentials["admin"]
    readable = ws.readable_room_ids(admin["user_id"])
    plain = sorted(
        mid
        for mid, doc in ws.ground_truth()["messages"].items()
        if doc["rid"] in readable and not doc.get("t") and doc.get("msg")
    )
    print(json.dumps({"url": server.url, "creds": admin, "plain": len(plain)}), flush=True)
    for line in sys.stdin:
        count, seed = (int(x) for x in line.split())
        rng = random.Random(seed)
        for i, mid in enumerate(rng.sample(plain, count)):
            ws.mutate.edit_message(mid, admin["user_id"], f"edit {seed}-{i}")
        print("done", flush=True)
    server.stop()


def one_variant(info: dict[str, Any], db_url: str, history: bool, server: Any, seed: int) -> dict:
    from etl.client import Credentials, RocketChatClient
    from etl.config import load_settings
    from etl.db import open_database
    from etl.sync import run_sync

    overrides = {
        "server.url": info["url"],
        "database.url": db_url,
        "sync.track_history": history,
        "sync.room_recheck_after": 1,
    }
    settings = load_settings(None, overrides, environ={})
    engine = open_database(db_url)
    creds = Credentials(user_id=info["creds"]["user_id"], token=info["creds"]["token"])
    with RocketChatClient(info["url"], creds) as client:
        start, cpu = time.perf_counter(), time.process_time()
        full = run_sync(settings, client, engine)
        full_seconds, full_cpu = time.perf_counter() - start, time.process_time() - cpu
        server.stdin.write(f"{info['edits']} {seed}\n")
        server.stdin.flush()
        assert server.stdout.readline().strip() == "done"
        time.sleep(1.1)  # every room due for its recheck
        start, cpu = time.perf_counter(), time.process_time()
        again = run_sync(settings, client, engine)
        again_seconds, again_cpu = time.perf_counter() - start, time.process_time() - cpu
    with engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT count(*) FROM message_versions").scalar_one()
    engine.dispose()
    assert full.status == again.status == "ok", (full.errors, again.errors)
    return {
        "messages": full.counts("messages").upserted,
        "full_seconds": full_seconds,
        "full_cpu": full_cpu,
        "edits_seen": again.counts("messages").upserted,
        "incremental_seconds": again_seconds,
        "incremental_cpu": again_cpu,
        "versions": int(versions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pg", default=None, help="sync into scratch databases there instead")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size)
        return
    command = [sys.executable, __file__, "--serve", "--size", args.size]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        info = {**json.loads(server.stdout.readline()), "edits": args.edits}  # type: ignore[union-attr]
        results: dict[bool, list[dict]] = {True: [], False: []}
        seed = 0
        for _ in range(args.rounds):
            for history in (False, True):
                seed += 1
                with tempfile.TemporaryDirectory() as tmp:
                    if args.pg:
                        with scratch_pg_database(args.pg) as url:
                            result = one_variant(info, url, history, server, seed)
                    else:
                        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                        result = one_variant(info, url, history, server, seed)
                results[history].append(result)
                print(("on " if history else "off"), json.dumps(result), flush=True)
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait()
    report(args, results)


def report(args: argparse.Namespace, results: dict[bool, list[dict]]) -> None:
    def best(history: bool, key: str) -> float:
        return min(r[key] for r in results[history])

    db = "PostgreSQL" if args.pg else "SQLite"
    on, off = results[True][0], results[False][0]
    print(f"\n{args.size} workspace, {db}, {on['messages']} messages, best of {args.rounds}")
    lines = (
        ("full_seconds", "full sync, wall"),
        ("full_cpu", "full sync, CPU"),
        ("incremental_seconds", "incremental, wall"),
        ("incremental_cpu", "incremental, CPU"),
    )
    for key, label in lines:
        ratio = best(True, key) / best(False, key)
        print(
            f"{label:>18}: tracking off {best(False, key):6.2f} s, on {best(True, key):6.2f} s, "
            f"ratio {ratio:.2f}x"
        )
    print(f"edits seen by the incremental sync: {on['edits_seen']} (off: {off['edits_seen']})")
    print(f"message_versions rows after both syncs (tracking on): {on['versions']}")


if __name__ == "__main__":
    main()
