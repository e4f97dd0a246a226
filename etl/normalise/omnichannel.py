"""Omnichannel documents: livechat rooms, visitors, departments and their agents, agents and
managers, custom fields, inquiries, triggers, office hours, and transfer history messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from etl.normalise.fields import (
    boolean,
    date,
    doc_id,
    integer,
    items,
    key_text,
    number,
    obj,
    text,
)
from etl.normalise.record import Record, Rows

TRANSFER_TYPE = "livechat_transfer_history"


def normalise_livechat_room(doc: dict[str, Any]) -> Record:
    rid = doc_id(doc)
    visitor, served, metrics = obj(doc, "v"), obj(doc, "servedBy"), obj(doc, "metrics")
    closed_by, response_by = obj(doc, "closedBy"), obj(doc, "responseBy")
    response, reaction = obj(metrics, "response"), obj(metrics, "reaction")
    row = {
        "id": rid,
        "fname": text(doc, "fname"),
        "ts": date(doc, "ts"),
        # Closing unsets `open` (it is absent, not false, on closed chats).
        "open": boolean(doc, "open") or False,
        "closed_at": date(doc, "closedAt"),
        "closer": text(doc, "closer"),
        "closed_by_id": text(closed_by, "_id"),
        "closed_by_username": text(closed_by, "username"),
        "visitor_id": text(visitor, "_id"),
        "visitor_username": text(visitor, "username"),
        "visitor_token": text(visitor, "token"),
        "visitor_status": text(visitor, "status"),
        "served_by_id": text(served, "_id"),
        "served_by_username": text(served, "username"),
        "served_by_ts": date(served, "ts"),
        "response_by_id": text(response_by, "_id"),
        "response_by_username": text(response_by, "username"),
        "department_id": text(doc, "departmentId"),
        "waiting_response": boolean(doc, "waitingResponse"),
        "msgs": integer(doc, "msgs"),
        "lm": date(doc, "lm"),
        "source_type": text(obj(doc, "source"), "type"),
        "visitor_last_query": date(obj(metrics, "v"), "lq"),
        "agent_last_reply": date(obj(metrics, "servedBy"), "lr"),
        "response_total_time": number(response, "tt"),
        "response_count": integer(response, "total"),
        "response_avg": number(response, "avg"),
        "first_response_time": number(response, "ft"),
        "reaction_total_time": number(reaction, "tt"),
        "first_reaction_time": number(reaction, "ft"),
        "chat_duration": number(metrics, "chatDuration"),
        "service_time_duration": number(metrics, "serviceTimeDuration"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    tags = dict.fromkeys(t for t in items(doc, "tags") if key_text(t))
    children = {
        "livechat_room_tags": [{"room_id": rid, "tag": tag} for tag in tags],
        "livechat_room_data": _data("room_id", rid, obj(doc, "livechatData")),
    }
    return Record("livechat_rooms", row, children)


def _data(column: str, parent: str, data: Mapping[str, Any]) -> Rows:
    return [{column: parent, "key": k, "value": v} for k, v in data.items() if key_text(k)]


def _first(doc: Mapping[str, Any], key: str, field: str) -> str | None:
    for entry in items(doc, key):
        if type(entry) is dict and type(entry.get(field)) is str:
            value: str = entry[field]
            return value
    return None


def normalise_livechat_visitor(doc: dict[str, Any]) -> Record:
    vid = doc_id(doc)
    last_chat = obj(doc, "lastChat")
    row = {
        "id": vid,
        "username": text(doc, "username"),
        "name": text(doc, "name"),
        "token": text(doc, "token"),
        "status": text(doc, "status"),
        "department": text(doc, "department"),
        "email": _first(doc, "visitorEmails", "address"),
        "phone": _first(doc, "phone", "phoneNumber"),
        "ts": date(doc, "ts"),
        "last_chat_id": text(last_chat, "_id"),
        "last_chat_ts": date(last_chat, "ts"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    data = _data("visitor_id", vid, obj(doc, "livechatData"))
    return Record("livechat_visitors", row, {"livechat_visitor_data": data})


def normalise_livechat_department(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "name": text(doc, "name"),
        "enabled": boolean(doc, "enabled"),
        "description": text(doc, "description"),
        "num_agents": integer(doc, "numAgents"),
        "show_on_registration": boolean(doc, "showOnRegistration"),
        "show_on_offline_form": boolean(doc, "showOnOfflineForm"),
        "email": text(doc, "email"),
        "archived": boolean(doc, "archived"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("livechat_departments", row)


def normalise_department_agent(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "department_id": text(doc, "departmentId"),
        "agent_id": text(doc, "agentId"),
        "username": text(doc, "username"),
        "count": integer(doc, "count"),
        "agent_order": integer(doc, "order"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("livechat_department_agents", row)


def _omnichannel_user(table: str, doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "username": text(doc, "username"),
        "name": text(doc, "name"),
        "status": text(doc, "status"),
        "status_livechat": text(doc, "statusLivechat"),
        "email": _first(doc, "emails", "address"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record(table, row)


def normalise_livechat_agent(doc: dict[str, Any]) -> Record:
    return _omnichannel_user("livechat_agents", doc)


def normalise_livechat_manager(doc: dict[str, Any]) -> Record:
    return _omnichannel_user("livechat_managers", doc)


def normalise_custom_field(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "label": text(doc, "label"),
        "scope": text(doc, "scope"),
        "visibility": text(doc, "visibility"),
        "type": text(doc, "type"),
        "regexp": text(doc, "regexp"),
        "required": boolean(doc, "required"),
        "default_value": text(doc, "defaultValue"),
        "options": text(doc, "options"),
        "public": boolean(doc, "public"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("livechat_custom_fields", row)


def normalise_inquiry(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "rid": text(doc, "rid"),
        "name": text(doc, "name"),
        "ts": date(doc, "ts"),
        "status": text(doc, "status"),
        "department": text(doc, "department"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("livechat_inquiries", row)


def normalise_trigger(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "name": text(doc, "name"),
        "description": text(doc, "description"),
        "enabled": boolean(doc, "enabled"),
        "run_once": boolean(doc, "runOnce"),
        "conditions": list(items(doc, "conditions")),
        "actions": list(items(doc, "actions")),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("livechat_triggers", row)


def normalise_office_hour(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "day": text(doc, "day"),
        "start": text(doc, "start"),
        "finish": text(doc, "finish"),
        "code": integer(doc, "code"),
        "open": boolean(doc, "open"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("livechat_office_hours", row)


def transfer_rows(mid: str, doc: Mapping[str, Any]) -> Rows:
    """The one `livechat_transfers` row of a transfer history message (none without data)."""
    data = obj(doc, "transferData")
    if not data:
        return []
    by, to = obj(data, "transferredBy"), obj(data, "transferredTo")
    previous, nxt = obj(data, "previousDepartment"), obj(data, "nextDepartment")
    row = {
        "message_id": mid,
        "room_id": text(doc, "rid"),
        "ts": date(data, "ts") or date(doc, "ts"),
        "scope": text(data, "scope"),
        "comment": text(data, "comment"),
        "transferred_by_id": text(by, "_id"),
        "transferred_by_username": text(by, "username"),
        "transferred_by_type": text(by, "type"),
        "transferred_to_id": text(to, "_id"),
        "transferred_to_username": text(to, "username"),
        "previous_department_id": text(previous, "_id"),
        "next_department_id": text(nxt, "_id"),
    }
    return [row]


# table -> normaliser, merged into `etl.normalise.NORMALISERS`
OMNICHANNEL_NORMALISERS = {
    "livechat_rooms": normalise_livechat_room,
    "livechat_visitors": normalise_livechat_visitor,
    "livechat_departments": normalise_livechat_department,
    "livechat_department_agents": normalise_department_agent,
    "livechat_agents": normalise_livechat_agent,
    "livechat_managers": normalise_livechat_manager,
    "livechat_custom_fields": normalise_custom_field,
    "livechat_inquiries": normalise_inquiry,
    "livechat_triggers": normalise_trigger,
    "livechat_office_hours": normalise_office_hour,
}
