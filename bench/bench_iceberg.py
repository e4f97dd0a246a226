"""Iceberg runs against the plain Parquet archive of the same rows, measured in the same run.

    .venv/bin/python bench/bench_iceberg.py [--size medium] [--changed 0.01] [--db sqlite:///x.db]

The database is built from the simulator's generator (bench_export.build_database: messages and
their child tables through normalise + save_records), unless `--db` names one that already holds
messages: then it is reused (a SQLite file is copied first and left untouched, so every run starts
from the same rows; another database is used in place, its bench namespace dropped from the
catalog first). Then, in this one process:
- archive: `export_archive` of every table (the plain Parquet export of the same rows);
- iceberg full: the first `export_iceberg` run (creates and fills every table);
- iceberg incremental: after `--changed` of the messages were edited (a fifth of them deleted
  instead, purge policy) in one write transaction, the next run (position-delete files for the
  changed keys' old rows, their new rows appended, one snapshot per table), with what its
  `messages` snapshot did (data files added/removed, delete files added: a fact, not a timing).
Printed: seconds (wall, and process CPU) and the ratios full/archive (goal <= 1.5) and
incremental/full (goal <= 0.05; in CPU too, which a loaded machine distorts less).
Only ratios between lines of one run mean anything: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from bench_export import build_database

from etl.db import open_database
from etl.export import export_archive
from etl.export.iceberg import export_iceberg
from etl.export.iceberg_catalog import IcebergOptions, open_catalog
from etl.load import mark_deleted, next_change_seq, save_records
from etl.normalise import normalise
from etl.schema import metadata
from etl.simulator import build_workspace


def change_messages(url: str, size: str, share: float) -> tuple[int, int]:
    """Edit `share` of the messages (a fifth of that share purged instead); returns counts."""
    docs = list(build_workspace(seed=1, size=size).ground_truth()["messages"].values())
    picked = random.Random(7).sample(docs, max(1, int(len(docs) * share)))
    cut = len(picked) // 5
    deleted, edited = picked[:cut], picked[cut:]
    records = [normalise("messages", {**d, "msg": f"{d.get('msg', '')} (edited)"}) for d in edited]
    engine = open_database(url)
    with engine.begin() as conn:
        seq = next_change_seq(conn)
        save_records(conn, "messages", records, seq)
        mark_deleted(conn, "messages", [(d["_id"], None) for d in deleted], "purge", seq)
    engine.dispose()
    return len(edited), len(deleted)


def _messages(url: str) -> int:
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(metadata.tables["messages"])
                ).scalar_one()
            )
    except sa.exc.SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


def prepare_database(given: str | None, size: str, tmp: str) -> tuple[str, str]:
    """The URL to run on and how it came about: the given database when it holds messages,
    else built (there, or in `tmp`); a given SQLite file is then copied into `tmp`, so the
    bench's changes never reach it and the next run starts from the same rows."""
    url = given or f"sqlite:///{tmp}/bench.db"
    how = f"reused {given}"
    if not (given and _messages(given)):
        start = time.perf_counter()
        build_database(url, size)
        how = f"built ({size}) in {time.perf_counter() - start:.1f} s"
    if given and sa.make_url(given).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp}/bench.db"
        source, copy = sqlite3.connect(str(sa.make_url(given).database)), sqlite3.connect(url[10:])
        source.backup(copy)
        source.close()
        copy.close()
    return url, f"{_messages(url)} messages, {how}"


def drop_namespace(opts: IcebergOptions) -> None:
    """Forget the Iceberg tables an earlier bench left in a reused database's catalog (their
    warehouse was a temporary folder): the full run must create them again."""
    catalog = open_catalog(opts)
    for ident in catalog.list_tables(opts.namespace):
        catalog.drop_table(ident)
    catalog.drop_namespace(opts.namespace)


def timed(label: str, fn: object, *args: object, **kwargs: object) -> tuple[float, float]:
    """Wall and process CPU seconds (all threads): CPU is steadier on a loaded machine."""
    start, cpu = time.perf_counter(), time.process_time()
    fn(*args, **kwargs)  # type: ignore[operator]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<24} {seconds:8.2f} s  ({cpu:.2f} s CPU)", flush=True)
    return seconds, cpu


def snapshot_facts(opts: IcebergOptions) -> str:
    messages = open_catalog(opts).load_table((opts.namespace, "messages"))
    summary = messages.current_snapshot().summary.additional_properties  # type: ignore[union-attr]
    keys = ("added-data-files", "deleted-data-files", "added-position-delete-files")
    return ", ".join(f"{k} {summary.get(k, 0)}" for k in keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument(
        "--db", help="database URL: reused when it holds messages (SQLite: a copy), else built"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-iceberg-") as tmp:
        url, how = prepare_database(args.db, args.size, tmp)
        print(f"database: {how}", flush=True)
        engine = open_database(url)
        opts = IcebergOptions(database_url=url, warehouse=f"{tmp}/warehouse")
        drop_namespace(opts)
        archive = timed("archive (Parquet)", export_archive, engine, f"{tmp}/archive")
        full = timed("iceberg full run", export_iceberg, engine, opts)
        edited, deleted = change_messages(url, args.size, args.changed)
        print(f"changed: {edited} edited, {deleted} purged ({args.changed:.1%} of messages)")
        incremental = timed("iceberg incremental", export_iceberg, engine, opts)
        print(f"messages snapshot:  {snapshot_facts(opts)}")
        engine.dispose()
    print(f"full / archive:       {full[0] / archive[0]:6.2f}x  (goal <= 1.5)")
    print(f"incremental / full:   {incremental[0] / full[0]:6.2%}  (goal <= 5%)")
    print(f"  the same in CPU:    {incremental[1] / full[1]:6.2%}")


if __name__ == "__main__":
    main()
