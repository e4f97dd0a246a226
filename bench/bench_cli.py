"""CLI start-up: `rcetl --help` and every `rcetl COMMAND --help`, as ratios to a bare
`python -c pass` measured in the same run (issue 15's goal: within 3x).

    .venv/bin/python bench/bench_cli.py [--repeat 7]

Each invocation is a fresh interpreter. What is timed is the CPU time the child used (user +
system, from `getrusage(RUSAGE_CHILDREN)`), the best of `--repeat` runs: on a shared, loaded
machine wall-clock start-up mostly measures the wait for a core, CPU time what start-up costs.
`import click` alone is printed too: it is the floor of any click CLI.

Bytecode is cached, as a user's install has it (pip compiles installed packages; an editable
install writes `__pycache__` on its first run): the children run with their own pycache prefix,
warmed by one untimed run, whatever PYTHONDONTWRITEBYTECODE says. Without it (`--uncached`) each
run compiles every `etl` module it imports again, which is not what start-up costs a user.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile

RCETL = "from etl.cli.main import cli; cli(prog_name='rcetl')"


def best_of(command: list[str], repeat: int, env: dict[str, str] | None = None) -> float:
    def once() -> None:
        out = subprocess.DEVNULL
        subprocess.run(command, stdout=out, stderr=out, env=env, check=True)

    once()  # untimed: writes the bytecode cache
    best = float("inf")
    for _ in range(repeat):
        before = _children_cpu()
        once()
        best = min(best, _children_cpu() - before)
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as prefix:
        run(args.repeat, None if args.uncached else cached_bytecode_env(prefix))


def run(repeat: int, env: dict[str, str] | None) -> None:
    python = [sys.executable]
    base = best_of([*python, "-c", "pass"], repeat, env)
    floor = best_of([*python, "-c", "import click"], repeat, env)
    print(f"python -c pass: {base * 1000:.0f} ms (1.00x)")
    print(f"import click:   {floor * 1000:.0f} ms ({floor / base:.2f}x)")
    worst = 0.0
    for call in invocations():
        seconds = best_of([*python, "-c", RCETL, *call], repeat, env)
        worst = max(worst, seconds / base)
        print(f"rcetl {' '.join(call):<28} {seconds * 1000:5.0f} ms ({seconds / base:.2f}x)")
    print(f"slowest: {worst:.2f}x python -c pass")


if __name__ == "__main__":
    main()
