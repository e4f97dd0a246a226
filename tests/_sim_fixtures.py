"""Simulator fixtures (owned by the simulator work): a tiny workspace, servers on free ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from etl.simulator import SimOptions, SimServer, build_workspace
from etl.simulator.workspace import Workspace

__all__ = ["sim_server", "sim_workspace"]


@pytest.fixture
def sim_workspace() -> Workspace:
    """A fresh tiny workspace (seed 1): builds in a few milliseconds, so every test gets its own."""
    return build_workspace(seed=1, size="tiny")


@pytest.fixture
def sim_server(sim_workspace: Workspace) -> Iterator[Callable[..., SimServer]]:
    """Factory `sim_server(ws=None, **SimOptions fields)`: started; all stop at teardown."""
    started: list[SimServer] = []

    def start(ws: Workspace | None = None, **options: Any) -> SimServer:
        server = SimServer(ws if ws is not None else sim_workspace, SimOptions(**options))
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()
