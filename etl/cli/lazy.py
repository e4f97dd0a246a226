"""`LazyGroup`: a click group whose subcommands are imported when they are used.

Commands are registered as name -> `Lazy("module:attribute", summary)`. The group's own `--help`
lists them from the summaries without importing any command module (a test keeps each summary
equal to its command's help); `rcetl COMMAND --help` imports that one module, so command modules
keep their heavy imports (pyarrow, SQLAlchemy, httpx, the simulator) inside the functions.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, NamedTuple

import click


class Lazy(NamedTuple):
    where: str  # "module:attribute"
    summary: str  # the first paragraph of the command's help, for its group's --help

    def short_help(self, name: str, limit: int) -> str:
        """The summary cut as click cuts a command's help in its group's listing."""
        return click.Command(name, help=self.summary).get_short_help_str(limit)


def help_width(max_width: int = 80) -> int:
    """The width click gives help text (what `shutil.get_terminal_size` would tell it), without
    importing shutil, which imports the compression modules: a tenth of the start-up."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(min(columns or 80, max_width) - 2, 50)


class HelpWidthContext(click.Context):
    """A context that knows its help width (subcommands' contexts inherit it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.terminal_width is None:
            self.terminal_width = help_width(self.max_content_width or 80)


class LazyGroup(click.Group):
    """A group whose subcommands (`lazy`: name -> `Lazy`) are imported on first use (click's
    documented lazy-loading pattern)."""

    context_class = HelpWidthContext

    def __init__(self, *args: Any, lazy: dict[str, Lazy] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            where = self.lazy[cmd_name].where
            module_name, _, attribute = where.partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{where} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with the summaries of the commands not imported yet."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                rows.append((name, self.lazy[name].short_help(name, limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
