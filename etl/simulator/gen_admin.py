"""Custom user statuses, webhook integrations with their history, and statistics snapshots.

Incoming integrations carry a 48-character token, outgoing ones a 24-character token, and an
outgoing integration's history repeats the token in the `data` it sent and in its embedded copy of
the integration (server-behaviour §4): the sync must keep them all out of its database.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from etl.simulator.clock import iso
from etl.simulator.ids import object_id, random_id
from etl.simulator.store import Store

STATUS_TYPES = ("online", "away", "busy", "offline")
SCRIPT = (
    "class Script {\n  process_incoming_request({ request }) {\n"
    '    return { content: { text: request.content.text, headers: { "X-Key": "%s" } } };\n'
    "  }\n}\n"
)


def make_statuses(rng: random.Random, when: int, n: int = 4) -> dict[str, dict[str, Any]]:
    out = {}
    for i in range(n):
        sid = random_id(rng)
        out[sid] = {
            "_id": sid,
            "name": f"status {i}",
            "statusType": rng.choice(STATUS_TYPES),
            "_updatedAt": iso(when + i * 1000),
        }
    return out


def integration_doc(
    rng: random.Random, kind: str, name: str, creator: dict[str, Any], when: int
) -> dict[str, Any]:
    """A `webhook-incoming` or `webhook-outgoing` integration as integrations.list shows it."""
    outgoing = kind == "webhook-outgoing"
    token = random_id(rng, 24 if outgoing else 48)
    script = SCRIPT % random_id(rng, 32)
    doc: dict[str, Any] = {
        "_id": random_id(rng),
        "type": kind,
        "enabled": True,
        "name": name,
        "channel": ["#general"],
        "username": "rocket.cat",
        "alias": name,
        "avatar": "",
        "emoji": ":robot:",
        "scriptEnabled": True,
        "script": script,
        "scriptCompiled": f"function process() {{ {script!r} }}",
        "scriptError": None,
        "token": token,
        "userId": "rocket.cat",
        "_createdAt": iso(when),
        "_createdBy": {"_id": creator["_id"], "username": creator["username"]},
        "_updatedAt": iso(when),
    }
    if outgoing:
        doc.update(
            event="sendMessage",
            triggerWords=[f"!{name.lower().replace(' ', '')}"],
            # Some targets want the token in the URL too: it must be scrubbed there as well.
            urls=[f"https://hooks.example.com/rocket?token={token}"],
            impersonateUser=False,
            retryFailedCalls=True,
            retryCount=6,
            retryDelay="powers-of-ten",
            triggerWordAnywhere=False,
            runOnEdits=False,
        )
    else:
        doc["overrideDestinationChannelEnabled"] = False
    return doc


def history_doc(
    rng: random.Random, integration: dict[str, Any], message: dict[str, Any], when: int
) -> dict[str, Any]:
    """One `integrations.history` entry: the sent `data` carries the integration's token."""
    data = {
        "token": integration["token"],
        "bot": False,
        "trigger_word": (integration.get("triggerWords") or [""])[0],
        "channel_id": message.get("rid", "GENERAL"),
        "channel_name": "general",
        "message_id": message.get("_id", random_id(rng)),
        "timestamp": iso(when),
        "user_id": message.get("user_id", "rocket.cat"),
        "user_name": message.get("user_name", "rocket.cat"),
        "text": message.get("text", "!ping"),
    }
    url = integration["urls"][0]
    return {
        "_id": object_id(rng, when // 1000),
        "type": "outgoing-webhook",
        "step": "finished",
        "integration": copy.deepcopy(integration),
        "event": integration.get("event", "sendMessage"),
        "triggerWord": data["trigger_word"],
        "ranPrepareScript": True,
        "ranResponseScript": False,
        "data": data,
        "url": url,
        "httpCallData": copy.deepcopy(data),
        "httpResult": '{"text":"ok"}',
        "finished": True,
        "error": False,
        "_createdAt": iso(when),
        "_updatedAt": iso(when + 150),
    }


def add_admin_data(ws: Store, rng: random.Random, admin: dict[str, Any], origin: int) -> None:
    """Statuses, two incoming and two outgoing integrations, a few fired outgoing calls each."""
    ws.custom_statuses = make_statuses(rng, origin)
    for i, kind in enumerate(("webhook-incoming", "webhook-outgoing") * 2):
        doc = integration_doc(rng, kind, f"Hook {i}", admin, origin + i * 60_000)
        ws.integrations[doc["_id"]] = doc
        if kind == "webhook-outgoing":
            for n in range(3 + i):
                when = origin + (i + 1) * 3_600_000 + n * 60_000
                entry = history_doc(rng, doc, {"text": f"!hook {n}"}, when)
                ws.integration_history[entry["_id"]] = entry
