"""What every command gets from the `rcetl` group: settings loaded on first use, and helpers.

Command modules import from here (not from `etl.cli.main`, which imports the command modules):

    from etl.cli.context import AppContext, open_client, pass_app

    @click.command("mycmd")
    @pass_app
    def mycmd(app: AppContext) -> None:
        with open_client(app) as client:
            ...
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

# Imported where used: `rcetl --help` loads this module, and must not load pydantic, SQLAlchemy
# or httpx (nor logging, dataclasses or our errors: each is a few percent of the start-up).
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from etl.client import RocketChatClient
    from etl.config import Settings

DEFAULT_CONFIG = Path("config.yaml")


class AppContext:
    """`ctx.obj` of every command. Settings are loaded (and validated) on first access, so
    `--help` and `rcetl init` work without a valid config."""

    def __init__(
        self,
        config_path: Path | None = None,
        overrides: dict[str, object] | None = None,
        log_format: str = "text",
        verbosity: int = 0,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config_path = config_path
        self.overrides: dict[str, object] = {} if overrides is None else overrides
        self.log_format = log_format
        self.verbosity = verbosity
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from etl.config import load_settings

            self._settings = load_settings(
                self.resolved_config_path(), self.overrides, self.environ
            )
        return self._settings

    def resolved_config_path(self) -> Path | None:
        """--config if given (must exist), else ./config.yaml if present, else built-in defaults."""
        if self.config_path is not None:
            return self.config_path
        return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


pass_app = click.make_pass_decorator(AppContext)


def open_client(app: AppContext) -> RocketChatClient:
    """A client for the configured server; use it as a context manager so it gets closed."""
    from etl.client import RocketChatClient

    return RocketChatClient.from_settings(app.settings, app.environ)


def wait_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--wait SECONDS` for commands that write the database (sets database.lock_wait)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: float | None) -> None:
        if value is not None:
            ctx.ensure_object(AppContext).overrides["database.lock_wait"] = value

    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=None,
        expose_value=False,
        callback=remember,
        metavar="SECONDS",
        help="When another rcetl process (e.g. the daemon's job) is writing the database, wait "
        "this long for it, then give up with exit code 6 (default: database.lock_wait, 60 s; "
        "0: give up at once).",
    )(fn)


@contextmanager
def open_engine(app: AppContext, *, upgrade: bool = True) -> Iterator[Engine]:
    """The database (upgraded to head unless `upgrade` is False), disposed on exit; no writer
    lock. For reads, and for the small writes that never race a sync (legal holds)."""
    from sqlalchemy.exc import SQLAlchemyError

    from etl.db import create_db_engine, open_database
    from etl.errors import database_error

    url = app.settings.database.url
    try:
        engine = open_database(url) if upgrade else create_db_engine(url)
    except (SQLAlchemyError, ImportError) as exc:
        raise database_error(url, exc) from None
    try:
        yield engine
    except SQLAlchemyError as exc:
        raise database_error(url, exc) from None
    finally:
        engine.dispose()


@contextmanager
def open_writer(app: AppContext, purpose: str) -> Iterator[Engine]:
    """The database, upgraded, with its writer lock held (waiting up to database.lock_wait for
    another rcetl writer); runs left "running" by a killed process are marked interrupted."""
    import logging

    from etl.lock import writer_lock
    from etl.state import mark_interrupted_runs

    settings = app.settings
    lock = writer_lock(settings.database.url, purpose=purpose, wait=settings.database.lock_wait)
    with lock, open_engine(app) as engine:
        if interrupted := mark_interrupted_runs(engine):
            logging.getLogger(__name__).warning(
                "%d earlier run(s) had been killed; marked interrupted", interrupted
            )
        yield engine


def echo_json(data: Any, *, indent: bool = True) -> None:
    """`data` as JSON on stdout (orjson, imported here: `--help` does not need it)."""
    import orjson

    option = orjson.OPT_INDENT_2 if indent else 0
    click.echo(orjson.dumps(data, option=option).decode())
