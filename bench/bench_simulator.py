"""Serving rate, build time and memory of the Rocket.Chat simulator, with a same-run baseline.

    .venv/bin/python bench/bench_simulator.py [--size tiny|small|medium|large] [--seconds 5]

The simulator runs in a subprocess (client and server must not share the GIL); it reports its own
build time and RSS. The client uses the stdlib `http.client` over one keep-alive connection and
decodes every page with orjson. Rates:
- baseline: raw HTTP round trips to `/api/info` (the cheapest answer the server has);
- `channels.messages` pages of 100 (offset paging, `sort={"ts":1,"_id":1}`) over the busiest rooms;
- `chat.syncMessages` cursor pages of 1000 (`type=UPDATED`, `next` from each page's cursor).
Only the ratios between lines of one run mean anything: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode, urlsplit

import orjson
import psutil


def serve(size: str) -> None:
    """Child process: build, report build time and RSS as a JSON line, serve until stdin closes."""
    from etl.simulator import SimServer, build_workspace

    started = time.perf_counter()
    ws = build_workspace(seed=1, size=size)
    built = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # the workspace is long-lived: keep the collector off it while serving
    server = SimServer(ws).start()
    rooms = sorted(ws.rooms, key=ws.messages.count_visible, reverse=True)
    admin = ws.credentials["admin"]
    readable = ws.readable_room_ids(admin["user_id"])
    report = {
        "url": server.url,
        "user_id": admin["user_id"],
        "token": admin["token"],
        "build_s": built,
        "rss_mib": psutil.Process().memory_info().rss / 2**20,
        "messages": len(ws.messages.by_id),
        "rooms": [r for r in rooms if r in readable][:50],
        "channels": [r for r in rooms if r in readable and ws.rooms[r]["t"] == "c"][:50],
    }
    print(json.dumps(report), flush=True)
    sys.stdin.read()
    print(json.dumps({"rss_mib": psutil.Process().memory_info().rss / 2**20}), flush=True)
    server.stop()


PAGE_TAIL = re.compile(rb'"count":(\d+),"offset":\d+,"total":(\d+),"success":true}$')
CURSOR_NEXT = re.compile(rb'"cursor":\{"next":(?:null|"(\d+)")')


class Api:
    """One keep-alive connection; `decode=False` reads pages without parsing them (server rate)."""

    def __init__(self, url: str, user_id: str, token: str, decode: bool) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.headers = {"X-User-Id": user_id, "X-Auth-Token": token}
        self.decode = decode

    def get(self, path: str, params: dict | None = None) -> bytes:
        query = "?" + urlencode(params) if params else ""
        self.conn.request("GET", path + query, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {body[:200]!r}")
        return body

    def page(self, params: dict) -> tuple[int, int]:
        """(messages in the page, total) of one `channels.messages` page."""
        body = self.get("/api/v1/channels.messages", params)
        if self.decode:
            page = orjson.loads(body)
            return len(page["messages"]), page["total"]
        match = PAGE_TAIL.search(body)
        assert match is not None, body[-200:]
        return int(match.group(1)), int(match.group(2))

    def sync(self, params: dict) -> tuple[int, str | None]:
        """(messages in the page, next cursor) of one `chat.syncMessages` cursor page."""
        body = self.get("/api/v1/chat.syncMessages", params)
        if self.decode:
            result = orjson.loads(body)["result"]
            return len(result["updated"]), result["cursor"]["next"]
        match = CURSOR_NEXT.search(body, max(0, len(body) - 200))
        assert match is not None, body[-200:]
        nxt = match.group(1)
        return body.count(b'"rid":"'), nxt.decode() if nxt else None


def timed(seconds: float, pages: Iterator[int]) -> tuple[float, float, int]:
    """Runs `pages` (each yields the number of messages it got) for about `seconds`."""
    count = messages = 0
    started = time.perf_counter()
    for got in pages:
        count += 1
        messages += got
        if time.perf_counter() - started >= seconds:
            break
    elapsed = time.perf_counter() - started
    return count / elapsed, messages / elapsed, count


def baseline(api: Api) -> Iterator[int]:
    while True:
        api.get("/api/info")
        yield 0


def message_pages(api: Api, rooms: list[str]) -> Iterator[int]:
    while True:
        for rid in rooms:
            offset, total = 0, 1
            while offset < total:
                params = {"roomId": rid, "count": 100, "offset": offset, "sort": '{"ts":1,"_id":1}'}
                got, total = api.page(params)
                offset += got
                yield got


def sync_pages(api: Api, rooms: list[str]) -> Iterator[int]:
    while True:
        for rid in rooms:
            cursor: str | None = "0"
            while cursor is not None:
                params = {"roomId": rid, "type": "UPDATED", "next": cursor, "count": 1000}
                got, cursor = api.sync(params)
                yield got


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--size", default="medium", choices=("tiny", "small", "medium", "large"))
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="duration of each measured phase"
    )
    parser.add_argument("--serve", metavar="SIZE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", args.size],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(child.stdout.readline())
        report(args, info)
    finally:
        child.stdin.close()
        after = json.loads(child.stdout.readline() or "{}")
        child.wait(timeout=30)
    print(f"server RSS after serving: {after.get('rss_mib', float('nan')):.0f} MiB")


def report(args: argparse.Namespace, info: dict) -> None:
    print(f"simulator size={args.size}: {info['messages']:,} messages")
    print(f"  build time {info['build_s']:.1f} s, server RSS after build {info['rss_mib']:.0f} MiB")
    raw = Api(info["url"], info["user_id"], info["token"], decode=False)
    decoded = Api(info["url"], info["user_id"], info["token"], decode=True)
    rooms = info["rooms"][:10]
    channels = info["channels"][:10]
    phases: list[tuple[str, Callable[[], Iterator[int]]]] = [
        ("baseline: /api/info round trip", lambda: baseline(raw)),
        ("channels.messages 100/page, read", lambda: message_pages(raw, channels)),
        ("channels.messages 100/page, decoded", lambda: message_pages(decoded, channels)),
        ("chat.syncMessages 1000/page, read", lambda: sync_pages(raw, rooms)),
        ("chat.syncMessages 1000/page, decoded", lambda: sync_pages(decoded, rooms)),
    ]
    base = None
    for label, pages in phases:
        per_s, msgs_per_s, n = timed(args.seconds, pages())
        base = base or per_s
        extra = f" {msgs_per_s:10,.0f} msgs/s" if msgs_per_s else " " * 18
        print(f"  {label:38s} {per_s:7,.0f} pages/s{extra}  ratio {per_s / base:.3f}  ({n} pages)")


if __name__ == "__main__":
    main()
