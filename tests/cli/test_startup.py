"""An instant CLI (issue 15): facts about imports, not timings (bench/bench_cli.py times them).

Each check runs in a fresh interpreter, so what it reports is what that command imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from etl.cli.main import COMMANDS

HEAVY = ("pyarrow", "sqlalchemy", "httpx", "starlette", "uvicorn")
ALSO_AT_HELP = ("pydantic", "rich", "alembic", "etl.simulator.server", "etl.export")
# Lighter, but each a tenth to a fifth of the start-up: `--help` sets up no logging, and click's
# help width is found without shutil (which imports the compression modules).
LIGHT = ("logging", "shutil")
# The group's own help needs neither our errors nor dataclasses.
LIGHT_AT_GROUP_HELP = ("etl.errors", "dataclasses")

PROBE = """
import json, sys
from etl.cli.main import cli
try:
    cli(sys.argv[1:], prog_name="rcetl")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _run(*args: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False
    )
    last = done.stdout.strip().splitlines()[-1]
    result = json.loads(last)
    return result["code"], set(result["modules"])


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in modules]


def test_importing_the_cli_imports_no_heavy_library() -> None:
    code = "import sys, etl.cli.main; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(done.stdout.split())
    assert _loaded(modules, HEAVY + ALSO_AT_HELP + LIGHT + LIGHT_AT_GROUP_HELP) == []


def _help_invocations() -> list[tuple[str, ...]]:
    """`--help` of the group, of every command, and of every group's subcommands."""
    from etl.cli.main import cli

    calls: list[tuple[str, ...]] = [("--help",)]
    for name in COMMANDS:
        calls.append((name, "--help"))
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        if hasattr(command, "list_commands"):
            for sub in command.list_commands(None):
                calls.append((name, sub, "--help"))
    return calls


@pytest.mark.parametrize("args", _help_invocations(), ids=" ".join)
def test_help_imports_no_heavy_library(args: tuple[str, ...]) -> None:
    code, modules = _run(*args)
    assert code == 0
    assert _loaded(modules, HEAVY + ALSO_AT_HELP + LIGHT) == []
    if args == ("--help",):
        assert _loaded(modules, LIGHT_AT_GROUP_HELP) == []


@pytest.mark.parametrize("columns", ["60", "100"])
def test_help_is_as_wide_as_clicks_own(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The width found without shutil is the one click finds with it."""
    import click

    from etl.cli.main import cli

    monkeypatch.setenv("COLUMNS", columns)
    for args in (["--help"], ["export", "archive", "--help"]):
        done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True)
        ours = done.stdout.rsplit("\n", 2)[0]
        command: click.Command = cli
        # click's own Context: the width from shutil at format time
        ctx = click.Context(cli, info_name="rcetl", **cli.context_settings)
        for name in args[:-1]:
            command = command.get_command(ctx, name)  # type: ignore[attr-defined]
            ctx = click.Context(command, info_name=name, parent=ctx)
        assert ours == command.get_help(ctx), args


def test_every_registered_command_loads_and_its_summary_is_its_help() -> None:
    """`rcetl --help` lists the registered summaries without importing the commands: each must
    say what the command's own help says."""
    from etl.cli.lazy import LazyGroup
    from etl.cli.main import cli

    groups: list[LazyGroup] = [cli]
    while groups:
        group = groups.pop()
        for name, lazy in group.lazy.items():
            command = group.get_command(None, name)  # type: ignore[arg-type]
            assert command is not None and command.name == name, lazy.where
            assert command.get_short_help_str(1000) == lazy.short_help(name, 1000), name
            if isinstance(command, LazyGroup):
                groups.append(command)
    assert set(cli.list_commands(None)) == set(COMMANDS)  # type: ignore[arg-type]


def test_status_imports_sqlalchemy_but_no_pyarrow_httpx_or_simulator(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'status.db'}"
    code, modules = _run("--database-url", url, "status")
    assert code == 0
    assert "sqlalchemy" in modules
    assert _loaded(modules, ("pyarrow", "httpx", "starlette", "uvicorn", "etl.simulator")) == []
