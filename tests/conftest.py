"""Shared fixtures: the simulator (tests/_sim_fixtures.py) and the databases (tests/_db_fixtures.py)."""

from tests._db_fixtures import *  # noqa: F403
from tests._sim_fixtures import *  # noqa: F403
