"""What a token cannot enumerate: the permissions whose absence hides rooms or teams.

Rocket.Chat lists every room only to `view-room-administration` (rooms.adminRooms, groups.listAll,
im.list.everyone) and every team only to `view-all-teams` (teams.listAll). Without them a token
still lists public channels and the rooms and teams its user joined, and nothing else tells it
that more exists: the rest is simply absent. So the sync notes every refused listing, and
`rcetl check`, the run summary, `rcetl status` and the export manifests say what the view lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from etl.errors import ApiError, BadRequestError, PermissionDeniedError
from etl.schema.bookkeeping import SyncRun

if TYPE_CHECKING:  # `rcetl status` reads recorded limits without the HTTP client
    from etl.client import Client

# permission -> what a token without it cannot see
HIDDEN_WITHOUT: dict[str, str] = {
    "view-room-administration": (
        "private groups, direct messages and discussions its user has not joined, and team "
        "channels of teams it has not joined: they are neither synced nor exported"
    ),
    "view-all-teams": "teams its user is not a member of (only its own teams are synced)",
    "view-c-room": "public channels its user has not joined",
}
# permission -> the resource whose listing it completes
RESOURCE_OF: dict[str, str] = {
    "view-room-administration": "rooms",
    "view-all-teams": "teams",
    "view-c-room": "rooms",
}
# `rcetl check`: one cheap read per permission that decides what the token can enumerate
PROBES: dict[str, tuple[str, dict[str, object]]] = {
    "view-room-administration": ("rooms.adminRooms", {"count": 1}),
    "view-all-teams": ("teams.listAll", {"count": 1}),
}
# Some refusals come as 400: rooms.adminRooms throws a plain Error('error-not-authorized'),
# which the REST layer turns into `failure` (400), not `forbidden`.
REFUSAL_CODES = ("error-not-authorized", "error-not-allowed", "error-unauthorized", "unauthorized")


def is_refusal(exc: BaseException) -> bool:
    """Did the server refuse for want of a permission (403, or a 400 that says so)?"""
    if isinstance(exc, PermissionDeniedError):
        return True
    if isinstance(exc, BadRequestError):
        text = f"{exc.error_type or ''} {exc.message}"
        return any(code in text for code in REFUSAL_CODES)
    return False


def describe(permission: str, hides: str) -> str:
    """One line for people: which permission is missing and what that hides."""
    return f"partial view: the token lacks {permission}, so it cannot see {hides}"


def probe_view_limits(client: Client) -> dict[str, str]:
    """The permissions this token lacks, found by asking (for `rcetl check`). Other errors (an
    old server without the endpoint) prove nothing and are left to the resource probes."""
    missing = {}
    for permission, (endpoint, params) in PROBES.items():
        try:
            client.get(endpoint, params)
        except ApiError as exc:
            if is_refusal(exc):
                missing[permission] = HIDDEN_WITHOUT[permission]
    return missing


def recorded_view_limits(conn: Connection) -> dict[str, str]:
    """The view limits the latest finished runs met: per resource (rooms, teams), those of the
    newest run that listed it. Runs recorded before migration 0003 count as unlimited."""
    runs = SyncRun.__table__
    query = (
        select(runs.c.resources, runs.c.view_limits)
        .where(runs.c.finished_at.is_not(None))
        .order_by(runs.c.id.desc())
    )
    pending = set(RESOURCE_OF.values())
    found: dict[str, str] = {}
    for row in conn.execute(query):
        listed = pending & set(row.resources or [])
        for permission, hides in (row.view_limits or {}).items():
            if RESOURCE_OF.get(permission) in listed:
                found[permission] = hides
        pending -= listed
        if not pending:
            break
    return dict(sorted(found.items()))
