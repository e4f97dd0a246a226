"""A small Rocket.Chat-like workspace written through the real normalise + load path, and
helpers to compare what the database holds with what an export holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
import sqlalchemy as sa

from etl.export.arrow_schema import is_json
from etl.load import mark_deleted, next_change_seq, replace_room_members, save_records
from etl.normalise import normalise
from etl.schema import CHILD_TABLES, metadata

T0 = datetime(2024, 11, 20, 9, 30, tzinfo=UTC)
ODD_ROOMS = ("../../etc", "a/b=c%d", "ünï😀", "..")


def iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def room_doc(rid: str, name: str, t: str = "c", uids: list[str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": rid, "t": t, "name": name, "fname": name, "ts": iso(T0)}
    doc.update({"u": {"_id": "u0", "username": "admin"}, "_updatedAt": iso(T0), "msgs": 1})
    if uids:
        doc.update(uids=uids, usernames=[f"user{u}" for u in uids])
    return doc


def user_doc(uid: str, roles: list[str]) -> dict[str, Any]:
    return {
        "_id": uid,
        "username": f"user{uid}",
        "name": f"User {uid}",
        "active": True,
        "roles": roles,
        "emails": [{"address": f"{uid}@example.org", "verified": True}],
        "createdAt": iso(T0),
        "_updatedAt": iso(T0),
        "utcOffset": 1.5,
    }


def message_doc(mid: str, rid: str, ts: datetime, text: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": mid,
        "rid": rid,
        "msg": text,
        "ts": iso(ts),
        "u": {"_id": "u1", "username": "user1", "name": "User 1"},
        "_updatedAt": iso(ts),
        "mentions": [{"_id": "u2", "username": "user2"}],
        "md": [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": text}]}],
    }
    doc.update(extra)
    return doc


def reactions(*usernames: str) -> dict[str, Any]:
    return {":+1:": {"usernames": list(usernames), "names": [u.title() for u in usernames]}}


def save(engine: sa.Engine, resource: str, docs: Iterable[dict[str, Any]]) -> int:
    """One write transaction through the real loader; returns its change_seq."""
    records = [normalise(resource, doc) for doc in docs]
    with engine.begin() as conn:
        seq = next_change_seq(conn)
        save_records(conn, records[0].table, records, seq)
    return seq


def delete(engine: sa.Engine, table: str, ids: list[str], policy: str) -> None:
    with engine.begin() as conn:
        seq = next_change_seq(conn)
        mark_deleted(conn, table, [(i, T0 + timedelta(days=30)) for i in ids], policy, seq)  # type: ignore[arg-type]


def set_members(engine: sa.Engine, rid: str, uids: list[str]) -> None:
    docs = [
        {"_id": u, "username": f"user{u}", "name": f"User {u}", "status": "online"} for u in uids
    ]
    records = [normalise("room_members", {**d, "rid": rid}) for d in docs]
    with engine.begin() as conn:
        replace_room_members(conn, rid, records, next_change_seq(conn))


def seed_workspace(
    engine: sa.Engine, rooms: tuple[str, ...] = ("GENERAL", "dev", *ODD_ROOMS), per_room: int = 12
) -> None:
    """Rooms (one DM), users with roles and e-mails, messages across three months with
    reactions, attachments, threads and an edit."""
    save(
        engine,
        "users",
        [user_doc(f"{i}", ["user"] + (["admin"] if i == 0 else [])) for i in range(4)],
    )
    room_docs = [room_doc(r, f"room {r}") for r in rooms] + [
        room_doc("u1u2", "dm", "d", ["1", "2"])
    ]
    save(engine, "rooms", room_docs)
    set_members(engine, rooms[0], ["0", "1", "2"])
    docs = []
    for r_index, rid in enumerate(rooms):
        for i in range(per_room):
            ts = T0 + timedelta(days=9 * i, minutes=r_index)
            extra: dict[str, Any] = {}
            if i % 3 == 0:
                extra["reactions"] = reactions("user1", "user2")
            if i % 4 == 1:
                extra["attachments"] = [
                    {"title": "shot", "image_url": "/f.png", "fields": [{"a": 1}]}
                ]
            if i % 5 == 2:
                extra.update(tmid=f"{rid}-m0", tshow=True)
            docs.append(message_doc(f"{rid}-m{i}", rid, ts, f"hello {i} in {rid}", **extra))
    save(engine, "messages", docs)


# --- comparing rows -----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def db_rows(engine: sa.Engine, table_name: str, where: Any = None) -> dict[Any, dict[str, Any]]:
    """The table as {primary key: row}, datetimes at millisecond precision, JSON parsed."""
    table = metadata.tables[table_name]
    stmt = sa.select(table) if where is None else sa.select(table).where(where)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    return {_key(table_name, r): {k: _plain(v) for k, v in r.items()} for r in rows}


def arrow_rows(table: pa.Table, table_name: str) -> dict[Any, dict[str, Any]]:
    """An exported table as {primary key: row}: JSON strings parsed, extra columns dropped."""
    columns = metadata.tables[table_name].columns
    json_columns = {c.name for c in columns if is_json(c)}
    result = {}
    for row in table.to_pylist():
        clean = {c.name: row.get(c.name) for c in columns}
        for name in json_columns & set(clean):
            if clean[name] is not None:
                clean[name] = orjson.loads(clean[name])
        result[_key(table_name, clean)] = {k: _plain(v) for k, v in clean.items()}
    return result


def _key(table_name: str, row: dict[str, Any]) -> Any:
    pk = [c.name for c in metadata.tables[table_name].primary_key.columns]
    return tuple(row[c] for c in pk) if len(pk) > 1 else row[pk[0]]


def child_parent(table_name: str) -> tuple[str, str] | None:
    return CHILD_TABLES.get(table_name)
