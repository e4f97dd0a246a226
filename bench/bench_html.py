"""HTML site export against the Parquet archive of the same data, in one run; the incremental
re-export after 1% of the messages changed; `rcetl search` latency on a large database.

    .venv/bin/python bench/bench_html.py [--size medium] [--search-rows 1000000] [--keep DIR]
        [--database DIR/bench.db]

The database is built once from the simulator's generator (rooms, users, messages through
normalise + save_records, no HTTP). Then, in this process and in this order:
- archive: `export_archive` of every table the site shows (rooms, users, messages and their
  children), the Parquet baseline;
- html full: `export_html` into an empty folder (pages + search index), as a ratio to the archive;
- html again: a second run with nothing changed;
- html 1%: 1% of the messages edited at random (one write transaction), then `export_html` again,
  as a ratio to the full run;
- search: `search_messages` over a database of --search-rows synthetic messages (SQLite), the
  median of a few queries (a rare word, a common word, two words, a prefix).
Only ratios between lines of one run mean anything: the machine is shared and noisy. Each line
gives wall time and CPU time (this process plus its finished children): on a machine whose
other jobs take most of the cores, the CPU ratios are the steadier ones.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

BATCH = 10_000


def build_database(url: str, size: str) -> list[dict[str, Any]]:
    from etl.db import open_database
    from etl.load import next_change_seq, save_records
    from etl.normalise import normalise
    from etl.simulator import build_workspace

    truth = build_workspace(seed=1, size=size).ground_truth()
    engine = open_database(url)
    for kind in ("rooms", "users", "messages"):
        docs = list(truth[kind].values())
        for start in range(0, len(docs), BATCH):
            records = []
            for doc in docs[start : start + BATCH]:
                try:
                    records.append(normalise(kind, doc))
                except Exception:  # quarantined by a real sync; not part of this measurement
                    continue
            with engine.begin() as conn:
                save_records(conn, records[0].table, records, next_change_seq(conn))
    engine.dispose()
    return list(truth["messages"].values())


def stored_docs(url: str) -> list[dict[str, Any]]:
    """The messages' documents as the database stores them (`raw`), in id order."""
    import orjson

    from etl.db import open_database

    engine = open_database(url)
    with engine.connect() as conn:
        raws = conn.exec_driver_sql("SELECT raw FROM messages ORDER BY id").scalars().all()
    engine.dispose()
    return [orjson.loads(r) if isinstance(r, str | bytes) else r for r in raws]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


CPU: dict[str, float] = {}


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start, cpu = time.perf_counter(), cpu_seconds()
    result = fn(*args, **kwargs)
    CPU[getattr(fn, "__name__", "")] = cpu_seconds() - cpu
    return time.perf_counter() - start, result


def timed_cpu(fn: Any, *args: Any) -> tuple[float, float, Any]:
    took, result = timed(fn, *args)
    return took, CPU[getattr(fn, "__name__", "")], result


def edit_one_percent(url: str, docs: list[dict[str, Any]]) -> int:
    from etl.db import open_database
    from etl.load import next_change_seq, save_records
    from etl.normalise import normalise

    chosen = random.Random(7).sample(docs, max(1, len(docs) // 100))
    engine = open_database(url)
    records = []
    for doc in chosen:
        changed = {**doc, "msg": (doc.get("msg") or "") + " (edited for the bench)"}
        changed.pop("md", None)
        try:
            records.append(normalise("messages", changed))
        except Exception:
            continue
    with engine.begin() as conn:
        save_records(conn, "messages", records, next_change_seq(conn))
    engine.dispose()
    return len(records)


def build_search_database(url: str, rows: int) -> None:
    from etl.db import open_database
    from etl.simulator.content import WORDS

    engine = open_database(url)
    rng = random.Random(3)
    rare = ["quixotic", "zanzibar", "kilimanjaro"]
    with engine.begin() as conn:
        for start in range(0, rows, 50_000):
            batch = []
            for i in range(start, min(rows, start + 50_000)):
                words = rng.choices(WORDS, k=rng.randint(3, 16))
                if i % 10_000 == 0:
                    words.append(rng.choice(rare))
                ts = f"2024-01-01 00:00:{i % 60:02d}.{i % 1000:03d}000"
                batch.append((f"s{i:08d}", f"r{i % 200}", " ".join(words), ts, f"user{i % 500}", i))
            conn.exec_driver_sql(
                "INSERT INTO messages (id, rid, msg, ts, u_username, change_seq, raw) "
                "VALUES (?, ?, ?, ?, ?, ?, '{}')",
                batch,
            )
    engine.dispose()


def search_latency(url: str) -> dict[str, float]:
    from etl.db import open_database
    from etl.fulltext import SearchQuery, search_messages

    engine = open_database(url)
    results = {}
    with engine.connect() as conn:
        for text in ("zanzibar", "deploy", "deploy staging", "hotf*"):
            times = []
            for _ in range(5):
                took, _hits = timed(search_messages, conn, SearchQuery(text, limit=20))
                times.append(took)
            results[text] = statistics.median(times)
    engine.dispose()
    return results


def line(name: str, step: Any, base: Any, unit: str) -> None:
    if base is None:
        print(f"{name:22} {step[0]:8.2f}s  {unit:17} {step[1]:8.2f}s  {unit}")
        return
    ratios = [step[i] / base[i] for i in (0, 1)]
    text = [f"{r:5.2f}x" if unit == "the archive" else f"{r:6.1%}" for r in ratios]
    print(f"{name:22} {step[0]:8.2f}s  {text[0]:>7}          {step[1]:8.2f}s  {text[1]:>7} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--search-rows", type=int, default=1_000_000)
    parser.add_argument("--keep", help="work in this folder and keep it")
    parser.add_argument("--database", help="start from a copy of this bench.db (from --keep)")
    args = parser.parse_args()
    from etl.db import open_database
    from etl.export import ExportFilters, export_archive
    from etl.export.html import export_html

    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-html-"))
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'bench.db'}"
    if args.database:  # a copy of one built before: the same data, without building it again
        shutil.copyfile(args.database, work / "bench.db")
        took, docs = timed(stored_docs, url)
    else:
        took, docs = timed(build_database, url, args.size)
    print(f"database: {len(docs)} messages ({args.size}) built in {took:.1f}s")
    engine = open_database(url)
    tables = ("rooms", "users", "messages", "message_reactions", "message_files", "message_urls",
              "message_attachments")  # fmt: skip
    archive = timed_cpu(export_archive, engine, str(work / "archive"), ExportFilters(tables))
    full = timed_cpu(export_html, engine, str(work / "site"))
    again = timed_cpu(export_html, engine, str(work / "site"))
    engine.dispose()
    edited = edit_one_percent(url, docs)
    engine = open_database(url)
    inc = timed_cpu(export_html, engine, str(work / "site"))
    engine.dispose()
    print("step                    wall        ratio              cpu        ratio")
    line("parquet archive", archive, None, "baseline")
    line("html full", full, archive, "the archive")
    print(f"    ({full[2].pages_written} pages, {full[2].rooms} rooms)")
    line("html, nothing changed", again, full, "of the full export")
    line("html after 1% edited", inc, full, "of the full export")
    done = inc[2]
    print(f"    ({edited} messages edited, {done.months_rewritten} room-months rewritten, "
          f"{done.pages_written} pages, {done.rooms_placed_from_sidecar} rooms placed from the "
          f"sidecar, {getattr(done, 'rooms_spliced', '-')} patched in place; "
          f"{getattr(done, 'search_shards_written', '-')} search shards)")  # fmt: skip
    if args.search_rows:
        search_url = f"sqlite:///{work / 'search.db'}"
        took, _ = timed(build_search_database, search_url, args.search_rows)
        print(f"search database: {args.search_rows} messages in {took:.1f}s")
        for text, seconds in search_latency(search_url).items():
            print(f"rcetl search {text!r:18} {seconds * 1000:8.1f} ms (median of 5, limit 20)")


if __name__ == "__main__":
    main()
