"""`rcetl`: the command group, its global options, and error → exit code handling.

Commands are registered by name in `COMMANDS` ("module:attribute") and imported only when they
run or show their help (`LazyGroup`), and command modules import their heavy libraries (pyarrow,
SQLAlchemy, httpx, the simulator) inside the command functions: `rcetl --help` and
`rcetl COMMAND --help` start in about the time of click itself. Command modules take their
helpers from `etl.cli.context`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from etl.cli.context import AppContext
from etl.cli.lazy import Lazy, LazyGroup

# Imported where an error is handled: `rcetl --help` imports neither the errors nor logging.
if TYPE_CHECKING:
    from etl.errors import RcetlError

# Every command of `rcetl`, by name: where it lives ("module:attribute") and the first paragraph
# of its help (what `rcetl --help` lists without importing it; tests/cli/test_startup.py keeps the
# two equal). A new command is one entry here (a group's subcommand one entry in its LazyGroup's
# `lazy`); it is imported only when it runs or shows its own help.
COMMANDS: dict[str, Lazy] = {
    "init": Lazy(
        "etl.cli.init_cmd:init_cmd",
        "Write a commented configuration file to PATH (default ./config.yaml).",
    ),
    "check": Lazy(
        "etl.cli.check:check_cmd",
        "Connect, authenticate and list which resources this token can read.",
    ),
    "daemon": Lazy(
        "etl.cli.daemon_cmd:daemon_cmd",
        "Run the scheduled jobs until SIGTERM or SIGINT (Ctrl-C).",
    ),
    "db": Lazy(
        "etl.cli.db_cmds:db_group",
        "Create or upgrade the database schema, and inspect it.",
    ),
    "sync": Lazy(
        "etl.cli.sync_cmds:sync_cmd",
        "Bring the database level with the server: everything the first time, then only changes.",
    ),
    "reconcile": Lazy(
        "etl.cli.sync_cmds:reconcile_cmd",
        "Compare server ids with database ids and mark what disappeared.",
    ),
    "status": Lazy(
        "etl.cli.sync_cmds:status_cmd",
        "Per resource: rows, last sync, watermark, lag; unreadable rooms; last errors.",
    ),
    "demo": Lazy(
        "etl.cli.demo:demo_cmd",
        "Sync a simulated Rocket.Chat server into SQLite, then show what landed where.",
    ),
    "export": Lazy(
        "etl.cli.export_cmds:export_group",
        "Write the database as Parquet: archives, an incremental feed; verify and compact them.",
    ),
    "simulate": Lazy(
        "etl.cli.simulate:simulate_cmd",
        "Serve a simulated Rocket.Chat server (REST API over HTTP) for tests, demos and "
        "benchmarks.",
    ),
    "hold": Lazy(
        "etl.cli.history_cmds:hold_group",
        "Legal holds: rooms and users whose messages are never redacted or purged.",
    ),
    "history": Lazy(
        "etl.cli.history_cmds:history_cmd",
        "A message's versions: what it said before each edit and deletion, and what changed.",
    ),
    "search": Lazy(
        "etl.cli.html_cmds:search_cmd",
        "Full-text search over message texts (every word must match; `deplo*` is a prefix), "
        "newest first, with the matched words highlighted and the message's place in the HTML "
        "export (the newest one made from this database, or --html DIR).",
    ),
}


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of an error (README "Exit codes"; the table is `etl.errors`)."""
    from etl.errors import outcome

    return outcome(exc).exit_code


# Where the group's callback leaves whether the command only shows its help (ctx.meta).
HELP_ONLY = "rcetl.help_only"


class RcetlGroup(LazyGroup):
    """Turns our errors into one clear line on stderr and a documented exit code."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        # `rcetl COMMAND --help` shows help and exits: the callback then sets up no logging
        # (importing logging is a fifth of the start-up). An option VALUE spelt "--help" would
        # run its command with Python's default logging (warnings and errors, unformatted).
        ctx.meta[HELP_ONLY] = any(arg in ctx.help_option_names for arg in rest)
        return name, command, rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own: `--help` and usage errors, handled by click
        except KeyboardInterrupt:
            from etl.errors import EXIT_INTERRUPTED

            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            from etl.errors import RcetlError, database_error, is_database_error

            if isinstance(exc, (RcetlError, OSError)):
                # OSError: files and object storage (an export's disk or bucket) refusing a read
                # or write; one line with the path, exit code 1 (its row in etl.errors.OUTCOMES).
                _fail(ctx, exc)
            if not is_database_error(exc):
                raise
            # A database error no command turned into a DatabaseError: still one line, the
            # database named with its password masked, never the SQL or its parameters.
            _fail(ctx, database_error(_database_url(ctx), exc))


def _fail(ctx: click.Context, exc: RcetlError | OSError) -> NoReturn:
    import logging

    logging.getLogger(__name__).debug("command failed", exc_info=True)
    click.secho(f"error: {exc}", err=True, fg="red")
    ctx.exit(exit_code_for(exc))


def _database_url(ctx: click.Context) -> str | None:
    from etl.errors import RcetlError

    app = ctx.obj
    try:
        return app.settings.database.url if isinstance(app, AppContext) else None
    except RcetlError:
        return None


def _parse_set(values: tuple[str, ...]) -> dict[str, object]:
    overrides: dict[str, object] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        overrides[key.strip()] = value
    return overrides


@click.group(
    cls=RcetlGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    envvar="RCETL_CONFIG",
    help="Config file (YAML; env RCETL_CONFIG). Default: ./config.yaml if present, else "
    "built-in defaults.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="RCETL_LOG_FORMAT",
    help="Human-readable log lines, or one JSON object per line (env RCETL_LOG_FORMAT).",
)
@click.option(
    "-v", "--verbose", count=True, help="More logging: -v debug, -vv also HTTP libraries."
)
@click.option("--server-url", default=None, help="Override server.url.")
@click.option("--database-url", default=None, help="Override database.url.")
@click.option(
    "--set",
    "set_values",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override any setting by its dotted key, e.g. --set sync.page_size=200 (repeatable).",
)
@click.version_option(package_name="rocketchat-etl", prog_name="rcetl")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path | None,
    log_format: str,
    verbose: int,
    server_url: str | None,
    database_url: str | None,
    set_values: tuple[str, ...],
) -> None:
    """Sync a Rocket.Chat server into SQLite or PostgreSQL and export it to Parquet.

    Settings come from the config file, then RCETL_* environment variables
    (RCETL_SYNC__PAGE_SIZE=200), then these options; later wins.

    \b
    Example:
      rcetl init                    # write ./config.yaml to start from
      export RCETL_TOKEN=... RCETL_USER_ID=...
      rcetl check                   # can we connect, and what may this token read?
      rcetl --set sync.concurrency=2 --log-format json check
    """
    if not ctx.meta.get(HELP_ONLY):
        from etl.logs import level_for, setup_logging

        setup_logging(log_format, level_for(verbose), verbose)  # type: ignore[arg-type]
    overrides = _parse_set(set_values)
    if server_url is not None:
        overrides["server.url"] = server_url
    if database_url is not None:
        overrides["database.url"] = database_url
    if config_path is not None and not config_path.is_file():
        from etl.errors import ConfigError

        raise ConfigError(f"config file not found: {config_path} (create one with: rcetl init)")
    ctx.obj = AppContext(
        config_path=config_path, overrides=overrides, log_format=log_format, verbosity=verbose
    )
