"""CLI start-up: `rcetl --help` and every `rcetl COMMAND --help`, as ratios to a bare
`python -c pass` measured in the same run (issue 15's goal: within 3x).

    .venv/bin/python bench/bench_cli.py [--repeat 7]

Each invocation is a fresh interpreter. What is timed is the CPU time the child used (user +
system, from `getrusage(RUSAGE_CHILDREN)`), the best of `--repeat` runs: on a shared, loaded
machine wall-clock start-up mostly measures the wait for a core, CPU time what start-up costs.
`import click` alone is printed too: it is the floor of any click CLI.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys

RCETL = "from etl.cli.main import cli; cli(prog_name='rcetl')"


def best_of(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        before = _children_cpu()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best = min(best, _children_cpu() - before)
    return best


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
    args = parser.parse_args()
    python = [sys.executable]
    base = best_of([*python, "-c", "pass"], args.repeat)
    floor = best_of([*python, "-c", "import click"], args.repeat)
    print(f"python -c pass: {base * 1000:.0f} ms (1.00x)")
    print(f"import click:   {floor * 1000:.0f} ms ({floor / base:.2f}x)")
    worst = 0.0
    for call in invocations():
        seconds = best_of([*python, "-c", RCETL, *call], args.repeat)
        worst = max(worst, seconds / base)
        print(f"rcetl {' '.join(call):<28} {seconds * 1000:5.0f} ms ({seconds / base:.2f}x)")
    print(f"slowest: {worst:.2f}x python -c pass")


if __name__ == "__main__":
    main()
