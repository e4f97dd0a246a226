"""kill -9 during syncs, then reconcile: no version duplicated or lost. The killed database ends
with exactly the versions of a database synced cleanly at the same moments."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from etl.db import open_database
from etl.sync import reconcile, run_sync
from tests.history.helpers import all_versions
from tests.sync.helpers import live_activity, make_client, make_settings
from tests.sync.test_crash import kill_after, start_sync


def _clean_run(server: Any, engine: Any, creds: dict[str, str], full: bool = False) -> None:
    settings = make_settings(server.url, str(engine.url))
    with make_client(server.url, creds) as client:
        if full:
            reconcile(settings, client, engine)
        else:
            run_sync(settings, client, engine)


def _finish(server: Any, db_url: str, creds: dict[str, str]) -> None:
    """A sync left to complete after the killed ones (resumes from their checkpoints)."""
    proc = start_sync(server, db_url, creds)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]


@pytest.mark.slow
def test_killed_syncs_and_reconcile_neither_duplicate_nor_lose_versions(
    syncer: Any, tmp_path: Path
) -> None:
    sync = syncer()
    server, creds = sync.server, sync.creds
    db_url = sync.engine.url.render_as_string(hide_password=False)
    reference = open_database(f"sqlite:///{tmp_path / 'reference.db'}")
    rng = random.Random(12)
    for requests in (6, 30, 55):
        kill_after(start_sync(server, db_url, creds), server, requests)
    _finish(server, db_url, creds)
    _clean_run(server, reference, creds)
    live_activity(server.ws)  # edits, reactions, pins, deletions of every kind
    admin = creds["user_id"]
    for mid in list(server.ws.ground_truth()["messages"])[:40]:
        doc = server.ws.messages.by_id[mid].doc()
        if not doc.get("t") and doc["rid"] in server.ws.readable_room_ids(admin):
            server.ws.mutate.edit_message(mid, admin, f"{doc.get('msg')} (edited)")
    for _ in range(3):
        kill_after(start_sync(server, db_url, creds), server, rng.randint(3, 25))
    _finish(server, db_url, creds)
    _clean_run(server, reference, creds)
    sync.engine.dispose()
    killed = all_versions(sync.engine)
    assert killed == all_versions(reference)
    assert any(kind == "edited" for _m, _v, kind, *_ in killed)
    # A reconcile re-reads everything: it adds the `_hidden`-only deletion and nothing else.
    _clean_run(server, sync.engine, creds, full=True)
    _clean_run(server, reference, creds, full=True)
    after = all_versions(sync.engine)
    assert after == all_versions(reference)
    assert [row[2] for row in after - killed] == ["deleted"]
    reference.dispose()
