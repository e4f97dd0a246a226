"""`rcetl db ...`: schema upgrades and a look at what the database holds."""

from __future__ import annotations

import click

from etl.cli.context import AppContext, open_engine, pass_app, wait_option
from etl.cli.lazy import Lazy, LazyGroup

# SQLAlchemy, Alembic and the schema are imported when a command runs (an instant `--help`).


@click.group(
    "db",
    cls=LazyGroup,
    lazy={
        "reindex": Lazy(
            "etl.cli.html_cmds:reindex_cmd",
            "Rebuild the full-text index of message texts (SQLite FTS5 / PostgreSQL GIN).",
        )
    },
)
def db_group() -> None:
    """Create or upgrade the database schema, and inspect it.

    Every other command that uses the database upgrades it first, so these are
    only needed to prepare a database ahead of time or to check it.

    \b
    Example:
      rcetl db upgrade
      rcetl --database-url postgresql+psycopg://etl@db/rocketchat db current
    """


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target migration.")
@wait_option
@pass_app
def upgrade_cmd(app: AppContext, revision: str) -> None:
    """Apply the migrations up to REVISION (default: the newest).

    \b
    Example:
      rcetl db upgrade
      rcetl --database-url sqlite:///data/rc.db db upgrade
    """
    from etl.db import current_revision, upgrade
    from etl.errors import safe_url
    from etl.lock import writer_lock

    url = app.settings.database.url
    lock = writer_lock(url, purpose="rcetl db upgrade", wait=app.settings.database.lock_wait)
    with lock, open_engine(app, upgrade=False) as engine:
        before = current_revision(engine)
        upgrade(engine, revision)
        after = current_revision(engine)
    url = safe_url(url)
    if before == after:
        click.echo(f"{url}: already at {after}")
    else:
        click.echo(f"{url}: upgraded {before or '(empty)'} -> {after}")


@db_group.command("current")
@pass_app
def current_cmd(app: AppContext) -> None:
    """Show the database's migration revision and the newest one (reads only).

    Exit status 0 when the database is at the newest revision, 1 otherwise (behind, or
    upgraded by a newer rcetl).

    \b
    Example:
      rcetl db current
    """
    from etl.db import current_revision, head_revision, known_revision

    with open_engine(app, upgrade=False) as engine:
        current = current_revision(engine)
    head = head_revision()
    if current == head:
        status = "up to date"
    elif current is not None and not known_revision(current):
        status = (
            f"newer than this rcetl: revision {current} comes from a newer rcetl version; "
            "upgrade rcetl (do not run `rcetl db upgrade` with this one)"
        )
    else:
        status = "behind: run `rcetl db upgrade`"
    click.echo(f"current: {current or '(empty database)'}\nhead:    {head}\n{status}")
    if current != head:
        raise SystemExit(1)


@db_group.command("tables")
@pass_app
def tables_cmd(app: AppContext) -> None:
    """List the tables (after upgrading) with their row counts.

    \b
    Example:
      rcetl db tables
    """
    from sqlalchemy import func, inspect, select

    from etl.db import current_revision, head_revision, upgrade
    from etl.lock import writer_lock
    from etl.schema import VIEWS, metadata

    with open_engine(app, upgrade=False) as engine:
        if current_revision(engine) != head_revision():
            url = app.settings.database.url
            with writer_lock(url, purpose="rcetl db tables", wait=app.settings.database.lock_wait):
                upgrade(engine)
        present = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            for name, table in sorted(metadata.tables.items()):
                if name in present:
                    count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                    click.echo(f"{name:<22} {count:>12,}")
            for view in VIEWS:
                click.echo(f"{view:<22} {'(view)':>12}")
