"""A faithful Rocket.Chat server simulator: workspace generator, REST API over HTTP, live writes,
faults.

The names below are imported on first use: `rcetl simulate --help` reads `SIZES` without
loading the HTTP server (starlette, uvicorn).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from etl.simulator.faults import FaultSpec, parse_faults
    from etl.simulator.generate import build_workspace
    from etl.simulator.options import SimOptions
    from etl.simulator.server import SimServer
    from etl.simulator.sizes import SIZES
    from etl.simulator.workspace import Workspace

_HOMES = {
    "SIZES": "etl.simulator.sizes",
    "FaultSpec": "etl.simulator.faults",
    "SimOptions": "etl.simulator.options",
    "SimServer": "etl.simulator.server",
    "Workspace": "etl.simulator.workspace",
    "build_workspace": "etl.simulator.generate",
    "parse_faults": "etl.simulator.faults",
}

__all__ = [
    "SIZES",
    "FaultSpec",
    "SimOptions",
    "SimServer",
    "Workspace",
    "build_workspace",
    "parse_faults",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
