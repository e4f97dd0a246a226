"""A faithful Rocket.Chat server simulator: workspace generator, REST API over HTTP, live writes,
faults.
"""

from etl.simulator.faults import FaultSpec, parse_faults
from etl.simulator.generate import SIZES, build_workspace
from etl.simulator.options import SimOptions
from etl.simulator.server import SimServer
from etl.simulator.workspace import Workspace

__all__ = [
    "SIZES",
    "FaultSpec",
    "SimOptions",
    "SimServer",
    "Workspace",
    "build_workspace",
    "parse_faults",
]
