"""`rcetl hold add|remove|list` (legal holds) and `rcetl history MESSAGE_ID` (versions)."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, or_, select

from etl.cli.context import AppContext, open_engine, pass_app
from etl.cli.export_cmds import WhenType
from etl.load.history import CONTENT_KEYS
from etl.load.holds import add_hold, list_holds, remove_holds
from etl.schema import metadata

ROOMS, USERS = metadata.tables["rooms"], metadata.tables["users"]
VERSIONS, MESSAGES = metadata.tables["message_versions"], metadata.tables["messages"]


def _target(room: str | None, user: str | None) -> tuple[str, str]:
    if (room is None) == (user is None):
        raise click.UsageError("give exactly one of --room ID|NAME or --user ID|USERNAME")
    return ("room", room) if room is not None else ("user", user)  # type: ignore[return-value]


def _resolve(engine: Engine, scope: str, value: str) -> tuple[str, str | None]:
    """(id, name) of the room or user given by id or by name, from the synced tables."""
    table, names = (
        (ROOMS, (ROOMS.c.name, ROOMS.c.fname)) if scope == "room" else (USERS, (USERS.c.username,))
    )
    query = select(table.c.id, names[0]).where(
        or_(table.c.id == value, *(n == value for n in names))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    exact = [r for r in rows if r[0] == value]
    if exact or len(rows) == 1:
        row = (exact or rows)[0]
        return row[0], row[1]
    if rows:
        ids = ", ".join(sorted(r[0] for r in rows))
        raise click.UsageError(f"{scope} name {value!r} is ambiguous ({ids}): give the id")
    raise click.UsageError(
        f"no {scope} {value!r} (id or name) in the database; run `rcetl sync` first, or give its id"
    )


def _who(by: str | None) -> str:
    return by or getpass.getuser()


target_options = [
    click.option("--room", help="A room, by id or name."),
    click.option("--user", help="A user, by id or username."),
    click.option("--by", help="Who places or lifts the hold (default: the OS user)."),
]


def _with_target(fn: Any) -> Any:
    for option in reversed(target_options):
        fn = option(fn)
    return fn


@click.group("hold")
def hold_group() -> None:
    """Legal holds: rooms and users whose messages are never redacted or purged.

    \b
    Examples:
      rcetl hold add --room GENERAL --reason "case 2024-17" --until 2026-01-01
      rcetl hold add --user alice --reason "HR inquiry"
      rcetl hold list
      rcetl hold remove --user alice
    """


@hold_group.command("add")
@_with_target
@click.option("--reason", help="Why (kept with the hold).")
@click.option("--until", type=WhenType(), help="The hold ends by itself at this date (UTC).")
@pass_app
def hold_add(
    app: AppContext,
    room: str | None,
    user: str | None,
    by: str | None,
    reason: str | None,
    until: datetime | None,
) -> None:
    """Place a hold on a room or a user.

    \b
    Examples:
      rcetl hold add --room GENERAL --reason "case 2024-17" --until 2026-01-01
      rcetl hold add --user alice --by dpo@example.com
    """
    scope, value = _target(room, user)
    with open_engine(app) as engine:
        target_id, name = _resolve(engine, scope, value)
        with engine.begin() as conn:
            hold_id = add_hold(
                conn, scope, target_id, target_name=name, created_by=_who(by), reason=reason,
                until=until,
            )  # fmt: skip
    label = f"{target_id} ({name})" if name and name != target_id else target_id
    click.echo(f"hold {hold_id} placed on {scope} {label}")


@hold_group.command("remove")
@_with_target
@pass_app
def hold_remove(app: AppContext, room: str | None, user: str | None, by: str | None) -> None:
    """Lift the holds on a room or a user. Nothing is purged now: the next `rcetl reconcile`
    applies sync.deletion_policy to its deleted messages.

    \b
    Examples:
      rcetl hold remove --user alice --by dpo@example.com
    """
    scope, value = _target(room, user)
    with open_engine(app) as engine:
        target_id, _name = _resolve(engine, scope, value)
        with engine.begin() as conn:
            ids = remove_holds(conn, scope, target_id, removed_by=_who(by))
    if not ids:
        raise click.ClickException(f"no active hold on {scope} {target_id}")
    click.echo(f"hold(s) {', '.join(map(str, ids))} on {scope} {target_id} removed")


@hold_group.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Also removed and expired holds.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def hold_list(app: AppContext, include_inactive: bool, as_json: bool) -> None:
    """The active holds (with --all, every hold ever placed).

    \b
    Examples:
      rcetl hold list
      rcetl hold list --all --json
    """
    with open_engine(app) as engine, engine.connect() as conn:
        holds = list_holds(conn, include_inactive=include_inactive)
    if as_json:
        click.echo(orjson.dumps(holds, option=orjson.OPT_INDENT_2).decode())
        return
    render_holds(holds, Console(), "legal holds" if include_inactive else "active legal holds")


def render_holds(holds: list[dict[str, Any]], console: Console, title: str) -> None:
    table = Table(title=f"{len(holds)} {title}")
    for column in ("id", "scope", "target", "reason", "until", "placed", "by", "active"):
        table.add_column(column)
    for h in holds:
        target = h["target_id"] + (f" ({h['target_name']})" if h.get("target_name") else "")
        table.add_row(
            str(h["id"]), h["scope"], target, h.get("reason") or "", _when(h.get("until")),
            _when(h["created_at"]), h["created_by"], "yes" if h.get("active") else "no",
        )  # fmt: skip
    console.print(table)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def changed_fields(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """What a version changed compared with the one before it."""
    if current["kind"] in ("deleted", "redacted", "purged"):
        return [current["kind"]]
    if previous is None or current["kind"] == "created":
        return ["created"]
    before, after = previous.get("raw") or {}, current.get("raw") or {}
    return [key for key in CONTENT_KEYS if before.get(key) != after.get(key)] or ["(content)"]


def message_history(engine: Engine, message_id: str) -> list[dict[str, Any]]:
    query = select(VERSIONS).where(VERSIONS.c.message_id == message_id).order_by(VERSIONS.c.version)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    previous = None
    for row in rows:
        row["changed"] = changed_fields(previous, row)
        previous = row
    return rows


@click.command("history")
@click.argument("message_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with each version's raw).")
@pass_app
def history_cmd(app: AppContext, message_id: str, as_json: bool) -> None:
    """A message's versions: what it said before each edit and deletion, and what changed.

    \b
    Examples:
      rcetl history bB7vLzPnEWnS3yx2H
      rcetl history bB7vLzPnEWnS3yx2H --json | jq '.[].msg'
    """
    with open_engine(app) as engine:
        rows = message_history(engine, message_id)
    if not rows:
        raise click.ClickException(f"no versions of message {message_id!r} in the database")
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"message {message_id}: {len(rows)} version(s)")
    for column in ("v", "kind", "changed", "edited at", "by", "observed at", "origin", "text"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["version"]), r["kind"], ", ".join(r["changed"]), _when(r["edited_at"]),
            r["edited_by_username"] or "", _when(r["observed_at"]), r["origin"],
            r["msg"] if r["msg"] is not None else "",
        )  # fmt: skip
    Console().print(table)
