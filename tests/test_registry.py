"""The catalogue is the one registry of resources: what else names them derives from it."""

from __future__ import annotations

from etl import catalogue
from etl.config import ALL_RESOURCES
from etl.schema import CHILD_TABLES, SYNCED_TABLES
from etl.sync import engine


def test_config_engine_and_probes_derive_from_the_catalogue() -> None:
    names = tuple(catalogue.RESOURCES)
    assert names == ALL_RESOURCES
    assert names == engine.ORDER
    assert set(catalogue.PROBES) == set(names)
    assert set(engine.PER_ROOM) == {n for n, spec in catalogue.RESOURCES.items() if spec.per_room}


def test_every_resource_fills_a_table_of_the_schema() -> None:
    for name, spec in catalogue.RESOURCES.items():
        assert spec.table in SYNCED_TABLES or spec.table in CHILD_TABLES, (name, spec.table)
