"""Counts of reports for statistics, under the rule of the pages (docs/confidentiality.md).

A report is counted when the person may see it; what a stub hides (its category and severity)
counts as unknown (None) for those who see a `social` report only as a stub. Those who see
aggregates over every body (the staff, the chair of a plenary) count every report of every
body, restricted ones included: counts and categories, never a text; a coordinator limited to
some communes, every report of their communes' bodies and those they sit in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, case, func, or_, true
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation, SituationReferral
from veille.situations.visibility import full_text, in_bodies, visible

GROUPS = ("category", "month", "sector", "body", "severity")
HIDDEN_BY_STUBS = ("category", "severity")


@dataclass(frozen=True)
class CountFilters:
    body_ids: tuple[int, ...] = ()
    sector_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    severities: tuple[int, ...] = ()
    # Days the facts happened, in the city's time zone, both included.
    since: date | None = None
    until: date | None = None
    # A sector's reports: those naming it, and those naming none posted in a body that covers
    # it alone (``alone_body_ids``).
    in_sector: int | None = None
    alone_body_ids: tuple[int, ...] = ()

    @property
    def on_content(self) -> bool:
        return bool(self.category_ids or self.severities)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def month_of(
    session: Session, column: Any, zone: ZoneInfo, since: date | None, until: date | None
) -> ColumnElement[str]:
    """'YYYY-MM' of a timestamp in the city's time zone, in SQL, over the period counted, from
    the UTC instants at which the city's months begin (zoneinfo computes them): PostgreSQL finds
    the month by a binary search among them (``width_bucket``; ``to_char`` of ``AT TIME ZONE``
    took 150 of a metropolis's 480 ms count), SQLite, which has no time zones, by a ``CASE``
    over them (a Python function called for each row took half of the statistics page's time
    at city scale). An open period takes its ends from the earliest and latest timestamps (one
    indexed query)."""
    if since is None or until is None:
        ends = select(select(func.min(column)).scalar_subquery(), select(func.max(column)).scalar_subquery())
        found = [m.astimezone(zone).date() for m in session.exec(ends).one() if m is not None]
        today = datetime.now(zone).date()
        since, until = since or min(found, default=today), until or max([*found, today])
    months = [date(since.year, since.month, 1)]
    while months[-1] <= until:
        month = months[-1]
        months.append(date(month.year + month.month // 12, month.month % 12 + 1, 1))
    starts = [_midnight(month, zone) for month in months]
    labels = [f"{month:%Y-%m}" for month in months[:-1]]
    if session.get_bind().dialect.name == "postgresql":
        # Bucket 0 (before the first month) and the last (after the period) index no label: NULL.
        bucket = func.width_bucket(column, postgresql.array(starts, type_=column.type))
        return postgresql.array(labels, type_=String)[bucket]
    whens = [(column < start, label) for start, label in zip(starts, [None, *labels], strict=True)]
    return case(*whens, else_=None)


def _scope(viewer: Viewer, all_bodies: bool, filters: CountFilters) -> tuple[ColumnElement[bool], Any]:
    """Which reports count, and whether each is read whole (else its content keys are hidden)."""
    if all_bodies:
        # Every report of their bodies (every body, or a limited coordinator's communes'), read
        # whole but the social ones not shared with them. The level's test first: the databases
        # stop there, before the share test of ``full_text``.
        everyone = viewer.every_body()
        shown = in_bodies(everyone)
        social = col(Situation.confidentiality) == Confidentiality.social
        whole = or_(~social, full_text(everyone, every=True))
        return (and_(shown, whole) if filters.on_content else shown), whole
    whole, shown = full_text(viewer, every=True), visible(viewer, every=True)
    return (whole if filters.on_content else shown), whole


def count(
    session: Session,
    viewer: Viewer,
    group_by: Sequence[str],
    filters: CountFilters,
    zone: ZoneInfo,
    *,
    all_bodies: bool = False,
) -> list[tuple[tuple[Any, ...], int]]:
    """``[((key, …), n), …]`` in the order of ``group_by``; one query."""
    counted, whole = _scope(viewer, all_bodies, filters)
    return _count(session, counted, whole, group_by, filters, zone)


def count_every(
    session: Session, group_by: Sequence[str], filters: CountFilters, zone: ZoneInfo
) -> list[tuple[tuple[Any, ...], int]]:
    """As ``count``, over every report whoever reads, a social report's category and severity
    withheld even from who could read it: the plenary's annual report goes beyond the bodies
    (docs/confidentiality.md, rule 5)."""
    whole = col(Situation.confidentiality) != Confidentiality.social
    return _count(session, true(), whole, group_by, filters, zone)


def _count(
    session: Session,
    counted: ColumnElement[bool],
    whole: Any,
    group_by: Sequence[str],
    filters: CountFilters,
    zone: ZoneInfo,
) -> list[tuple[tuple[Any, ...], int]]:
    unknown = [g for g in group_by if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown grouping: {unknown}")
    columns: dict[str, Any] = {
        "category": case((whole, col(Situation.category_id)), else_=None),
        "severity": case((whole, col(Situation.severity)), else_=None),
        "sector": col(Situation.sector_id),
        "body": col(Situation.body_id),
    }
    if "month" in group_by:
        columns["month"] = month_of(session, col(Situation.occurred_at), zone, filters.since, filters.until)
    keys = [columns[g].label(g) for g in group_by]
    stmt = select(*keys, func.count().label("n")).select_from(Situation).where(counted)  # type: ignore[call-overload]
    if filters.body_ids:
        stmt = stmt.where(col(Situation.body_id).in_(filters.body_ids))
    if filters.sector_ids:
        stmt = stmt.where(col(Situation.sector_id).in_(filters.sector_ids))
    if filters.category_ids:
        stmt = stmt.where(and_(whole, col(Situation.category_id).in_(filters.category_ids)))
    if filters.severities:
        stmt = stmt.where(and_(whole, col(Situation.severity).in_(filters.severities)))
    if filters.in_sector is not None:
        named = col(Situation.sector_id) == filters.in_sector
        if filters.alone_body_ids:
            alone = col(Situation.body_id).in_(filters.alone_body_ids)
            named = or_(named, and_(col(Situation.sector_id).is_(None), alone))
        stmt = stmt.where(named)
    if filters.since is not None:
        stmt = stmt.where(col(Situation.occurred_at) >= _midnight(filters.since, zone))
    if filters.until is not None:
        stmt = stmt.where(col(Situation.occurred_at) < _midnight(filters.until + timedelta(days=1), zone))
    if keys:
        stmt = stmt.group_by(*keys)
    return [(tuple(row[:-1]), int(row[-1])) for row in session.exec(stmt).all()]


def change_marks() -> list[Any]:
    """What moves when a report is posted, changed, shared, purged, deleted or referred to a
    body: the reports' number and latest change, the referrals' number and latest one (index
    lookups, as scalar subqueries for one statement with the actions' marks)."""
    return [
        select(func.count()).select_from(Situation).scalar_subquery(),
        select(func.max(col(Situation.updated_at))).scalar_subquery(),
        select(func.count()).select_from(SituationReferral).scalar_subquery(),
        select(func.max(col(SituationReferral.referred_at))).scalar_subquery(),
    ]
