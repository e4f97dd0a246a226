"""Omnichannel over the simulator, on SQLite and PostgreSQL: a full sync, an incremental one after
chats, departments, agents and triggers changed, the permission skips, and the README's queries."""

from __future__ import annotations

import math
import re
from pathlib import Path
from statistics import mean
from typing import Any

from sqlalchemy import select, text

from etl.schema import metadata
from etl.simulator import SimOptions
from etl.simulator import livechat_writes as lw
from tests.sync.helpers import deleted_ids, live_rows

OMNICHANNEL = (
    "livechat_departments",
    "livechat_department_agents",
    "livechat_agents",
    "livechat_managers",
    "livechat_custom_fields",
    "livechat_rooms",
    "livechat_visitors",
    "livechat_inquiries",
    "livechat_triggers",
    "livechat_office_hours",
)
README = Path(__file__).resolve().parents[2] / "README.md"


def expected(ws: Any) -> dict[str, set[str]]:
    """The ids each omnichannel table must hold, from the simulator's own state."""
    lc = ws.livechat
    chats = [r for r in ws.rooms.values() if r["t"] == "l"]
    referenced = {r["v"]["_id"] for r in chats}
    return {
        "livechat_rooms": {r["_id"] for r in chats},
        "livechat_departments": set(lc.departments),
        "livechat_department_agents": set(lc.department_agents),
        "livechat_agents": {u for u, d in ws.users.items() if "livechat-agent" in d["roles"]},
        "livechat_managers": {u for u, d in ws.users.items() if "livechat-manager" in d["roles"]},
        "livechat_custom_fields": set(lc.custom_fields),
        "livechat_visitors": referenced & set(lc.visitors),
        "livechat_inquiries": {i["_id"] for i in lc.inquiries.values() if i["status"] == "queued"},
        "livechat_triggers": set(lc.triggers),
        "livechat_office_hours": set(lc.office_hours),
    }


def assert_level(sync: Any) -> None:
    ws = sync.server.ws
    for table, ids in expected(ws).items():
        assert set(live_rows(sync.engine, table)) == ids, table
    rooms = live_rows(sync.engine, "livechat_rooms")
    for rid, raw in rooms.items():
        room = ws.rooms[rid]
        fields = ("open", "closedAt", "servedBy", "departmentId", "tags", "metrics")
        assert {k: raw.get(k) for k in fields} == {k: room.get(k) for k in fields}, rid
    transfers = [
        m
        for m in ws.ground_truth()["messages"].values()
        if m.get("t") == "livechat_transfer_history"
    ]
    t = metadata.tables["livechat_transfers"]
    with sync.engine.connect() as conn:
        stored = {r.message_id: r for r in conn.execute(select(t))}
    assert set(stored) == {m["_id"] for m in transfers}
    for m in transfers:
        data = m["transferData"]
        row = stored[m["_id"]]
        assert row.room_id == m["rid"] and row.scope == data["scope"]
        assert row.transferred_to_id == (data.get("transferredTo") or {}).get("_id")
        assert row.next_department_id == (data.get("nextDepartment") or {}).get("_id")


def test_full_then_incremental_after_changes_and_deletions(syncer: Any) -> None:
    sync = syncer()
    ws = sync.server.ws
    first = sync.run()
    assert first.status == "ok", first.errors
    assert first.skipped == {}
    assert_level(sync)
    with sync.engine.connect() as conn:
        tags = conn.execute(text("SELECT COUNT(*) FROM livechat_room_tags")).scalar_one()
        data = conn.execute(text("SELECT key, value FROM livechat_visitor_data")).all()
    assert tags == sum(len(r.get("tags", [])) for r in ws.rooms.values() if r["t"] == "l")
    assert {k for k, _ in data} == {"plan"} and len(data) == len(expected(ws)["livechat_visitors"])

    chats = {r["_id"]: r for r in ws.rooms.values() if r["t"] == "l"}
    open_chat = next(r for r in chats.values() if r.get("open") and "servedBy" in r)
    queued = next(r for r in chats.values() if r.get("open") and "servedBy" not in r)
    deps = sorted(ws.livechat.departments.values(), key=lambda d: d["name"])
    sales, support = deps
    agent = open_chat["servedBy"]["_id"]
    ws.mutate.advance_clock(5)
    gone_visitor = lw.delete_visitor(ws, open_chat["v"]["_id"])
    lw.close_chat(ws, open_chat["_id"], agent)
    lw.transfer_chat(ws, queued["_id"], agent, agent, sales["_id"])
    new = lw.new_chat(ws, "Fay Zhou", support["_id"], agent)
    lw.rename_department(ws, sales["_id"], "Sales EMEA")
    removed_link = lw.remove_agent(
        ws, sales["_id"], ws.livechat.agents_of(sales["_id"])[0]["agentId"]
    )
    lw.remove_department(ws, support["_id"])
    lw.remove_trigger(ws, next(iter(ws.livechat.triggers)))
    ws.mutate.advance_clock(5)
    sync.server.request_log.clear()

    second = sync.run()
    assert second.status == "ok", second.errors
    assert_level(sync)
    assert new["_id"] in live_rows(sync.engine, "livechat_rooms")
    assert removed_link["_id"] not in live_rows(sync.engine, "livechat_department_agents")
    assert gone_visitor["_id"] in deleted_ids(sync.engine, "livechat_visitors")
    # Only the visitors of the three changed chats were read again, and only Sales's agents.
    assert sync.server.request_log.count("livechat/visitors.info") == 3
    dep_reads = [
        k for k in sync.server.request_log.counts() if k.startswith("livechat/department/")
    ]
    assert dep_reads == [f"livechat/department/{sales['_id']}"]
    # The incremental chat walk stopped at the watermark: one page, newest first.
    assert sync.server.request_log.count("livechat/rooms") == 1

    sync.server.request_log.clear()
    third = sync.run(list(OMNICHANNEL))  # nothing changed: nothing rewritten
    assert third.status == "ok"
    assert all(third.counts(r).upserted == 0 for r in OMNICHANNEL)
    # no per-item reads: 6 count=0 listings and their confirming pages, office hours, one page
    # of livechat/rooms newest first
    assert third.requests == sync.server.request_log.count() <= 14


def test_a_token_without_omnichannel_permissions_skips_them(syncer: Any) -> None:
    sync = syncer(who="user")
    summary = sync.run(list(OMNICHANNEL))
    assert summary.status == "ok", summary.errors
    assert set(summary.skipped) == set(OMNICHANNEL)
    assert not [f for f in summary.failures if not f.expected]
    assert sync.server.request_log.count("livechat/rooms", status=403) == 1


def test_a_server_without_office_hours_skips_them(syncer: Any) -> None:
    sync = syncer(SimOptions())
    sync.server.ws.livechat.office_hours_removed = True
    summary = sync.run(["livechat_office_hours", "livechat_triggers"])
    assert summary.status == "ok", summary.errors
    assert set(summary.skipped) == {"livechat_office_hours"}
    assert "404" in summary.skipped["livechat_office_hours"]


def readme_queries() -> dict[str, str]:
    """The README's omnichannel queries: ```sql blocks that start with `-- omnichannel: <name>`."""
    blocks = re.findall(r"```sql\n(-- omnichannel: ([^\n]+)\n.*?)```", README.read_text(), re.S)
    return {name.strip(): sql for sql, name in blocks}


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def test_readme_queries_answer_on_both_databases(syncer: Any) -> None:
    sync = syncer()
    assert sync.run().status == "ok"
    ws = sync.server.ws
    chats = [r for r in ws.rooms.values() if r["t"] == "l"]
    served = [r for r in chats if "servedBy" in r]
    deps = {d["_id"]: d["name"] for d in ws.livechat.departments.values()}
    queries = readme_queries()
    assert set(queries) == {"per agent", "per department", "chat duration", "transfers"}
    with sync.engine.connect() as conn:
        rows = {name: conn.execute(text(sql)).all() for name, sql in queries.items()}

    def first_response(group: list[dict[str, Any]]) -> float | None:
        times = [r["metrics"]["response"]["ft"] for r in group if "response" in r["metrics"]]
        return mean(times) if times else None

    agents = sorted({r["servedBy"]["username"] for r in served})
    want_agents = [
        (a, len(g), first_response(g))
        for a in agents
        for g in [[r for r in served if r["servedBy"]["username"] == a]]
    ]
    got = [(r[0], r[1], r[2]) for r in rows["per agent"]]
    assert [(a, n) for a, n, _ in got] == [(a, n) for a, n, _ in want_agents]
    assert all(_close(x[2], y[2]) for x, y in zip(got, want_agents, strict=True))

    names = sorted({deps[r["departmentId"]] for r in chats})
    want_deps = [
        (d, len(g), first_response(g))
        for d in names
        for g in [[r for r in chats if deps[r["departmentId"]] == d]]
    ]
    got = [(r[0], r[1], r[2]) for r in rows["per department"]]
    assert [(d, n) for d, n, _ in got] == [(d, n) for d, n, _ in want_deps]
    assert all(_close(x[2], y[2]) for x, y in zip(got, want_deps, strict=True))

    closed = [r["metrics"]["chatDuration"] for r in chats if "closedAt" in r]
    ((count, average),) = rows["chat duration"]
    assert count == len(closed) and _close(average, mean(closed))
    assert [tuple(r) for r in rows["transfers"]] == [
        (
            m["transferData"]["transferredBy"]["username"],
            m["transferData"]["transferredTo"]["username"],
            1,
        )
        for m in ws.ground_truth()["messages"].values()
        if m.get("t") == "livechat_transfer_history"
    ]
