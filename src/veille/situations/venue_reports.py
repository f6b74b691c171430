"""What happened around a venue: the reports naming it that the person may see, and their
counts by month and by venue. Venues are reference data below this domain (like a sector); their
reports are shown here, under the visibility rule, so that venues never reads reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.pagination import Page, numbered_page
from veille.situations.feed import Filters, Row, feed_query, rows
from veille.situations.models import Situation
from veille.situations.visibility import full_text
from veille.venues.models import Venue

REPORTS_PAGE_SIZE = 20
MONTHS = 12


def venue_reports(
    session: Session, viewer: Viewer, venue: Venue, *, page: int
) -> tuple[Page[Situation], list[Row]]:
    """The reports naming the venue that the person reads whole, newest first; their reads of
    restricted and social reports are audited."""
    stmt = feed_query(session, viewer, Filters(body_id=venue.body_id), venue_id=venue.id).order_by(
        col(Situation.occurred_at).desc(), col(Situation.id).desc()
    )
    result = numbered_page(session, stmt, page, size=REPORTS_PAGE_SIZE)
    return result, rows(session, viewer, result.items, "venue")


@dataclass(frozen=True)
class MonthCount:
    month: date  # its first day
    count: int


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def _window_start(today: date, tz: ZoneInfo) -> datetime:
    """The first instant of the twelve months that the counts cover (this one included)."""
    return _local_midnight(_add_months(today.replace(day=1), 1 - MONTHS), tz)


def monthly_counts(
    session: Session, viewer: Viewer, venue: Venue, *, tz: ZoneInfo, today: date
) -> list[MonthCount]:
    """The reports naming the venue that the person may read, by month of the facts (in the
    city's time zone) over the last twelve months, oldest first, in one query."""
    months = [_add_months(today.replace(day=1), n) for n in range(1 - MONTHS, 2)]
    bounds = [_local_midnight(m, tz) for m in months]
    found = (
        feed_query(session, viewer, Filters(body_id=venue.body_id), venue_id=venue.id)
        .where(col(Situation.occurred_at) >= bounds[0], col(Situation.occurred_at) < bounds[-1])
        .subquery()
    )
    bucket = case(*((found.c.occurred_at < bound, n) for n, bound in enumerate(bounds[1:])))
    buckets = select(bucket.label("month")).select_from(found).subquery()
    counts = dict(session.exec(select(buckets.c.month, func.count()).group_by(buckets.c.month)).all())
    return [MonthCount(month=m, count=counts.get(n, 0)) for n, m in enumerate(months[:-1])]


def report_counts(
    session: Session, viewer: Viewer, body_id: int, *, tz: ZoneInfo, today: date
) -> dict[int, int]:
    """Per venue of the body, the reports of the last twelve months that the person reads
    whole (a stub never tells which venue it is about)."""
    stmt = (
        feed_query(session, viewer, Filters(body_id=body_id))
        .where(
            full_text(viewer),
            col(Situation.venue_id).is_not(None),
            col(Situation.occurred_at) >= _window_start(today, tz),
        )
        .subquery()
    )
    rows: Sequence[tuple[int, int]] = session.exec(
        select(stmt.c.venue_id, func.count()).group_by(stmt.c.venue_id)
    ).all()
    return dict(rows)
