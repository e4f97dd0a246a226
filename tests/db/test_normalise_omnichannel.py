"""Omnichannel documents -> rows: the chat's typed columns and metrics, tags and livechatData as
child rows, a transfer message's `livechat_transfers` row, visitors' first email and phone."""

from __future__ import annotations

import datetime as dt

import pytest

from etl.normalise import NormaliseError, normalise
from tests.db.samples import message
from tests.db.samples_omnichannel import OMNICHANNEL_DOCS, closed_chat, transfer_message


def test_a_closed_chat_has_its_metrics_and_people_in_columns() -> None:
    record = normalise("livechat_rooms", closed_chat())
    row = record.row
    assert row["open"] is False  # closing unsets `open`
    assert row["closed_at"] == dt.datetime(2024, 1, 1, 10, 10, tzinfo=dt.UTC)
    assert (row["closer"], row["closed_by_username"]) == ("user", "agent")
    assert (row["visitor_id"], row["visitor_token"], row["served_by_id"]) == ("V1", "tok1", "A1")
    assert (row["department_id"], row["source_type"]) == ("D1", "widget")
    assert row["first_response_time"] == 30.0 and row["response_avg"] == 45.0
    assert (row["response_count"], row["first_reaction_time"]) == (2, 10.0)
    assert (row["chat_duration"], row["service_time_duration"]) == (600.0, 590.5)
    assert row["visitor_last_query"] == dt.datetime(2024, 1, 1, 10, 1, tzinfo=dt.UTC)
    assert row["agent_last_reply"] == dt.datetime(2024, 1, 1, 10, 2, tzinfo=dt.UTC)
    assert [t["tag"] for t in record.children["livechat_room_tags"]] == ["billing", "vip"]
    data = {d["key"]: d["value"] for d in record.children["livechat_room_data"]}
    assert data == {"order": "A-1", "amount": 12.5}


def test_an_open_chat_and_a_mistyped_metric() -> None:
    row = normalise("livechat_rooms", closed_chat(open=True, closedAt=None)).row
    assert row["open"] is True and row["closed_at"] is None
    with pytest.raises(NormaliseError, match="chatDuration"):
        normalise("livechat_rooms", closed_chat(metrics={"chatDuration": "long"}))


def test_a_transfer_message_gets_its_transfer_row() -> None:
    record = normalise("messages", transfer_message())
    (row,) = record.children["livechat_transfers"]
    assert (row["message_id"], row["room_id"], row["scope"]) == ("M1", "L1", "department")
    assert (row["transferred_by_id"], row["transferred_to_username"]) == ("A1", "other")
    assert (row["previous_department_id"], row["next_department_id"]) == ("D1", "D2")
    assert row["comment"] == "billing question"
    assert "livechat_transfers" not in normalise("messages", message()).children


def test_visitors_agents_and_links() -> None:
    visitor = normalise("livechat_visitors", OMNICHANNEL_DOCS["livechat_visitors"])
    assert (visitor.row["email"], visitor.row["phone"]) == ("ana@x.example", "+1555")
    assert visitor.children["livechat_visitor_data"] == [
        {"visitor_id": "V1", "key": "plan", "value": "pro"}
    ]
    agent = normalise("livechat_agents", OMNICHANNEL_DOCS["livechat_agents"]).row
    assert (agent["status_livechat"], agent["email"]) == ("available", "a@x.example")
    link = normalise("livechat_department_agents", OMNICHANNEL_DOCS["livechat_department_agents"])
    assert (link.row["agent_order"], link.row["count"]) == (0, 3)
