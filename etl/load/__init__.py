"""Writes to the database: upserts of normalised records, deletions, quarantine.

Every function runs inside the caller's transaction (`with engine.begin() as conn:`), so a page
and its checkpoint commit together.
"""

from etl.load.deletes import POLICIES, REDACT, Policy, mark_deleted
from etl.load.quarantine import save_quarantine
from etl.load.records import BATCH_SIZE, next_change_seq, save_records
from etl.load.rooms import replace_room_members, set_room_readable

__all__ = [
    "BATCH_SIZE",
    "POLICIES",
    "REDACT",
    "Policy",
    "mark_deleted",
    "next_change_seq",
    "replace_room_members",
    "save_quarantine",
    "save_records",
    "set_room_readable",
]
