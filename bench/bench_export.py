"""Export throughput and peak memory for the medium workspace's messages, against a plain pyarrow
write of the same rows measured in the same run.

    .venv/bin/python bench/bench_export.py [--size medium] [--db sqlite:///path.db] [--keep]

The database is built once from the simulator's generator (normalise + save_records, no HTTP).
Each variant then runs in a fresh subprocess, so its peak RSS (ru_maxrss) is its own:
- baseline: import + open the database only (the floor every variant pays);
- pyarrow: `SELECT` every row at once, one `pa.Table` with the same explicit schema,
  `pq.write_table` (zstd), one file: the plain write, whole table in memory;
- archive: `etl.export.export_archive` of `messages` (streamed in 64k-row batches, partitioned by
  room and month, SHA-256 while writing, manifest);
- feed: `etl.export.export_feed` first run of `messages` (streamed, one file per run).
Only ratios between lines of one run mean anything: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from etl.export.options import BATCH_ROWS

BATCH = 10_000


def build_database(url: str, size: str) -> int:
    from etl.db import open_database
    from etl.load import next_change_seq, save_records
    from etl.normalise import normalise
    from etl.simulator import build_workspace

    docs = list(build_workspace(seed=1, size=size).ground_truth()["messages"].values())
    engine = open_database(url)
    for start in range(0, len(docs), BATCH):
        records = [normalise("messages", d) for d in docs[start : start + BATCH]]
        with engine.begin() as conn:
            save_records(conn, "messages", records, next_change_seq(conn))
    engine.dispose()
    return len(docs)


def run_variant(variant: str, url: str, out: str, batch_rows: int) -> dict[str, Any]:
    from etl.db import open_database
    from etl.export import ExportFilters, ExportOptions, export_archive, export_feed

    engine = open_database(url)
    only_messages = ExportFilters(tables=("messages",))
    start = time.perf_counter()
    if variant == "baseline":
        rows = 0
    elif variant == "pyarrow":
        rows = _plain_pyarrow_write(engine, out)
    elif variant == "archive":
        manifest = export_archive(engine, out, only_messages, options=ExportOptions(batch_rows))
        rows = manifest["tables"]["messages"]["rows"]
    elif variant == "feed":
        rows = export_feed(engine, out, only_messages, options=ExportOptions(batch_rows)).changes[
            "messages"
        ]
    else:
        raise SystemExit(f"unknown variant {variant}")
    seconds = time.perf_counter() - start
    size = (
        sum(p.stat().st_size for p in Path(out).rglob("*.parquet")) if variant != "baseline" else 0
    )
    engine.dispose()
    return {"rows": rows, "seconds": seconds, "peak_mb": _peak_rss_mb(), "bytes": size}


def _peak_rss_mb() -> float:
    """This process's peak RSS. Not ru_maxrss: Linux carries that over from the parent across
    fork+exec, so a child of the (large) builder process would report the builder's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plain_pyarrow_write(engine: Any, out: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq
    import sqlalchemy as sa

    from etl.export.arrow_schema import arrow_schema, is_json
    from etl.schema import metadata

    table = metadata.tables["messages"]
    schema = arrow_schema(table)
    # The obvious way: typed SQLAlchemy columns (JSON read as text), every row at once.
    columns = [sa.cast(c, sa.Text).label(c.name) if is_json(c) else c for c in table.columns]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*columns)).all()
    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)]
    Path(out).mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), f"{out}/messages.parquet",
                   compression="zstd", row_group_size=128 * 1024)  # fmt: skip
    return len(rows)


def _child(variant: str, url: str, out: str, batch_rows: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--variant", variant, "--db", url, "--out", out]
    cmd += ["--batch-rows", str(batch_rows)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--db", help="database URL to reuse (built when missing)")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (best is kept)")
    parser.add_argument(
        "--batch-rows",
        type=int,
        nargs="+",
        default=[BATCH_ROWS, 64 * 1024],
        help="fetch sizes to measure archive and feed with",
    )
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.db, args.out, args.batch_rows[0])))
        return
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        if not args.db or not Path(url.removeprefix("sqlite:///")).exists():
            start = time.perf_counter()
            count = build_database(url, args.size)
            print(f"built {url}: {count} messages in {time.perf_counter() - start:.1f}s")
        plan = [("baseline", 0), ("pyarrow", 0)]
        plan += [(v, b) for b in args.batch_rows for v in ("archive", "feed")]
        # Round robin, best of `repeat` per variant: load from other processes hits all alike.
        results: dict[str, dict[str, Any]] = {}
        for i in range(args.repeat):
            for variant, batch in plan:
                name = f"{variant} {batch // 1024}k" if batch else variant
                run = _child(variant, url, f"{tmp}/{variant}-{batch}-{i}", batch or 1)
                if name not in results or run["seconds"] < results[name]["seconds"]:
                    results[name] = run
        _report(results)


def _report(results: dict[str, dict[str, Any]]) -> None:
    floor = results["baseline"]["peak_mb"]
    plain = results["pyarrow"]
    plain_rate = plain["rows"] / plain["seconds"]
    print(f"\nprocess floor (imports + engine): {floor:.0f} MB peak RSS")
    print(f"{'variant':<14}{'rows':>9}{'s':>8}{'rows/s':>10}{'x pyarrow':>11}"
          f"{'peak MB':>9}{'above floor':>13}{'x pyarrow':>11}{'MB on disk':>12}")  # fmt: skip
    for name in [n for n in results if n != "baseline"]:
        r = results[name]
        rate = r["rows"] / r["seconds"]
        above = r["peak_mb"] - floor
        print(
            f"{name:<14}{r['rows']:>9}{r['seconds']:>8.2f}{rate:>10.0f}{rate / plain_rate:>11.2f}"
            f"{r['peak_mb']:>9.0f}{above:>13.0f}{above / max(plain['peak_mb'] - floor, 1):>11.2f}"
            f"{r['bytes'] / 2**20:>12.1f}"
        )


if __name__ == "__main__":
    main()
