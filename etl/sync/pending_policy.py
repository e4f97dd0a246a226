"""Reconciliation applies `deletion_policy` to deleted rows that a legal hold kept (a hold
removed or expired since) or that an earlier, milder policy left: messages, and the rooms, users
and uploads a hold protects too (etl.load.history_deletes.HELD_BY)."""

from __future__ import annotations

from etl.load import next_change_seq
from etl.load.history_deletes import apply_deletions, pending_deletions
from etl.load.holds import active_holds
from etl.sync.context import SyncContext, log

# Which tables the reconciling step of a resource looks at: the messages step also takes the
# rooms and users of the same reconcile (their own steps run earlier); the uploads step does
# its own, before it removes the bytes no upload row points at any more.
PENDING_TABLES = {"messages": ("messages", "rooms", "users"), "uploads": ("uploads",)}


def apply_pending_policy(ctx: SyncContext, resource: str) -> int:
    """One transaction per table; returns how many rows the policy reached."""
    done = 0
    for table in PENDING_TABLES[resource]:
        if table in ctx.reconcile and not ctx.stopped:
            done += _apply(ctx, table)
    return done


def _apply(ctx: SyncContext, table: str) -> int:
    with ctx.engine.begin() as conn:
        observed = ctx.server_now()
        holds = active_holds(conn, observed)
        history = ctx.settings.sync.track_history
        items = pending_deletions(conn, table, ctx.policy, holds, history)
        if items:
            seq = next_change_seq(conn)
            apply_deletions(conn, table, items, ctx.policy, seq, holds, observed, history)
    if items:
        log.info(
            "%s: %s applied to %d deleted row(s) no longer held", table, ctx.policy, len(items)
        )
        ctx.summary.add(table, deleted=len(items))
    return len(items)
