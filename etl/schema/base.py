"""Declarative base and the columns every synced table shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from etl.schema.types import RawJSON, SafeText, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's own class attribute
        str: SafeText,
        datetime: UTCDateTime,
        dict[str, Any]: RawJSON,
    }


class Synced:
    """Columns of every synced table: server id, original document, deletion and change marker."""

    id: Mapped[str] = mapped_column(String, primary_key=True, sort_order=-100)
    updated_at: Mapped[datetime | None] = mapped_column(sort_order=90)
    deleted_at: Mapped[datetime | None] = mapped_column(sort_order=91)
    change_seq: Mapped[int] = mapped_column(BigInteger, index=True, sort_order=92)
    raw: Mapped[dict[str, Any]] = mapped_column(RawJSON, sort_order=93)


class Child:
    """Columns of every child table: the parent's change marker at write time."""

    change_seq: Mapped[int] = mapped_column(BigInteger, index=True, sort_order=90)


def parent_key(**kwargs: Any) -> Mapped[str]:
    """A parent id column that is part of a child table's primary key."""
    return mapped_column(String, primary_key=True, sort_order=-100, **kwargs)
