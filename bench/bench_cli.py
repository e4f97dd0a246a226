"""CLI start-up: `rcetl --help` and every `rcetl COMMAND --help`, as ratios to a bare
`python -c pass` measured in the same run (issue 15's goal: within 3x).

    .venv/bin/python bench/bench_cli.py [--repeat 7] [--instructions] [--uncached]

Each invocation is a fresh interpreter. What is timed is the CPU time the child used (user +
system, from `getrusage(RUSAGE_CHILDREN)`), the best of `--repeat` runs, the invocations taken in
turn in each round: on a shared, loaded machine wall-clock start-up mostly measures the wait for
a core, CPU time what start-up costs. Under heavy load even CPU time swings by half;
`--instructions` counts the instructions each executes instead (valgrind), which load does not
change (they leave out the kernel's share of start-up, so their ratios run a little higher).
`import click` alone is printed too: it is the floor of any click CLI.

Bytecode is cached, as a user's install has it (pip compiles installed packages; an editable
install writes `__pycache__` on its first run): the children run with their own pycache prefix,
warmed by one untimed run, whatever PYTHONDONTWRITEBYTECODE says. Without it (`--uncached`) each
run compiles every `etl` module it imports again, which is not what start-up costs a user.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable

RCETL = "from etl.cli.main import cli; cli(prog_name='rcetl')"
Measure = Callable[[list[str], dict[str, str] | None], float]


def cpu_of(command: list[str], env: dict[str, str] | None) -> float:
    before = _children_cpu()
    out = subprocess.DEVNULL
    subprocess.run(command, stdout=out, stderr=out, env=env, check=True)
    return _children_cpu() - before


def instructions_of(command: list[str], env: dict[str, str] | None) -> float:
    """Instructions executed (valgrind's cachegrind): what start-up costs, whatever the load."""
    valgrind = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
    ]
    done = subprocess.run(
        [*valgrind, *command], capture_output=True, text=True, env=env, check=True
    )
    refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    assert refs is not None, done.stderr[-500:]
    return float(refs.group(1).replace(",", ""))


def best_of_each(
    commands: list[list[str]], repeat: int, env: dict[str, str] | None, measure: Measure
) -> list[float]:
    """The best of `repeat` measurements of each command, the commands taken in turn in each
    round (so that every one sees the same spells of load); one untimed run of each first
    writes the bytecode cache."""
    for command in commands:
        cpu_of(command, env)
    best = [float("inf")] * len(commands)
    for _ in range(repeat):
        for i, command in enumerate(commands):
            best[i] = min(best[i], measure(command, env))
    return best


def cached_bytecode_env(prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": prefix}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def invocations() -> list[list[str]]:
    import click

    from etl.cli.main import COMMANDS, cli

    calls = [["--help"]]
    for name in COMMANDS:
        calls.append([name, "--help"])
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        if isinstance(command, click.Group):
            calls += [[name, sub, "--help"] for sub in command.list_commands(None)]  # type: ignore[arg-type]
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--uncached", action="store_true", help="compile on every run")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions (valgrind), not CPU time"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as prefix:
        env = None if args.uncached else cached_bytecode_env(prefix)
        if args.instructions:  # deterministic: one round is enough
            run(1, env, instructions_of, "M instructions")
        else:
            run(args.repeat, env, cpu_of, "ms")


def run(repeat: int, env: dict[str, str] | None, measure: Measure, unit: str) -> None:
    python = [sys.executable]
    calls = invocations()
    commands = [[*python, "-c", "pass"], [*python, "-c", "import click"]]
    commands += [[*python, "-c", RCETL, *call] for call in calls]
    base, floor, *results = best_of_each(commands, repeat, env, measure)
    scale = 1000 if unit == "ms" else 1e-6
    print(f"python -c pass: {base * scale:.0f} {unit} (1.00x)")
    print(f"import click:   {floor * scale:.0f} {unit} ({floor / base:.2f}x)")
    for call, value in zip(calls, results, strict=True):
        name = " ".join(call)
        print(f"rcetl {name:<28} {value * scale:5.0f} {unit} ({value / base:.2f}x)")
    print(f"slowest: {max(results) / base:.2f}x python -c pass")


if __name__ == "__main__":
    main()
