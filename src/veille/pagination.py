"""Keyset pagination for the API (``limit`` and an opaque ``cursor``) and numbered pages for
the HTML lists."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.errors import InvalidInput
from veille.i18n import N_

T = TypeVar("T")
PAGE_SIZE = 50
MAX_ID = 2**63 - 1  # the databases' largest integer: beyond it a query fails


@dataclass(frozen=True)
class Cursor:
    after_id: int | None

    @classmethod
    def parse(cls, raw: str | None) -> Cursor:
        if not raw:
            return cls(None)
        try:
            after_id = int(base64.urlsafe_b64decode(raw.encode()).decode())
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput({"cursor": N_("Invalid cursor.")}) from exc
        if not 0 < after_id < MAX_ID:
            raise InvalidInput({"cursor": N_("Invalid cursor.")})
        return cls(after_id)

    @staticmethod
    def encode(last_id: int) -> str:
        return base64.urlsafe_b64encode(str(last_id).encode()).decode()


def keyset_page(
    session: Session,
    stmt: SelectOfScalar[T],
    model: Any,
    cursor: Cursor,
    limit: int,
    *,
    newest_first: bool = False,
) -> tuple[list[T], str | None]:
    """One page ordered by id, and the cursor of the next page (None on the last one)."""
    if cursor.after_id is not None:
        stmt = stmt.where(model.id < cursor.after_id if newest_first else model.id > cursor.after_id)
    stmt = stmt.order_by(model.id.desc() if newest_first else model.id).limit(limit + 1)
    rows = list(session.exec(stmt).all())
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, Cursor.encode(rows[-1].id)  # type: ignore[attr-defined]
    return rows, None


# How far past a page's first row its list is counted: beyond, it says "more than N". Counting
# every row cost more than the page itself once a metropolis holds 300,000 reports (90 of the
# feed's 230 ms), and tells nobody more than "more than a thousand" does.
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and its count; with ``more``, ``total`` is a floor: the list holds
    more than ``total`` rows, and its last page is unknown."""

    items: list[T]
    number: int
    has_next: bool
    total: int

    size: int = PAGE_SIZE
    more: bool = False

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def total_pages(self) -> int | None:
        return None if self.more else max(1, -(-self.total // self.size))


def bounded_count(
    session: Session, stmt: SelectOfScalar[Any], offset: int, size: int = PAGE_SIZE
) -> tuple[int, bool]:
    """How many rows the query has, counted up to ``COUNT_LIMIT`` (a page at least) past
    ``offset``; and whether there are more (the count is then that floor). The database stops
    reading there."""
    counted_to = offset + max(COUNT_LIMIT, size)
    found = session.exec(count_to(stmt, counted_to)).one()
    return min(found, counted_to), found > counted_to


def count_to(stmt: Any, counted_to: int) -> SelectOfScalar[int]:
    """How many rows ``stmt`` has, read unordered up to one past ``counted_to``: past it, the
    list says "more than"."""
    return select(func.count()).select_from(stmt.order_by(None).limit(counted_to + 1).subquery())


def numbered_page(
    session: Session,
    stmt: SelectOfScalar[T],
    number: int,
    size: int = PAGE_SIZE,
    fetch: Callable[[SelectOfScalar[T]], list[T]] | None = None,
) -> Page[T]:
    """A page of an ordered query with its bounded count (two queries whatever the size);
    ``fetch`` reads the page's rows when a list reads more with them (the report feed)."""
    number = max(number, 1)
    offset = (number - 1) * size
    total, more = bounded_count(session, stmt, offset, size)
    page = stmt.offset(offset).limit(size)
    rows = fetch(page) if fetch else list(session.exec(page).all())
    return Page(
        items=rows, number=number, has_next=more or number * size < total, total=total, size=size, more=more
    )


def capped(session: Session, stmt: SelectOfScalar[T], limit: int) -> tuple[list[T], int]:
    """The first ``limit`` rows of an ordered query and how many it has in all, in one query: the
    count is a window over every row found (for short lists: a person's actions, a body's due
    ones, the reports since a visit; a long feed counts apart, ``numbered_page``)."""
    # execute, not exec: rows of two (exec would keep the first column of a scalar select).
    found = session.execute(stmt.add_columns(func.count().over().label("veille_total")).limit(limit)).all()
    return [row[0] for row in found], int(found[0][1]) if found else 0


class Paged(BaseModel, Generic[T]):
    """The envelope of every API list."""

    items: list[T]
    next_cursor: str | None


Limit = Annotated[int, Query(ge=1, le=200, description="Page size (at most 200)")]
CursorParam = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
PageNumber = Annotated[int, Query(ge=1, le=100_000, description="Page number")]
