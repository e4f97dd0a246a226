"""`rcetl demo`: sync a simulated server into SQLite and show what landed where (the steps are in
`etl.cli.demo_run`, imported when the command runs)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option("--size", type=click.Choice(["tiny", "small"]), default="small", show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("rcetl-demo"),
    show_default=True,
    help="Directory for the SQLite database and the Parquet archive.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Workspace generator seed.")
def demo_cmd(size: str, out: Path, seed: int) -> None:
    """Sync a simulated Rocket.Chat server into SQLite, then show what landed where.

    No server or credentials needed: the bundled simulator runs inside this process.

    \b
    Examples:
      rcetl demo                        # small workspace -> ./rcetl-demo/
      rcetl demo --size tiny --out /tmp/demo
    """
    from etl.cli.demo_run import run_demo

    run_demo(size, out, seed)
