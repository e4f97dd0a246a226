"""The steps of `rcetl demo` (imported when the command runs: they need the simulator, the
sync and the exporter)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

from etl.client import Credentials, RocketChatClient
from etl.config import Settings, load_settings
from etl.db import using_database
from etl.export import export_archive
from etl.export.describe import describe_archive
from etl.schema import metadata
from etl.sync import SyncSummary, run_sync
from etl.sync.progress import LogProgress


@dataclass
class DemoRun:
    """What the demo steps share: where things go, the settings, the client, the database."""

    out: Path
    settings: Settings
    client: RocketChatClient
    engine: Engine
    console: Console
    server_url: str
    summary: SyncSummary | None = None
    notes: list[str] = field(default_factory=list)  # "what it did", one line per step


DemoStep = Callable[[DemoRun], None]


def sync_step(run: DemoRun) -> None:
    run.console.print(f"syncing {run.server_url} into {run.settings.database.url} ...")
    run.summary = run_sync(run.settings, run.client, run.engine, progress=LogProgress())
    s = run.summary
    run.notes.append(
        f"sync: {s.total('upserted')} rows written in {s.requests} requests "
        f"({s.status}); {len(s.unreadable_rooms)} room(s) not readable by the demo token"
    )


def export_step(run: DemoRun) -> None:
    archive = run.out / "archive"
    version = run.client.server_version()
    manifest = export_archive(
        run.engine, str(archive), server_url=run.server_url, server_version=version
    )
    run.console.print(describe_archive(manifest, title=f"Parquet archive {archive}"))
    files = sum(len(t["files"]) for t in manifest["tables"].values())
    run.notes.append(
        f"export: {files} Parquet files + manifest.json in {archive} "
        f"(check: rcetl export verify {archive}; read: duckdb, pandas.read_parquet)"
    )


def report_step(run: DemoRun) -> None:
    table = Table(title=f"Database {run.out / 'rcetl.db'}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    with run.engine.connect() as conn:
        for name in (
            "rooms", "messages", "message_reactions", "users", "room_members", "subscriptions",
            "roles", "permissions", "custom_emoji", "custom_sounds", "teams", "settings", "uploads",
            "livechat_rooms", "integrations", "server_statistics",
        ):  # fmt: skip
            rows = conn.execute(select(func.count()).select_from(metadata.tables[name]))
            table.add_row(name, str(rows.scalar_one()))
    run.console.print(table)
    for note in run.notes:
        run.console.print(f"- {note}")
    run.console.print(
        f"\nThe data is in [bold]{run.out / 'rcetl.db'}[/bold] (SQLite). Try:\n"
        f"  sqlite3 {run.out / 'rcetl.db'} 'select rid, count(*) from messages group by rid'\n"
        f"  rcetl --database-url {run.settings.database.url} status"
    )


# The demo's flow: sync the simulator, export an archive, show what landed where.
STEPS: list[DemoStep] = [sync_step, export_step, report_step]


@contextmanager
def simulator(size: str, seed: int) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """A simulated server in a background thread: (server, url, admin credentials)."""
    from etl.simulator import SimOptions, SimServer, build_workspace

    workspace = build_workspace(seed=seed, size=size)
    server = SimServer(workspace, SimOptions(), host="127.0.0.1", port=0)
    server.start()
    try:
        yield server, server.url, workspace.credentials["admin"]
    finally:
        server.stop()


def run_demo(size: str, out: Path, seed: int) -> None:
    """The demo: simulator, sync, export, report (see `rcetl demo --help`)."""
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{(out / 'rcetl.db').resolve()}"
    console.print(f"starting the simulator ({size} workspace, seed {seed}) ...")
    with simulator(size, seed) as (_server, url, admin):
        settings = load_settings(None, {"server.url": url, "database.url": db_url}, environ={})
        creds = Credentials(user_id=admin["user_id"], token=admin["token"])
        with using_database(db_url) as engine, RocketChatClient(url, creds) as client:
            run = DemoRun(out, settings, client, engine, console, url)
            for step in STEPS:
                step(run)
