"""job_runs: last_success_at as its own column (it was a key inside the last_counts JSON)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

import etl.schema.types

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_RUNS = sa.table(
    "job_runs",
    sa.column("job_id", sa.String()),
    sa.column("last_counts", etl.schema.types.RawJSON()),
    sa.column("last_success_at", etl.schema.types.UTCDateTime()),
)


def _counts(value: Any) -> dict[str, Any]:
    if isinstance(value, str | bytes):  # SQLite hands JSON back as text through a plain table
        value = orjson.loads(value)
    return dict(value) if isinstance(value, dict) else {}


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_success_at", etl.schema.types.UTCDateTime(), nullable=True)
        )
    conn = op.get_bind()
    for job_id, raw in conn.execute(sa.select(JOB_RUNS.c.job_id, JOB_RUNS.c.last_counts)).all():
        counts = _counts(raw)
        stamp = counts.pop("last_success_at", None)
        success = datetime.fromisoformat(stamp).astimezone(UTC) if isinstance(stamp, str) else None
        conn.execute(
            JOB_RUNS.update()
            .where(JOB_RUNS.c.job_id == job_id)
            .values(last_success_at=success, last_counts=counts if raw is not None else None)
        )


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(JOB_RUNS.c.job_id, JOB_RUNS.c.last_counts, JOB_RUNS.c.last_success_at)
    ).all()
    for job_id, raw, success in rows:
        counts = {**_counts(raw), "last_success_at": success.isoformat() if success else None}
        conn.execute(
            JOB_RUNS.update().where(JOB_RUNS.c.job_id == job_id).values(last_counts=counts)
        )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("last_success_at")
