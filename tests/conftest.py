"""Shared fixtures: the simulator (tests/_sim_fixtures.py), the databases (_db_fixtures) and
loopback ports (_net_fixtures); all are safe under pytest-xdist (README, Development, Tests)."""

from tests._db_fixtures import *  # noqa: F403
from tests._net_fixtures import *  # noqa: F403
from tests._sim_fixtures import *  # noqa: F403
