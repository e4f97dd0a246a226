"""Replays a feed the way a warehouse would, following the documented rule, into plain dicts.

For each run in order: (1) upsert every `<table>/changes` row by id; (2) for each child table,
drop the children of every parent touched in the run (parent in the parent's changes, parent
named by a child row of the run, or parent purged) and insert the run's child rows; (3) delete the
rows whose `<table>/deletions` entry has `purged = true`. Audit tables (`legal_holds`) are
upserted by their primary key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.export.fs import Location, open_location
from etl.schema import AUDIT_TABLES, CHILD_TABLES, SYNCED_TABLES
from tests.export._data import arrow_rows


def _dataset(location: Location, manifest: dict[str, Any], name: str) -> pa.Table | None:
    entry = manifest["tables"].get(name)
    if not entry or not entry["files"]:
        return None
    return pa.concat_tables(
        pq.read_table(location.full(f["path"]), filesystem=location.fs) for f in entry["files"]
    )


def _run_slice(table: pa.Table | None, run: int) -> pa.Table | None:
    if table is None:
        return None
    return table.filter(pc.equal(table.column("_feed_run"), run))


def replay(out: Path | str) -> dict[str, dict[Any, dict[str, Any]]]:
    """The feed at `out` (a folder or URI) replayed into {table: {primary key: row}}."""
    location = open_location(str(out))
    manifest = json.loads(location.read_bytes("manifest.json"))
    tables = [*SYNCED_TABLES, *CHILD_TABLES, *AUDIT_TABLES]
    changes = {t: _dataset(location, manifest, f"{t}/changes") for t in tables}
    deletions = {t: _dataset(location, manifest, f"{t}/deletions") for t in SYNCED_TABLES}
    state: dict[str, dict[Any, dict[str, Any]]] = {t: {} for t in tables}
    for run in sorted(r["run"] for r in manifest["runs"]):
        run_changes = {}
        for t in tables:
            sliced = _run_slice(changes[t], run)
            run_changes[t] = arrow_rows(sliced, t) if sliced is not None else {}
        purged: dict[str, set[str]] = {}
        for t in AUDIT_TABLES:
            state[t].update(run_changes[t])
        for t in SYNCED_TABLES:
            state[t].update(run_changes[t])
            sliced = _run_slice(deletions[t], run)
            rows = sliced.to_pylist() if sliced is not None else []
            purged[t] = {r["id"] for r in rows if r["purged"]}
        for child, (parent, column) in CHILD_TABLES.items():
            touched = set(run_changes[parent]) | purged[parent]
            touched |= {row[column] for row in run_changes[child].values()}
            state[child] = {k: v for k, v in state[child].items() if v[column] not in touched}
            state[child].update(run_changes[child])
        for t in SYNCED_TABLES:
            for row_id in purged[t]:
                state[t].pop(row_id, None)
    return state
