"""Shared pieces of the table definitions and statements: naming convention, UTC timestamps, a
row looked up per row, ids from a subquery that PostgreSQL can look up by an index."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ColumnElement, DateTime, Select, TypeDecorator, literal, select
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType
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


class AmongIds(ColumnElement[bool]):
    """``column IN (ids)``, ``ids`` a select of one column that does not depend on the outer
    statement. PostgreSQL reads it as ``column = ANY (ARRAY(SELECT ...))``: the ids are
    gathered once into an array, which an index can look up (a bitmap of "the reports of my
    bodies or referred to them": a partner's statistics count 6,874 reports of 176,000 in
    80 ms instead of 230), where ``IN (SELECT ...)`` inside an ``OR`` is a hash tested on
    every row. SQLite plans ``IN`` itself (a list it walks in order)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition, not a column: no "= 1" on SQLite
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (as SQLAlchemy declares it)
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, ids: Select[Any]) -> None:
        self.column: ColumnElement[Any] = column
        self.ids = ids

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(AmongIds)
def _among_ids(element: AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(AmongIds, "postgresql")
def _among_ids_array(element: AmongIds, compiler: SQLCompiler, **kw: Any) -> str:
    # ANY of an array built from the subquery, not ANY of the subquery's rows (IN).
    ids = compiler.process(element.ids.scalar_subquery(), **kw)
    return f"{compiler.process(element.column, **kw)} = ANY (ARRAY{ids})"
