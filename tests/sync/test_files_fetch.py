"""One download against the simulator's route, from the states a killed run can leave: no part,
a prefix, the whole file (416: complete), a part longer than the file (416: start over)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from etl.files.fetch import Download, download_path
from etl.simulator.uploads import file_content
from tests.sync.helpers import make_client


@pytest.mark.parametrize("kept", ["none", "prefix", "whole", "too long"])
def test_download_from_any_part(serve: Any, tmp_path: Path, kept: str) -> None:
    server = serve()
    ws, admin = server.ws, server.ws.credentials["admin"]
    up = next(u for u in ws.uploads.values() if ws.is_subscribed(admin["user_id"], u["rid"]))
    data = file_content(ws, up)
    part = tmp_path / "x.part"
    prefill = {"none": None, "prefix": data[:1000], "whole": data, "too long": data + b"!!"}[kept]
    if prefill is not None:
        part.write_bytes(prefill)
    with make_client(server.url, admin) as client, httpx.Client() as http:
        got = Download(client, http, download_path(up["_id"], up["name"]), part).run()
    assert got.sha256 == hashlib.sha256(data).hexdigest() and got.size == len(data)
    assert part.read_bytes() == data
    ranges = [r.range for r in server.files.requests]
    assert ranges[0] == (None if prefill is None else f"bytes={len(prefill)}-")
