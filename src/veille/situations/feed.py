"""Lists of reports: the feed and its filters, and the lists other pages show (a meeting's new
reports, an action's candidates, the home page's news), each decorated for display in a fixed
number of queries and under the visibility rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.access import Viewer
from veille.bodies.models import Body
from veille.db import by_ids
from veille.directory import service as directory
from veille.directory.models import Sector, User
from veille.pagination import Cursor, Page, keyset_page, numbered_page
from veille.situations import search
from veille.situations.categories import categories
from veille.situations.enums import SituationStatus
from veille.situations.models import (
    Category,
    Situation,
    SituationUpdateRecord,
)
from veille.situations.visibility import (
    full_ids,
    full_text,
    of_body,
    readable_in_body,
    record_reads,
    visible,
)
from veille.types import Day, Id, check_period

Q_MAX = 200


class Filters(BaseModel):
    """The feed's filters, written once: the API takes them as query parameters, the page reads
    them from its query string, ``feed_query`` applies them. ``since`` and ``until`` are days in
    the city's time zone, both included (``period_errors`` bounds them)."""

    model_config = ConfigDict(frozen=True)

    body_id: Id | None = None
    sector_id: Id | None = None
    category: str | None = None
    severity: Annotated[int | None, Field(ge=1, le=4)] = None
    status: SituationStatus | None = None
    since: Day | None = None
    until: Day | None = None
    q: Annotated[str | None, Field(max_length=Q_MAX)] = None

    @property
    def on_content(self) -> bool:
        """Filters on what a stub does not show: stubs never match them."""
        return bool(self.category or self.severity or self.status or self.q)

    def typed(self) -> Filters:
        """As a person types them: a search of blanks is no search."""
        return self.model_copy(update={"q": (self.q or "").strip() or None})

    def period_errors(self, today: date) -> dict[str, str]:
        """Field errors (message ids) of the period: from 2000 to next year."""
        return check_period(self.since, self.until, today, max_years=None)


def _local_midnight(day: date, tz: object) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type]


def feed_query(
    session: Session, viewer: Viewer, filters: Filters, tz: object = UTC, *, venue_id: int | None = None
) -> SelectOfScalar[Situation]:
    """The reports the person may see that match the filters (newest first is the caller's);
    with ``venue_id``, those naming the venue (which a stub does not tell)."""
    on_content = filters.on_content or venue_id is not None
    stmt = select(Situation).where(visible(viewer, stubs=not on_content))
    if filters.body_id is not None:
        stmt = stmt.where(of_body(filters.body_id))  # its own reports and those referred to it
    if filters.sector_id is not None:
        stmt = stmt.where(Situation.sector_id == filters.sector_id)
    if filters.category:
        stmt = stmt.join(Category, col(Category.id) == Situation.category_id).where(
            Category.code == filters.category
        )
    if filters.severity is not None:
        stmt = stmt.where(Situation.severity == filters.severity)
    if filters.status is not None:
        stmt = stmt.where(Situation.status == filters.status)
    if venue_id is not None:
        stmt = stmt.where(Situation.venue_id == venue_id)
    if filters.since is not None:
        stmt = stmt.where(col(Situation.created_at) >= _local_midnight(filters.since, tz))
    if filters.until is not None:
        stmt = stmt.where(col(Situation.created_at) < _local_midnight(filters.until + timedelta(days=1), tz))
    if filters.q:
        stmt = stmt.where(search.matches(session, filters.q))
    return stmt


@dataclass(frozen=True)
class Row:
    """A report as a list shows it: whole, or as a stub (``full`` false)."""

    situation: Situation
    full: bool
    category: Category | None
    sector: Sector | None
    body: Body | None
    author: User | None
    update_count: int = 0


def people(session: Session, user_ids: Iterable[int]) -> dict[int, User]:
    """Authors with their organisation, in one query. Loaded with it, not assigned: an assigned
    organisation made each author a change for the session to flush before its next query."""
    found = session.exec(
        select(User)
        .options(joinedload(User.organisation, innerjoin=True))  # type: ignore[arg-type]
        .where(col(User.id).in_(sorted(set(user_ids))))
    ).all()
    return {person.id or 0: person for person in found}


# Read with each report by ``_fetch``: whether the person reads it whole, how many updates it has.
Known = Mapping[int, tuple[bool, int]]


def _fetch(
    session: Session, viewer: Viewer, stmt: SelectOfScalar[Situation], *, total: bool = False
) -> tuple[list[Situation], Known, int]:
    """The reports of a query, each with whether the person reads it whole and its number of
    updates, in the same query (``rows`` then needs neither); with ``total``, how many rows the
    query has without its limit (a window over them, for short lists)."""
    updates = (
        select(func.count())
        .where(col(SituationUpdateRecord.situation_id) == col(Situation.id))
        .correlate(Situation)
        .scalar_subquery()
    )
    columns = [full_text(viewer).label("full"), updates.label("updates")]
    if total:
        columns.append(func.count().over().label("veille_total"))
    # execute, not exec: rows of several columns (exec keeps the first of a scalar select).
    found = session.execute(stmt.add_columns(*columns)).all()
    known = {row[0].id or 0: (bool(row[1]), int(row[2])) for row in found}
    return [row[0] for row in found], known, int(found[0][3]) if total and found else 0


def rows(
    session: Session, viewer: Viewer, situations: Sequence[Situation], via: str, known: Known | None = None
) -> list[Row]:
    """Decorates a page of reports with what lists show, in a fixed number of queries (two
    fewer with what ``_fetch`` read with them)."""
    if not situations:
        return []
    ids = [s.id for s in situations if s.id is not None]
    full = {i for i in ids if known[i][0]} if known is not None else full_ids(session, viewer, ids)
    category_by_id = {c.id: c for c in categories(session, active_only=False)}
    sectors = (
        {s.id: s for s in directory.list_sectors(session)} if any(s.sector_id for s in situations) else {}
    )
    body_by_id = by_ids(session, Body, (s.body_id for s in situations))
    author_ids = sorted({s.created_by for s in situations if s.created_by is not None and s.id in full})
    authors = people(session, author_ids)
    counts = (
        {i: n for i, (_full, n) in known.items() if i in full}
        if known is not None
        else _update_counts(session, full)
    )
    record_reads(session, viewer, [s for s in situations if s.id in full], via)
    return [
        Row(
            situation=s,
            full=s.id in full,
            category=category_by_id.get(s.category_id) if s.id in full else None,
            sector=sectors.get(s.sector_id) if s.sector_id else None,
            body=body_by_id.get(s.body_id),
            author=authors.get(s.created_by or 0) if s.id in full else None,
            update_count=counts.get(s.id or 0, 0),
        )
        for s in situations
    ]


def _update_counts(session: Session, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(
        session.exec(
            select(SituationUpdateRecord.situation_id, func.count())
            .where(col(SituationUpdateRecord.situation_id).in_(sorted(ids)))
            .group_by(col(SituationUpdateRecord.situation_id))
        ).all()
    )


def feed(
    session: Session, viewer: Viewer, filters: Filters, *, page: int, tz: object = UTC
) -> tuple[Page[Situation], list[Row]]:
    stmt = feed_query(session, viewer, filters, tz).order_by(col(Situation.id).desc())
    known: dict[int, tuple[bool, int]] = {}

    def fetch(page_stmt: SelectOfScalar[Situation]) -> list[Situation]:
        items, found, _ = _fetch(session, viewer, page_stmt)
        known.update(found)
        return items

    result = numbered_page(session, stmt, page, fetch=fetch)
    return result, rows(session, viewer, result.items, "list", known)


def api_feed(
    session: Session, viewer: Viewer, filters: Filters, *, limit: int, cursor: str | None
) -> tuple[list[Situation], set[int], str | None]:
    stmt = feed_query(session, viewer, filters)
    items, next_cursor = keyset_page(session, stmt, Situation, Cursor.parse(cursor), limit, newest_first=True)
    full = full_ids(session, viewer, [s.id for s in items if s.id is not None])
    record_reads(session, viewer, [s for s in items if s.id in full], "api")
    return items, full, next_cursor


# Lists that other pages show


NEW_REPORTS_LIMIT = 50


def posted_between(
    session: Session, viewer: Viewer, body_id: int, since: datetime | None, until: datetime
) -> list[Row]:
    """The body's reports posted in a period that the person may see (a meeting's "new reports
    since the last meeting"), oldest first."""
    stmt = select(Situation).where(
        visible(viewer), Situation.body_id == body_id, col(Situation.created_at) < until
    )
    if since is not None:
        stmt = stmt.where(col(Situation.created_at) >= since)
    found, known, _ = _fetch(
        session, viewer, stmt.order_by(col(Situation.id).desc()).limit(NEW_REPORTS_LIMIT)
    )
    return rows(session, viewer, list(reversed(found)), "meeting", known)


def visible_rows(session: Session, viewer: Viewer, ids: Iterable[int], via: str) -> list[Row]:
    """These reports as far as the person may see them, newest first."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    stmt = select(Situation).where(col(Situation.id).in_(wanted), visible(viewer))
    found, known, _ = _fetch(session, viewer, stmt.order_by(col(Situation.id).desc()))
    return rows(session, viewer, found, via, known)


RECENT_LIMIT = 100


def readable_titles(
    session: Session, viewer: Viewer, body_id: int, keep: Iterable[int] = ()
) -> list[tuple[int, str]]:
    """The body's latest reports the person reads whole, as (id, title), after those already
    chosen (``keep``, when still readable: a form must not drop a link it does not show): what
    an agenda item may link."""
    chosen = set(keep)
    titles = select(Situation.id, Situation.title).where(full_text(viewer), of_body(body_id))
    found = dict(session.exec(titles.order_by(col(Situation.id).desc()).limit(RECENT_LIMIT)).all())
    if missing := sorted(chosen - found.keys()):
        found |= dict(session.exec(titles.where(col(Situation.id).in_(missing))).all())
    readable = [(i, title) for i, title in found.items() if i is not None]
    return sorted(readable, key=lambda r: (r[0] not in chosen, -r[0]))


def recent_readable(session: Session, viewer: Viewer, body_id: int, keep: Iterable[int] = ()) -> list[Row]:
    """The body's latest reports that the person reads whole (an action's form offers them),
    with those already chosen."""
    recent = session.exec(
        select(Situation.id)
        .where(full_text(viewer), of_body(body_id))
        .order_by(col(Situation.id).desc())
        .limit(RECENT_LIMIT)
    ).all()
    wanted = readable_in_body(session, viewer, keep, body_id) | {i for i in recent if i is not None}
    stmt = select(Situation).where(col(Situation.id).in_(sorted(wanted)))
    return rows(session, viewer, session.exec(stmt.order_by(col(Situation.id).desc())).all(), "action")


def posted_since(session: Session, viewer: Viewer, since: datetime, *, limit: int) -> tuple[list[Row], int]:
    """Reports posted since then that the person may see (a social one outside its
    organisations as its stub), newest first, capped, and how many in all; the person's own are
    not news to them."""
    stmt = select(Situation).where(
        visible(viewer),
        col(Situation.created_at) >= since,
        or_(col(Situation.created_by).is_(None), col(Situation.created_by) != viewer.user.id),
    )
    found, known, total = _fetch(
        session, viewer, stmt.order_by(col(Situation.id).desc()).limit(limit), total=True
    )
    return rows(session, viewer, found, "home", known), total
