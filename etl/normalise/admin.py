"""Custom user statuses, integrations, integration history and server statistics.

Integration documents arrive here already scrubbed (etl.scrub, in the sync step, before they are
compared or written); scrubbing again is cheap and keeps a token out of `raw` whatever the path.
"""

from __future__ import annotations

from typing import Any

from etl.normalise.fields import boolean, date, doc_id, integer, obj, text
from etl.normalise.record import Record
from etl.scrub import scrub


def normalise_custom_user_status(doc: dict[str, Any]) -> Record:
    row = {
        "id": doc_id(doc),
        "name": text(doc, "name"),
        "status_type": text(doc, "statusType"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": doc,
    }
    return Record("custom_user_statuses", row, {})


def _present(doc: dict[str, Any], key: str) -> bool:
    """A secret's presence (the scrubber leaves `[redacted]` where a value was)."""
    return doc.get(key) not in (None, "")


def normalise_integration(doc: dict[str, Any]) -> Record:
    created_by = obj(doc, "_createdBy")
    script = doc.get("script")
    row = {
        "id": doc_id(doc),
        "type": text(doc, "type"),
        "name": text(doc, "name"),
        "enabled": boolean(doc, "enabled"),
        "event": text(doc, "event"),
        "username": text(doc, "username"),
        "alias": text(doc, "alias"),
        "avatar": text(doc, "avatar"),
        "emoji": text(doc, "emoji"),
        "user_id": text(doc, "userId"),
        "impersonate_user": boolean(doc, "impersonateUser"),
        "script_enabled": boolean(doc, "scriptEnabled"),
        "has_script": isinstance(script, str) and script.strip() != "",
        "has_token": _present(doc, "token"),
        "created_at": date(doc, "_createdAt"),
        "created_by_id": text(created_by, "_id"),
        "created_by_username": text(created_by, "username"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": scrub(doc, keep_scripts=True),
    }
    return Record("integrations", row, {})


def normalise_integration_history(doc: dict[str, Any]) -> Record:
    integration = obj(doc, "integration")
    row = {
        "id": doc_id(doc),
        "integration_id": text(integration, "_id"),
        "type": text(doc, "type"),
        "step": text(doc, "step"),
        "event": text(doc, "event"),
        "trigger_word": text(doc, "triggerWord"),
        "ran_script": boolean(doc, "ranPrepareScript"),
        "finished": boolean(doc, "finished"),
        "error": boolean(doc, "error"),
        "created_at": date(doc, "_createdAt"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": scrub(doc, keep_scripts=True),
    }
    return Record("integration_history", row, {})


# Headline counts of a `statistics` snapshot -> columns. `statistics.list` names the livechat
# totals `totalAllLivechat*` (its documented example); `statistics` says `totalLivechat*`.
STAT_COUNTS: dict[str, tuple[str, ...]] = {
    "total_users": ("totalUsers",),
    "active_users": ("activeUsers",),
    "non_active_users": ("nonActiveUsers",),
    "online_users": ("onlineUsers",),
    "away_users": ("awayUsers",),
    "offline_users": ("offlineUsers",),
    "total_rooms": ("totalRooms",),
    "total_channels": ("totalChannels",),
    "total_private_groups": ("totalPrivateGroups",),
    "total_direct": ("totalDirect",),
    "total_livechat": ("totalLivechat", "totalAllLivechat"),
    "total_messages": ("totalMessages",),
    "total_channel_messages": ("totalChannelMessages",),
    "total_private_group_messages": ("totalPrivateGroupMessages",),
    "total_direct_messages": ("totalDirectMessages",),
    "total_livechat_messages": ("totalLivechatMessages", "totalAllLivechatMessages"),
    "instance_count": ("instanceCount",),
}


def _count(doc: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = integer(doc, key)
        if value is not None:
            return value
    return None


def statistics_key(run_id: int) -> str:
    """The row of a run's snapshot: a second read in the same run overwrites it."""
    return f"run-{run_id}"


def normalise_server_statistics(doc: dict[str, Any], run_id: int) -> Record:
    row: dict[str, Any] = {
        "id": statistics_key(run_id),
        "run_id": run_id,
        "snapshot_id": text(doc, "_id"),
        "unique_id": text(doc, "uniqueId"),
        "version": text(doc, "version"),
        "installed_at": date(doc, "installedAt"),
        "created_at": date(doc, "createdAt"),
        "last_login": date(doc, "lastLogin"),
        "last_message_sent_at": date(doc, "lastMessageSentAt"),
        "updated_at": date(doc, "_updatedAt"),
        "raw": scrub(doc),
    }
    row.update({column: _count(doc, keys) for column, keys in STAT_COUNTS.items()})
    return Record("server_statistics", row, {})
