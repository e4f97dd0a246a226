"""`rcetl hold add|remove|list` (legal holds) and `rcetl history MESSAGE_ID` (versions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from etl.cli.context import AppContext, echo_json, open_engine, pass_app
from etl.cli.export_cmds import WhenType

# SQLAlchemy, rich and the history tables (etl.cli.history_queries) are imported when a command
# runs (an instant `--help`).


def _target(room: str | None, user: str | None) -> tuple[str, str]:
    if (room is None) == (user is None):
        raise click.UsageError("give exactly one of --room ID|NAME or --user ID|USERNAME")
    return ("room", room) if room is not None else ("user", user)  # type: ignore[return-value]


def _who(by: str | None) -> str:
    import getpass

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
    from etl.cli.history_queries import resolve
    from etl.load.holds import add_hold

    scope, value = _target(room, user)
    with open_engine(app) as engine:
        target_id, name = resolve(engine, scope, value)
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
    from etl.cli.history_queries import resolve
    from etl.load.holds import remove_holds

    scope, value = _target(room, user)
    with open_engine(app) as engine:
        target_id, _name = resolve(engine, scope, value)
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
    from rich.console import Console

    from etl.cli.history_queries import render_holds
    from etl.load.holds import list_holds

    with open_engine(app) as engine, engine.connect() as conn:
        holds = list_holds(conn, include_inactive=include_inactive)
    if as_json:
        echo_json(holds)
        return
    render_holds(holds, Console(), "legal holds" if include_inactive else "active legal holds")


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
    from rich.console import Console
    from rich.table import Table

    from etl.cli.history_queries import message_history, when

    with open_engine(app) as engine:
        rows = message_history(engine, message_id)
    if not rows:
        raise click.ClickException(f"no versions of message {message_id!r} in the database")
    if as_json:
        echo_json(rows)
        return
    table = Table(title=f"message {message_id}: {len(rows)} version(s)")
    for column in ("v", "kind", "changed", "edited at", "by", "observed at", "origin", "text"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["version"]), r["kind"], ", ".join(r["changed"]), when(r["edited_at"]),
            r["edited_by_username"] or "", when(r["observed_at"]), r["origin"],
            r["msg"] if r["msg"] is not None else "",
        )  # fmt: skip
    Console().print(table)
