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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import click

from etl.client import RocketChatClient
from etl.config import Settings, load_settings

DEFAULT_CONFIG = Path("config.yaml")


@dataclass
class AppContext:
    """`ctx.obj` of every command. Settings are loaded (and validated) on first access, so
    `--help` and `rcetl init` work without a valid config."""

    config_path: Path | None = None
    overrides: dict[str, object] = field(default_factory=dict)
    log_format: str = "text"
    verbosity: int = 0
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
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
    return RocketChatClient.from_settings(app.settings, app.environ)
