"""`rcetl check` and the omnichannel resources: a token without the livechat permissions cannot
read them; a server without the deprecated office-hours route does not fail the check."""

from __future__ import annotations

import orjson

from tests.cli.test_check import run_check

OMNICHANNEL_PROBES = {
    "livechat_rooms": "livechat/rooms",
    "livechat_departments": "livechat/department",
    "livechat_agents": "livechat/users/agent",
    "livechat_managers": "livechat/users/manager",
    "livechat_inquiries": "livechat/inquiries.list",
    "livechat_triggers": "livechat/triggers",
    "livechat_custom_fields": "livechat/custom-fields",
    "livechat_office_hours": "livechat/office-hours",
}


def _report(server, who: str, *args: str) -> tuple[int, dict]:
    result = run_check(server, who, *args)
    return result.exit_code, orjson.loads(result.stdout)


def test_the_admin_reads_omnichannel_and_a_plain_user_does_not(sim_server) -> None:
    server = sim_server()
    code, report = _report(server, "admin")
    assert code == 0
    rows = {r["resource"]: r for r in report["resources"]}
    assert all(rows[name]["readable"] for name in OMNICHANNEL_PROBES)
    assert {name: rows[name]["endpoint"] for name in OMNICHANNEL_PROBES} == OMNICHANNEL_PROBES
    code, report = _report(server, "user")
    rows = {r["resource"]: r for r in report["resources"]}
    assert code == 3
    assert not any(rows[name]["readable"] for name in OMNICHANNEL_PROBES)
    assert "HTTP 403" in rows["livechat_rooms"]["detail"]


def test_a_server_without_office_hours_passes_the_check(sim_server) -> None:
    server = sim_server()
    server.ws.livechat.office_hours_removed = True
    code, report = _report(server, "admin")
    row = next(r for r in report["resources"] if r["resource"] == "livechat_office_hours")
    assert code == 0
    assert (row["readable"], row["available"]) == (False, False)
    assert "not available" in row["detail"]
