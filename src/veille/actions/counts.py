"""Counts of actions, never their text: by kind, status, lead, body, month or effect for the
statistics (over what the person may see), the delays to completion, the table of actions by
kind and status that the reports of a group, a sector and the plenary show, and the actions at
work during a period."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.actions import rules
from veille.actions.enums import OPEN_STATUSES, ActionKind, ActionStatus, Effect
from veille.actions.lists import by_due_date, visible
from veille.actions.models import Action
from veille.pagecache import at_version
from veille.situations import counts as situation_counts
from veille.situations.counts import month_of

COUNT_GROUPS = ("kind", "status", "lead_organisation", "body", "month", "effect")


@dataclass(frozen=True)
class CountFilters:
    body_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    # Days the actions were recorded, in the city's time zone, both included.
    since: date | None = None
    until: date | None = None


def _counted(viewer: Viewer, filters: CountFilters, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    where = [visible(viewer)]
    if filters.body_ids:
        where.append(col(Action.body_id).in_(filters.body_ids))
    if filters.kinds:
        where.append(col(Action.kind).in_(filters.kinds))
    if filters.since is not None:
        where.append(col(Action.created_at) >= datetime.combine(filters.since, time(), tzinfo=zone))
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), tzinfo=zone)
        where.append(col(Action.created_at) < end)
    return where


def count(
    session: Session,
    viewer: Viewer,
    group_by: Sequence[str],
    filters: CountFilters,
    today: date,
    zone: ZoneInfo,
) -> list[tuple[tuple[Any, ...], int, int]]:
    """``[((key, …), n, overdue), …]`` of the actions the person sees (``month``: of their
    recording, in the city's time zone); one query."""
    unknown = [g for g in group_by if g not in COUNT_GROUPS]
    if unknown:
        raise ValueError(f"unknown grouping: {unknown}")
    columns: dict[str, Any] = {
        "kind": col(Action.kind),
        "status": col(Action.status),
        "lead_organisation": col(Action.lead_organisation_id),
        "body": col(Action.body_id),
        "effect": col(Action.effect),
    }
    if "month" in group_by:
        # The same month rule as the reports'.
        columns["month"] = month_of(session, col(Action.created_at), zone, filters.since, filters.until)
    keys = [columns[g].label(g) for g in group_by]
    overdue = func.sum(case((rules.overdue(today), 1), else_=0))
    stmt = select(*keys, func.count(), overdue).where(*_counted(viewer, filters, zone))  # type: ignore[call-overload]
    if keys:
        stmt = stmt.group_by(*keys)
    return [
        (tuple(str(k) if isinstance(k, StrEnum) else k for k in row[:-2]), int(row[-2]), int(row[-1] or 0))
        for row in session.exec(stmt).all()
    ]


def completion_days(
    session: Session, viewer: Viewer, filters: CountFilters, zone: ZoneInfo
) -> list[tuple[int, int]]:
    """``[(days, n), …]``: how many of the done actions the person sees took so many whole days
    from recording to done (the median delay), counted by the database; one query."""
    if session.get_bind().dialect.name == "sqlite":
        days: ColumnElement[Any] = cast(
            func.julianday(col(Action.done_at)) - func.julianday(col(Action.created_at)), Integer
        )
    else:
        days = func.floor(func.extract("epoch", col(Action.done_at) - col(Action.created_at)) / 86400)
    found = session.execute(
        sa_select(days.label("days"), func.count())
        .where(
            *_counted(viewer, filters, zone),
            col(Action.status) == ActionStatus.done,
            col(Action.done_at).is_not(None),
        )
        .group_by(days)
        .order_by(days)
    ).all()
    return [(int(d), int(n)) for d, n in found]


def change_marks() -> list[Any]:
    """What moves when an action is recorded, changed or deleted: their number and latest
    change (scalar subqueries, for one statement with the reports' marks)."""
    return [
        select(func.count()).select_from(Action).scalar_subquery(),
        select(func.max(col(Action.updated_at))).scalar_subquery(),
    ]


def marks(session: Session) -> tuple[Any, ...]:
    """The reports', referrals' and actions' numbers and latest changes, in one statement read
    again only when the data version moved: the counts a worker keeps (statistics, a body's
    dashboard) are kept under them, so that any report or action written makes another key."""
    return at_version(
        session,
        "marks",
        lambda: tuple(session.exec(select(*situation_counts.change_marks(), *change_marks())).one()),
    )


# Actions by kind and status, and by effect: the reports of a group, a sector and the plenary

EFFECT_ORDER: tuple[Effect | None, ...] = (*Effect, None)


@dataclass(frozen=True)
class Counts:
    """Actions by kind and status."""

    cells: dict[tuple[ActionKind, ActionStatus], int]

    def get(self, kind: ActionKind, status: ActionStatus) -> int:
        return self.cells.get((kind, status), 0)

    def of_kind(self, kind: ActionKind) -> int:
        return sum(n for (k, _), n in self.cells.items() if k == kind)

    def of_status(self, status: ActionStatus) -> int:
        return sum(n for (_, s), n in self.cells.items() if s == status)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def open(self) -> int:
        return sum(self.of_status(s) for s in OPEN_STATUSES)

    @property
    def done(self) -> int:
        return self.of_status(ActionStatus.done)

    @property
    def completion(self) -> int | None:
        """Done actions as a share of those not abandoned, in per cent."""
        counted = self.total - self.of_status(ActionStatus.abandoned)
        return round(self.done * 100 / counted) if counted else None


def effects(pairs: Iterable[tuple[Effect | None, int]]) -> list[tuple[Effect | None, int]]:
    """Finished actions by the effect observed (None: not evaluated yet), in a fixed order."""
    counts: Counter[Effect | None] = Counter()
    for effect, n in pairs:
        counts[effect] += n
    return [(e, counts[e]) for e in EFFECT_ORDER if counts[e]]


def _at_work(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Actions at work during [start, end): decided before its end and not finished before its
    start (a finished action's end is when it was done, or abandoned: its last change)."""
    return and_(
        col(Action.created_at) < end,
        or_(
            col(Action.status).in_(OPEN_STATUSES),
            func.coalesce(col(Action.done_at), col(Action.updated_at)) >= start,
        ),
    )


def at_work_during(start: datetime, end: datetime) -> ColumnElement[bool]:
    """SQL: the action is at work during [start, end), for a query of another domain over the
    actions it links (a strategy's objectives)."""
    return _at_work(start, end)


def at_work(session: Session, body_ids: Iterable[int], start: datetime, end: datetime) -> list[Action]:
    """The bodies' actions at work during [start, end), soonest due first; the caller has
    checked that its reader sees these bodies."""
    ids = sorted(body_ids)
    if not ids:
        return []
    stmt = select(Action).where(col(Action.body_id).in_(ids), _at_work(start, end))
    return list(session.exec(by_due_date(stmt)).all())


def at_work_counts(
    session: Session, start: datetime, end: datetime
) -> list[tuple[int, ActionKind, ActionStatus, Effect | None, int]]:
    """Every body's actions at work during [start, end) by body, kind, status and effect:
    aggregates over all bodies, whoever reads (the plenary's annual report); one query."""
    found = session.execute(
        sa_select(col(Action.body_id), col(Action.kind), col(Action.status), col(Action.effect), func.count())
        .where(_at_work(start, end))
        .group_by(col(Action.body_id), col(Action.kind), col(Action.status), col(Action.effect))
    ).all()
    return [
        (body_id, ActionKind(kind), ActionStatus(status), Effect(effect) if effect else None, int(n))
        for body_id, kind, status, effect, n in found
    ]
