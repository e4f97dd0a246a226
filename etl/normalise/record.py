"""The unit the loader writes: one parent row and its child rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Rows = Sequence[dict[str, Any]]


@dataclass(slots=True)
class Record:
    """`row` holds the table's columns (with `raw`, without `change_seq`/`deleted_at`).

    `children` maps child table -> rows. A child table listed here (even with an empty list) has
    its rows for this parent replaced when the record is saved; tables not listed are left alone.
    """

    table: str
    row: dict[str, Any]
    children: Mapping[str, Rows] = field(default_factory=dict)
    # A message's `attachments` as its document had them, for its version's column
    # (etl.load.history.prepare_version): the row keeps only their child rows.
    attachments: Any = None

    @property
    def id(self) -> Any:
        return self.row.get("id")
