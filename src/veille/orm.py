"""Shared pieces of the table definitions and statements: naming convention, UTC timestamps, a
row looked up per row, conditions written for each database's planner."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ColumnElement, DateTime, Select, TypeDecorator, any_, func, literal, select
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


class PerDialect(ColumnElement[bool]):
    """One condition written for each database's planner, when the form one plans well the
    other plans badly (``among_ids``, ``situations.visibility.of_body``)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a condition, not a column: no "= 1" on SQLite
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (as SQLAlchemy declares it)
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, *, sqlite: ColumnElement[bool], postgresql: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql

    @property
    def _from_objects(self) -> list[Any]:
        found = list(self.sqlite._from_objects)
        return found + [f for f in self.postgresql._from_objects if f not in found]


@compiles(PerDialect)
def _sqlite_form(element: PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.sqlite, **kw)})"  # whole, whatever surrounds it


@compiles(PerDialect, "postgresql")
def _postgresql_form(element: PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.postgresql, **kw)})"


def among_ids(column: Any, ids: Select[Any]) -> ColumnElement[bool]:
    """``column IN (ids)``, ``ids`` a select of one column that does not depend on the outer
    statement. PostgreSQL reads it as ``column = ANY (ARRAY(SELECT ...))``: the ids are
    gathered once into an array, which an index can look up (a bitmap of "the reports of my
    bodies or referred to them": a partner's statistics count 6,874 reports of 176,000 in
    80 ms instead of 230), where ``IN (SELECT ...)`` inside an ``OR`` is a hash tested on
    every row. SQLite plans ``IN`` itself (a list it walks in order)."""
    return PerDialect(sqlite=column.in_(ids), postgresql=column == any_(func.array(ids.scalar_subquery())))
