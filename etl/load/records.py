"""Upserts of normalised records, in batches, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from etl.load import plans
from etl.load.pg_copy import COPY_MIN_ROWS, DIRECT_MIN_ROWS, copy_merge, copy_new, distinct_keys
from etl.normalise.record import Record
from etl.schema import CHILD_TABLES, SYNCED_TABLES

BATCH_SIZE = 5000
# Child tables also written without their parent (a channel's member listing may arrive before
# the room): their rows can exist for parents not stored yet, so they are always cleared.
WRITTEN_ALONE = frozenset({"room_members"})
# Connection.info key: whether the last batch of a table on this connection was all new.
GUESS_NEW = "rcetl.guess_new"


def next_change_seq(conn: Connection) -> int:
    """Take the next change marker; call once per write transaction, first thing in it.

    The counter row stays locked until the transaction ends, so commit order equals marker order and
    an export reading `change_seq > last` never misses a transaction that committed later.
    """
    updated = conn.exec_driver_sql(
        "UPDATE counters SET value = value + 1 WHERE name = 'change_seq'"
    ).rowcount
    if not updated:
        conn.exec_driver_sql("INSERT INTO counters (name, value) VALUES ('change_seq', 1)")
    return int(
        conn.exec_driver_sql("SELECT value FROM counters WHERE name = 'change_seq'").scalar_one()
    )


def save_records(
    conn: Connection, table_name: str, records: Sequence[Record], change_seq: int
) -> int:
    """Upsert `records` into `table_name` by primary key and replace their child rows.

    Re-seen rows get `deleted_at` cleared. Duplicates within the call keep the last version.
    Returns the number of parent rows written.
    """
    records = _dedupe(table_name, records)
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        if _all_new(conn, table_name, batch, change_seq):
            _replace_children(conn, batch, set(), change_seq)
            continue
        # Only parents already stored can have child rows to remove: one lookup instead of a
        # DELETE per child table, which matters for first loads and for mostly-new pages.
        with_children = [r.row["id"] for r in batch if r.children]
        looked_up = with_children
        direct = _direct(conn, table_name, batch)
        if direct:  # PostgreSQL: rows not stored yet go in by a straight COPY
            looked_up = [r.row["id"] for r in batch]
        stored = set(existing_ids(conn, table_name, looked_up)) if looked_up else set()
        if direct:
            conn.info[(GUESS_NEW, table_name)] = not stored
        _upsert_parents(conn, table_name, batch, change_seq, stored if direct else None)
        if direct:
            stored &= set(with_children)
        if stored:
            # A stored parent whose content did not change kept its old marker: so do its
            # children (same document, same children), and a feed does not carry them again.
            same = stored - set(written_ids(conn, table_name, list(stored), change_seq))
            batch = [r for r in batch if r.row["id"] not in same]
            stored -= same
        _replace_children(conn, batch, stored, change_seq)
    return len(records)


def written_ids(conn: Connection, table_name: str, ids: list[Any], change_seq: int) -> list[Any]:
    """Which of `ids` this transaction wrote (they carry its `change_seq`)."""
    match, param = plans.ids_param(conn.dialect.name, ids)
    sql = f"SELECT id FROM {table_name} WHERE id {match} AND change_seq = {int(change_seq)}"
    return [r[0] for r in conn.exec_driver_sql(sql, (param,))]


def existing_ids(conn: Connection, table_name: str, ids: list[Any]) -> list[Any]:
    """Which of `ids` the table holds."""
    match, param = plans.ids_param(conn.dialect.name, ids)
    rows = conn.exec_driver_sql(f"SELECT id FROM {table_name} WHERE id {match}", (param,))
    return [r[0] for r in rows]


def _dedupe(table_name: str, records: Sequence[Record]) -> list[Record]:
    for r in records:
        if r.table != table_name:
            raise ValueError(f"record for table {r.table!r} passed to save_records({table_name!r})")
    pk = tuple(c.name for c in plans.table(table_name).primary_key.columns)
    if pk == ("id",):
        unique = {r.row["id"]: r for r in records}
    else:
        unique = {tuple(r.row[c] for c in pk): r for r in records}
    return list(unique.values()) if len(unique) != len(records) else list(records)


def _direct(conn: Connection, table_name: str, batch: list[Record]) -> bool:
    return (
        conn.dialect.name == "postgresql"
        and len(batch) >= DIRECT_MIN_ROWS
        and tuple(c.name for c in plans.table(table_name).primary_key.columns) == ("id",)
    )


def _all_new(conn: Connection, table_name: str, batch: list[Record], change_seq: int) -> bool:
    """PostgreSQL: COPY the whole batch straight in without looking its ids up first, when the
    last batch of this table on this connection was all new (a first load); True if it was (no
    row stored, so no stored children to replace either). A conflict undoes the COPY, and the
    batch and the next ones take the lookup until one finds nothing stored again."""
    if not (_direct(conn, table_name, batch) and conn.info.get((GUESS_NEW, table_name), True)):
        return False
    if _copy_new(conn, table_name, batch, change_seq):
        return True
    conn.info[(GUESS_NEW, table_name)] = False
    return False


def _upsert_parents(
    conn: Connection,
    table_name: str,
    batch: list[Record],
    change_seq: int,
    stored: set[Any] | None = None,
) -> None:
    """The upsert; with `stored` (the ids the table holds), the others are COPYed straight in."""
    if not batch:
        return
    if stored is not None:
        new = [r for r in batch if r.row["id"] not in stored]
        if new and _copy_new(conn, table_name, new, change_seq):
            batch = [r for r in batch if r.row["id"] in stored]
        if not batch:
            return
    dialect = conn.dialect.name
    rows = [r.row for r in batch]
    extra_names, extra = _extra(table_name, change_seq)
    plan = plans.upsert_plan(dialect, table_name, tuple(rows[0]), extra_names)
    try:
        params = plan.values(rows, extra)
    except KeyError as exc:
        raise ValueError(f"{table_name}: rows do not all have the same columns ({exc})") from None
    write(conn, plan, params)


def _copy_new(conn: Connection, table_name: str, new: list[Record], change_seq: int) -> bool:
    """COPY parents the table does not hold (False: one existed after all, nothing written)."""
    rows = [r.row for r in new]
    plan = plans.upsert_plan("postgresql", table_name, tuple(rows[0]), _extra(table_name)[0])
    try:
        params = plan.values(rows, _extra(table_name, change_seq)[1])
    except KeyError as exc:
        raise ValueError(f"{table_name}: rows do not all have the same columns ({exc})") from None
    return copy_new(conn, plan, params)


def _extra(table_name: str, change_seq: int = 0) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The columns the writer adds to a parent row, and their values."""
    if table_name in SYNCED_TABLES:
        return ("deleted_at", "change_seq"), (None, change_seq)
    return ("change_seq",), (change_seq,)


def _replace_children(
    conn: Connection, batch: list[Record], stored: set[Any], change_seq: int
) -> None:
    """Per child table: delete the rows of the stored parents (of every parent for a table
    written alone), then insert the batch's rows. A new parent without rows of a table has
    nothing to do there: most messages list six empty child tables."""
    tables: dict[str, tuple[list[Any], list[dict[str, Any]]]] = {}
    for r in batch:
        if not r.children:
            continue
        parent_id = r.row["id"]
        held = parent_id in stored
        for child_table, rows in r.children.items():
            clear = held or child_table in WRITTEN_ALONE
            if not (rows or clear):
                continue
            entry = tables.get(child_table)
            if entry is None:
                entry = tables[child_table] = ([], [])
            if clear:
                entry[0].append(parent_id)
            entry[1].extend(rows)
    for child_table, (ids, rows) in tables.items():
        delete_children(conn, child_table, ids)
        insert_children(conn, child_table, rows, change_seq)


def delete_children(conn: Connection, child_table: str, parent_ids: list[Any]) -> None:
    if not parent_ids:
        return
    dialect = conn.dialect.name
    _parent, column = CHILD_TABLES[child_table]
    match, param = plans.ids_param(dialect, parent_ids)
    sql = f"DELETE FROM {child_table} WHERE {plans.quote(dialect, column)} {match}"
    conn.exec_driver_sql(sql, (param,))


def insert_children(
    conn: Connection, child_table: str, rows: list[dict[str, Any]], change_seq: int
) -> None:
    if not rows:
        return
    plan = plans.insert_plan(conn.dialect.name, child_table, tuple(rows[0]), ("change_seq",))
    params = plan.values(rows, (change_seq,))
    # Child rows are new but for repeats (their stored siblings were just deleted, a version
    # number is the next one): COPY them straight in, the merge only if one was not.
    direct = conn.dialect.name == "postgresql" and len(params) >= DIRECT_MIN_ROWS
    if direct and copy_new(conn, plan, distinct_keys(plan, params)):
        return
    write(conn, plan, params)


def write(conn: Connection, plan: plans.Plan, params: list[tuple[Any, ...]]) -> None:
    """executemany, or COPY through a staging table for large PostgreSQL batches."""
    if conn.dialect.name == "postgresql" and len(params) >= COPY_MIN_ROWS:
        copy_merge(conn, plan, params)
    else:
        conn.exec_driver_sql(plan.sql, params)
