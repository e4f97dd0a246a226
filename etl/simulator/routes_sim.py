"""The private `/_sim/<operation>` HTTP API: the `ws.mutate` methods, JSON in and out."""

from __future__ import annotations

import inspect
from typing import Any

from etl.simulator.errors import ApiError
from etl.simulator.workspace import Workspace

OPERATIONS = frozenset(
    {
        "post_message",
        "edit_message",
        "react",
        "unreact",
        "pin",
        "unpin",
        "star",
        "delete_message",
        "hide_message",
        "create_room",
        "rename_room",
        "archive_room",
        "delete_room",
        "add_member",
        "remove_member",
        "add_emoji",
        "delete_emoji",
        "add_role",
        "delete_role",
        "add_user",
        "deactivate_user",
        "delete_user",
        "set_setting",
        "advance_clock",
        "add_status",
        "edit_status",
        "remove_status",
        "add_integration",
        "edit_integration",
        "remove_integration",
        "fire_integration",
        "clear_integration_history",
        "upload_file",
        "change_file",
    }
)


def run(ws: Workspace, op: str, body: dict[str, Any]) -> object:
    if op == "ground_truth":
        return ws.ground_truth()
    if op == "now":
        return ws.clock.now_iso()
    if op not in OPERATIONS:
        raise ApiError(404, {"success": False, "error": f"unknown simulator operation {op!r}"})
    method = getattr(ws.mutate, op)
    try:
        inspect.signature(method).bind(**body)
        return method(**body)
    except (TypeError, ValueError, KeyError) as exc:
        raise ApiError(400, {"success": False, "error": f"{op}: {exc}"}) from None
