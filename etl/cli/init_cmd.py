"""`rcetl init`: write a commented config file to start from."""

from __future__ import annotations

from pathlib import Path

import click


def config_template() -> str:
    """The commented example config shipped with the package (the repo's config.yaml is a copy)."""
    from importlib.resources import files

    return files("etl").joinpath("config_template.yaml").read_text(encoding="utf-8")


@click.command("init")
@click.argument(
    "path", type=click.Path(path_type=Path, dir_okay=False), default=Path("config.yaml")
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init_cmd(path: Path, force: bool) -> None:
    """Write a commented configuration file to PATH (default ./config.yaml).

    Every key is shown with its default and a comment. Secrets are not written:
    the file names the environment variables that hold them (RCETL_TOKEN and
    RCETL_USER_ID by default).

    \b
    Example:
      rcetl init                      # ./config.yaml
      rcetl init /etc/rcetl.yaml --force
    """
    from etl.errors import ConfigError

    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; pass --force to overwrite it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_template(), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    click.echo(f"wrote {path}; edit server.url, then export RCETL_TOKEN and RCETL_USER_ID")
