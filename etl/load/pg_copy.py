"""PostgreSQL bulk paths: COPY straight into the table for rows that cannot conflict, else COPY into
a session-local staging table and one INSERT ... SELECT ... ON CONFLICT.

COPY is the fastest way into PostgreSQL, but it cannot resolve conflicts. Rows the caller knows to
be new (a first load: their ids are not stored, their children were just deleted) go straight in,
as a raw load would; the staging merge wrote every row twice and its INSERT ... SELECT was a
quarter of the writer's time (py-spy, bench/bench_sync.py --pg). The straight COPY runs under a
savepoint: should a row exist after all (another process wrote it since the caller looked), the
COPY is undone and the rows take the merge path, so a wrong guess costs time, never a row.

The straight COPY is binary (the column types read from the catalog): psycopg's C dumpers then
pack the values without formatting and escaping text, a third of the client's cost of a text
COPY of message rows. A value the binary dumper of its column refuses (a type the normaliser did
not expect) undoes the binary attempt and the rows go again as text, as they did before.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import psycopg
from psycopg.types.json import set_json_dumps
from sqlalchemy import Connection

from etl.load.plans import Plan

# Below this many rows the three extra statements cost more than COPY saves.
COPY_MIN_ROWS = 500
# A straight COPY costs a savepoint around one COPY: worth it from a few dozen rows.
DIRECT_MIN_ROWS = 50
# What a binary dumper raises for a value of a type it does not take.
_DUMP_ERRORS = (TypeError, ValueError, OverflowError, psycopg.DataError, psycopg.ProgrammingError)


def _cursor(conn: Connection) -> psycopg.Cursor[Any]:
    driver = conn.connection.driver_connection
    return driver.cursor()  # type: ignore[union-attr,no-any-return]


def copy_merge(conn: Connection, plan: Plan, params: list[tuple[Any, ...]]) -> None:
    """Write `params` (in `plan.columns` order) with COPY + INSERT ... SELECT ... ON CONFLICT."""
    target = plan.table.name
    stage = f"rcetl_stage_{target}"
    with _cursor(conn) as cur:
        # ON COMMIT DELETE ROWS keeps the table (and its plan cache) for the pooled connection.
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} "
            f"(LIKE {target} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {stage}")
        with cur.copy(f"COPY {stage} ({plan.quoted}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        cur.execute(f"{plan.head} SELECT {plan.quoted} FROM {stage} {plan.conflict}")


def copy_new(conn: Connection, plan: Plan, params: list[tuple[Any, ...]]) -> bool:
    """COPY `params` straight into the table; False (and nothing written) if a row conflicted.

    The caller passes rows it believes new, without duplicate keys among them."""
    types = column_types(conn, plan)
    with _cursor(conn) as cur:
        # JSON columns get text their converter serialised already: pass it on unchanged.
        set_json_dumps(_as_is, context=cur)
        cur.execute("SAVEPOINT rcetl_copy")
        try:
            try:
                _copy(cur, plan, params, types)
            except _DUMP_ERRORS:
                cur.execute("ROLLBACK TO SAVEPOINT rcetl_copy")
                _copy(cur, plan, params, None)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT rcetl_copy")
            cur.execute("RELEASE SAVEPOINT rcetl_copy")
            return False
        cur.execute("RELEASE SAVEPOINT rcetl_copy")
    return True


def _copy(
    cur: psycopg.Cursor[Any], plan: Plan, params: list[tuple[Any, ...]], types: list[int] | None
) -> None:
    """One COPY of `params`: binary with the column type oids `types`, else text."""
    binary = " (FORMAT BINARY)" if types is not None else ""
    with cur.copy(f"COPY {plan.table.name} ({plan.quoted}) FROM STDIN{binary}") as copy:
        if types is not None:
            copy.set_types(types)
        write_row = copy.write_row
        for row in params:
            write_row(row)


def _as_is(value: Any) -> Any:
    return value


def column_types(conn: Connection, plan: Plan) -> list[int]:
    """The type oids of `plan.columns`, read from the catalog once per connection and table."""
    key = ("rcetl.column_types", plan.table.name)
    found: dict[str, int] | None = conn.info.get(key)
    if found is None:
        rows = conn.exec_driver_sql(
            "SELECT attname, atttypid FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (plan.table.name,),
        )
        found = conn.info[key] = {name: int(oid) for name, oid in rows}
    return [found[column] for column in plan.columns]


def distinct_keys(plan: Plan, params: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The first row of each primary key, as ON CONFLICT DO NOTHING would keep (a server list
    may repeat an entry, and a straight COPY would fail on the repeat)."""
    key = itemgetter(*[plan.columns.index(c.name) for c in plan.table.primary_key.columns])
    keys = list(map(key, params))
    if len(set(keys)) == len(keys):  # the usual case, checked in C
        return params
    seen: set[Any] = set()
    out = []
    for k, row in zip(keys, params, strict=True):
        if k not in seen:
            seen.add(k)
            out.append(row)
    return out
