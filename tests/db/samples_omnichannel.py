"""Omnichannel documents as a real server returns them (server-behaviour.md §4, api-reference
§3.13, §4.14), one per table, plus a closed chat with its metrics and a transfer message."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]
WHEN = "2024-01-01T00:00:00.000Z"


def closed_chat(**extra: Any) -> Doc:
    doc: Doc = {
        "_id": "L1", "t": "l", "fname": "Ana", "ts": "2024-01-01T10:00:00.000Z", "msgs": 5,
        "v": {"_id": "V1", "username": "guest-1", "token": "tok1", "status": "offline"},
        "servedBy": {"_id": "A1", "username": "agent", "ts": "2024-01-01T10:00:10.000Z"},
        "responseBy": {"_id": "A1", "username": "agent", "firstResponseTs": WHEN},
        "departmentId": "D1", "tags": ["billing", "vip", "billing"], "cl": False,
        "livechatData": {"order": "A-1", "amount": 12.5},
        "closedAt": "2024-01-01T10:10:00.000Z", "closer": "user",
        "closedBy": {"_id": "A1", "username": "agent"}, "source": {"type": "widget"},
        "metrics": {
            "v": {"lq": "2024-01-01T10:01:00.000Z"}, "servedBy": {"lr": "2024-01-01T10:02:00.000Z"},
            "reaction": {"ft": 10, "tt": 10},
            "response": {"ft": 30, "tt": 90, "total": 2, "avg": 45},
            "chatDuration": 600, "serviceTimeDuration": 590.5,
        },
        "_updatedAt": "2024-01-01T10:10:00.000Z",
    }  # fmt: skip
    return {**doc, **extra}


def transfer_message(**extra: Any) -> Doc:
    doc: Doc = {
        "_id": "M1", "rid": "L1", "t": "livechat_transfer_history", "msg": "",
        "ts": "2024-01-01T10:05:00.000Z", "u": {"_id": "A1", "username": "agent"},
        "transferData": {
            "transferredBy": {"_id": "A1", "username": "agent", "type": "user"},
            "transferredTo": {"_id": "A2", "username": "other"}, "scope": "department",
            "ts": "2024-01-01T10:05:00.000Z", "comment": "billing question",
            "previousDepartment": {"_id": "D1"}, "nextDepartment": {"_id": "D2", "name": "Billing"},
        },
        "_updatedAt": "2024-01-01T10:05:00.000Z",
    }  # fmt: skip
    return {**doc, **extra}


OMNICHANNEL_DOCS: dict[str, Doc] = {
    "livechat_rooms": closed_chat(),
    "livechat_visitors": {"_id": "V1", "username": "guest-1", "name": "Ana", "token": "tok1",
                          "visitorEmails": [{"address": "ana@x.example"}],
                          "phone": [{"phoneNumber": "+1555"}], "livechatData": {"plan": "pro"},
                          "_updatedAt": WHEN},
    "livechat_departments": {"_id": "D1", "enabled": True, "name": "Sales", "numAgents": 2,
                             "showOnRegistration": True, "_updatedAt": WHEN},
    "livechat_department_agents": {"_id": "DA1", "agentId": "A1", "departmentId": "D1",
                                   "username": "agent", "count": 3, "order": 0, "_updatedAt": WHEN},
    "livechat_agents": {"_id": "A1", "username": "agent", "status": "online",
                        "statusLivechat": "available", "emails": [{"address": "a@x.example"}]},
    "livechat_managers": {"_id": "M1", "username": "boss", "name": "Boss"},
    "livechat_custom_fields": {"_id": "order", "label": "Order", "scope": "room",
                               "visibility": "visible", "_updatedAt": WHEN},
    "livechat_inquiries": {"_id": "I1", "rid": "L2", "name": "Ben", "ts": WHEN,
                           "status": "queued", "department": "D1"},
    "livechat_triggers": {"_id": "T1", "name": "Welcome", "enabled": True, "runOnce": False,
                          "conditions": [{"name": "page-url", "value": "/"}],
                          "actions": [{"name": "send-message", "params": {"msg": "Hi"}}],
                          "_updatedAt": WHEN},
    "livechat_office_hours": {"_id": "OH1", "day": "Monday", "start": "08:00", "finish": "20:00",
                              "code": 1, "open": True, "_updatedAt": WHEN},
}  # fmt: skip
