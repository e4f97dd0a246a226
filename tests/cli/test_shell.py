"""The `rcetl` shell: help texts, `rcetl init`, config errors as one line with exit code 2."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from etl.cli.main import cli
from etl.config import load_settings


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("path", [(), *all_commands(cli)], ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "example" in result.output.lower()


def test_init_writes_a_valid_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "rcetl.yaml"
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert load_settings(target, {}, {}).server.auth.token_env == "RCETL_TOKEN"

    target.write_text("# mine\n")
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert target.read_text() == "# mine\n"

    result = runner.invoke(cli, ["init", str(target), "--force"])
    assert result.exit_code == 0
    assert "server:" in target.read_text()


def test_config_error_is_one_clear_line_with_exit_code_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("sync:\n  concurrency: 4\n  page_sise: 10\n")
    result = CliRunner().invoke(cli, ["--config", str(config), "check"])
    assert result.exit_code == 2
    assert f"error: invalid configuration: {config}, line 3: sync.page_sise: unknown key" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_missing_config_file_and_bad_set_option(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(tmp_path / "none.yaml"), "check"])
    assert result.exit_code == 2 and "config file not found" in result.output
    result = runner.invoke(cli, ["--set", "sync.page_size", "check"])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output
    result = runner.invoke(cli, ["--set", "sync.page_size=huge", "check"])
    assert result.exit_code == 2
    assert "command line option sync.page_size=huge: sync.page_size" in result.output


def test_missing_credentials_name_the_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("server:\n  auth:\n    token_env: MY_TOKEN_VAR\n")
    result = CliRunner(env={"MY_TOKEN_VAR": None, "RCETL_USER_ID": "u"}).invoke(
        cli, ["--config", str(config), "check"]
    )
    assert result.exit_code == 2
    assert "environment variable MY_TOKEN_VAR is not set" in result.output
