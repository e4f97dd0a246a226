"""Shared fixtures: the simulator (tests/_sim_fixtures.py) and the databases (_db_fixtures)."""

from tests._db_fixtures import *  # noqa: F403
from tests._sim_fixtures import *  # noqa: F403
