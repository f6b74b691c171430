"""Shared pieces of the table definitions and statements: naming convention, UTC timestamps, a
row looked up per row."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, DateTime, TypeDecorator, literal, select
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

# Set before the first table is defined so that every constraint gets a stable name, which
# Alembic needs to alter constraints on SQLite (batch mode) and to compare schemas.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always gives back an aware datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(*, index: bool = False, nullable: bool = False, **kwargs: Any) -> Any:
    """A UTC timestamp column, set to now on insert unless nullable."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index, **kwargs)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=index, **kwargs)


def enum_type(enum: type[StrEnum], length: int = 30) -> SAEnum:
    """A StrEnum stored as its value in a VARCHAR (no database enum type to migrate)."""
    return SAEnum(
        enum,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def probe(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    """A row matching ``where`` (correlated with the outer statement) exists, looked up for each
    row the outer statement reads. Written ``EXISTS`` inside an ``OR``, PostgreSQL gathers every
    matching row once into a hash, whatever the outer statement then keeps: every share of a
    metropolis's coordination (24,785) for a feed's first 50 reports, every action update of a
    month for one body's follow-up."""
    return select(literal(True)).where(*where).limit(1).scalar_subquery().is_not(None)
