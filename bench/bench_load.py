"""Load rates of `etl.load.save_records` against baselines measured in the same run.

    .venv/bin/python bench/bench_load.py --rows 100000 [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Baselines (the same messages, the same schema, fresh database each time):
- sqlite3: the stdlib driver's `executemany` upsert of the parent rows, tuples built from the
  documents with the minimum of work (what performance-notes.md calls "raw sqlite3");
- SQLAlchemy Core `insert().on_conflict_do_update()` executemany of the normalised rows;
- psycopg: `executemany` upsert of the parent rows (with --pg).
Rates are rows per second of messages (children ride along where stated). Only ratios between
lines of one run mean anything: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import random
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

import etl.load.records
from etl.db import open_database
from etl.load import next_change_seq, save_records
from etl.normalise import Record, normalise
from etl.schema.synced import Message

WORDS = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
]
BATCH = 10_000


def make_messages(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """Rocket.Chat-like messages of 600-900 bytes: threads, reactions, mentions, attachments."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        ms = 1_700_000_000_000 + i * 1000
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".123Z"
        doc: dict[str, Any] = {
            "_id": f"msg{i:07d}{rng.randrange(10**9):09d}",
            "rid": f"room{rng.randrange(50):03d}",
            "msg": " ".join(rng.choices(WORDS, k=rng.randrange(20, 90))),
            "ts": iso,
            "u": {"_id": f"user{rng.randrange(300)}", "username": "someone", "name": "Some One"},
            "_updatedAt": iso,
            "md": [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": "x"}]}],
            "mentions": [],
            "channels": [],
        }
        if rng.random() < 0.3:
            doc["reactions"] = {":+1:": {"usernames": ["a", "b"]}, ":tada:": {"usernames": ["c"]}}
        if rng.random() < 0.2:
            doc["mentions"] = [{"_id": "u2", "username": "alice", "type": "user"}]
        if rng.random() < 0.1:
            doc["attachments"] = [{"title": "file.pdf", "type": "file", "title_link": "/f/x"}]
        if rng.random() < 0.1:
            doc["tmid"] = f"msg{max(0, i - 5):07d}"
        if rng.random() < 0.05:
            doc.update(tcount=3, tlm=iso, replies=["user1", "user2"])
        docs.append(doc)
    return docs


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


COLUMNS = [
    "id", "rid", "msg", "ts", "t", "u_id", "u_username", "u_name", "alias", "tmid", "tshow",
    "tcount", "tlm", "drid", "dcount", "dlm", "edited_at", "edited_by_id", "edited_by_username",
    "pinned", "pinned_at", "pinned_by_id", "pinned_by_username", "groupable", "emoji", "avatar",
    "updated_at", "deleted_at", "change_seq", "raw",
]  # fmt: skip


def _sql_date(value: str | None) -> str | None:
    return value[:10] + " " + value[11:23] + "000" if value else None


def _pg_date(value: str | None) -> str | None:
    return value  # PostgreSQL parses the ISO-8601 wire format itself


def raw_executemany(engine: Engine, docs: list[dict[str, Any]]) -> None:
    """A hand-written loader: the driver's executemany, every message column, from the docs."""
    sqlite = engine.dialect.name == "sqlite"
    date, mark = (_sql_date, "?") if sqlite else (_pg_date, "%s")
    updates = ", ".join(f'"{c}"=excluded."{c}"' for c in COLUMNS[1:])
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    sql = (
        f"INSERT INTO messages ({names}) VALUES ({', '.join([mark] * len(COLUMNS))}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )
    raw = engine.raw_connection()
    cur = raw.cursor()
    get = dict.get
    for start in range(0, len(docs), BATCH):
        rows = []
        for d in docs[start : start + BATCH]:
            u, e, p = d["u"], get(d, "editedBy") or {}, get(d, "pinnedBy") or {}
            rows.append((
                d["_id"], d["rid"], get(d, "msg"), date(get(d, "ts")), get(d, "t"),
                u.get("_id"), u.get("username"), u.get("name"), get(d, "alias"), get(d, "tmid"),
                get(d, "tshow"), get(d, "tcount"), date(get(d, "tlm")), get(d, "drid"),
                get(d, "dcount"), date(get(d, "dlm")), date(get(d, "editedAt")),
                e.get("_id"), e.get("username"), get(d, "pinned"), date(get(d, "pinnedAt")),
                p.get("_id"), p.get("username"), get(d, "groupable"), get(d, "emoji"),
                get(d, "avatar"), date(get(d, "_updatedAt")), None, 1,
                orjson.dumps(d).decode(),
            ))  # fmt: skip
        cur.executemany(sql, rows)
        raw.commit()
    raw.close()


def core_upsert(engine: Engine, records: list[Record]) -> None:
    for start in range(0, len(records), BATCH):
        rows = [{**r.row, "change_seq": 1} for r in records[start : start + BATCH]]
        stmt = sqlite_insert(Message.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"], set_={c: stmt.excluded[c] for c in rows[0] if c != "id"}
        )
        with engine.begin() as conn:
            conn.execute(stmt, rows)


def load(engine: Engine, records: list[Record], children: bool = True) -> None:
    if not children:
        records = [Record(r.table, r.row, {}) for r in records]
    for start in range(0, len(records), BATCH):
        with engine.begin() as conn:
            save_records(conn, "messages", records[start : start + BATCH], next_change_seq(conn))


def normalise_and_load(engine: Engine, docs: list[dict[str, Any]]) -> None:
    for start in range(0, len(docs), BATCH):
        records = [normalise("messages", d) for d in docs[start : start + BATCH]]
        with engine.begin() as conn:
            save_records(conn, "messages", records, next_change_seq(conn))


def fresh_pg(admin_url: str) -> tuple[str, Callable[[], None]]:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"rcetl_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin.url.set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


# A case prepares a fresh engine (untimed) and returns the action to time.
Case = tuple[str, Callable[[Engine], Callable[[], None]]]


def second_pass(engine: Engine, records: list[Record]) -> Callable[[], None]:
    load(engine, records)  # untimed first pass, so the timed one updates every row
    return lambda: load(engine, records)


def round_robin(cases: list[Case], repeat: int, fresh: Callable[[], tuple[Engine, Any]]) -> dict:
    """Best time per case, running every case once per round, so load spikes on the shared
    machine hit all cases alike instead of one."""
    best = {label: float("inf") for label, _fn in cases}
    for _ in range(repeat):
        for label, fn in cases:
            engine, cleanup = fresh()
            try:
                best[label] = min(best[label], timed(fn(engine)))
            finally:
                engine.dispose()
                cleanup()
    return best


def report(prefix: str, rows: int, best: dict) -> None:
    baseline = rows / next(iter(best.values()))
    for label, spent in best.items():
        rate = rows / spent
        print(f"  {prefix:<6} {label:<46} {rate:>10,.0f} rows/s  {rate / baseline:5.2f}x baseline")


def run(rows: int, pg_url: str | None, repeat: int) -> None:
    docs = make_messages(rows)
    records = [normalise("messages", d) for d in docs]
    size = sum(len(orjson.dumps(d)) for d in docs) / len(docs)
    print(f"{rows:,} messages, {size:.0f} bytes each on average; best of {repeat}, round robin")
    spent = min(timed(lambda: [normalise("messages", d) for d in docs]) for _ in range(repeat))
    print(f"  {'normalise only (no database)':<53} {rows / spent:>10,.0f} rows/s")
    cases: list[Case] = [
        ("baseline: raw sqlite3 executemany (parents)", lambda e: lambda: raw_executemany(e, docs)),
        (
            "SQLAlchemy Core on_conflict_do_update (parents)",
            lambda e: lambda: core_upsert(e, records),
        ),
        ("save_records (parents only)", lambda e: lambda: load(e, records, children=False)),
        ("save_records (parents + children)", lambda e: lambda: load(e, records)),
        ("save_records, second pass (all updates)", lambda e: second_pass(e, records)),
        (
            "normalise + save_records (parents + children)",
            lambda e: lambda: normalise_and_load(e, docs),
        ),
    ]

    def fresh_sqlite() -> tuple[Engine, Any]:
        tmp = tempfile.TemporaryDirectory()
        return open_database(f"sqlite:///{Path(tmp.name) / 'bench.db'}"), tmp.cleanup

    report("sqlite", rows, round_robin(cases, repeat, fresh_sqlite))
    if pg_url:
        run_pg(pg_url, docs, records, repeat)


def run_pg(admin_url: str, docs: list[dict[str, Any]], records: list[Record], repeat: int) -> None:
    cases: list[Case] = [
        ("baseline: psycopg executemany (parents)", lambda e: lambda: raw_executemany(e, docs)),
        (
            "save_records, executemany (parents only)",
            lambda e: lambda: load_without_copy(e, records),
        ),
        ("save_records, COPY (parents only)", lambda e: lambda: load(e, records, children=False)),
        ("save_records, COPY (parents + children)", lambda e: lambda: load(e, records)),
    ]

    def fresh() -> tuple[Engine, Any]:
        url, drop = fresh_pg(admin_url)
        return open_database(url), drop

    report("pg", len(records), round_robin(cases, repeat, fresh))


def load_without_copy(engine: Engine, records: list[Record]) -> None:
    saved = etl.load.records.COPY_MIN_ROWS
    etl.load.records.COPY_MIN_ROWS = 10**12
    try:
        load(engine, records, children=False)
    finally:
        etl.load.records.COPY_MIN_ROWS = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (a scratch database is made)")
    args = parser.parse_args()
    run(args.rows, args.pg, args.repeat)


if __name__ == "__main__":
    main()
