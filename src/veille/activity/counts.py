"""Activity figures' counts: a non-negative whole number for a month that has begun, per
series; an empty cell is "no count" (shown "—"), which is not 0. The monthly entry grid saves
them whole or not at all, the API one at a time, an import a team's published history; every
change is audited."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.activity.models import (
    ActivityCount,
    ActivityFigureIn,
    ActivityFigurePublic,
    ActivitySeries,
    SeriesIn,
)
from veille.activity.series import add_series, get_organisation, list_series, require_open
from veille.audit import service as audit
from veille.directory.models import Organisation, User
from veille.errors import InvalidInput
from veille.i18n import N_
from veille.orm import utcnow
from veille.pagination import Cursor
from veille.types import MAX_DAY, MAX_INT, MIN_DAY, parse_int

MIN_YEAR = 1990
MAX_COUNT = 1_000_000
CELL = re.compile(r"c-([0-9]{1,10})-([0-9]{4})-([0-9]{2})")

WHOLE_NUMBER = N_("Enter a whole number, 0 or more.")
TOO_LARGE = N_("Enter a number below one million.")
FUTURE = N_("Counts are entered for months that have begun.")
TOO_OLD = N_("Counts start in 1990.")
UNKNOWN_SERIES = N_("This organisation has no such series: create it first.")


def parse_count(raw: str) -> int | None:
    """A typed cell: blank is "no count"; otherwise a whole number from 0 to a million."""
    text = raw.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not text:
        return None
    if not text.isdigit() or not text.isascii():
        raise ValueError(WHOLE_NUMBER)
    value = int(text)
    if value >= MAX_COUNT:
        raise ValueError(TOO_LARGE)
    return value


def check_month(month: date, today: date) -> None:
    if month.year < MIN_YEAR:
        raise ValueError(TOO_OLD)
    if month > today.replace(day=1):
        raise ValueError(FUTURE)


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def cell_name(series_id: int, month: date) -> str:
    return f"c-{series_id}-{month_key(month)}"


def parse_cell_name(name: str) -> tuple[int, date] | None:
    found = CELL.fullmatch(name)
    if found is None or not 1 <= int(found[1]) <= MAX_INT or not 1 <= int(found[3]) <= 12:
        return None
    if not MIN_DAY.year <= int(found[2]) <= MAX_DAY.year:
        return None
    return int(found[1]), date(int(found[2]), int(found[3]), 1)


def counts_of(
    session: Session, series_ids: Iterable[int], since: date | None = None, until: date | None = None
) -> dict[tuple[int, date], int]:
    """(series, month) → count, in one query."""
    ids = sorted(set(series_ids))
    if not ids:
        return {}
    stmt = select(col(ActivityCount.series_id), col(ActivityCount.month), col(ActivityCount.count)).where(
        col(ActivityCount.series_id).in_(ids)
    )
    if since is not None:
        stmt = stmt.where(col(ActivityCount.month) >= since)
    if until is not None:
        stmt = stmt.where(col(ActivityCount.month) <= until)
    return {(s, m): n for s, m, n in session.exec(stmt).all()}


def _upsert(session: Session, *, series_id: int, month: date, count: int, user_id: int | None) -> None:
    """One statement, safe against a concurrent writer of the same cell (ON CONFLICT)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = {
        "series_id": series_id,
        "month": month,
        "count": count,
        "updated_by": user_id,
        "updated_at": utcnow(),
    }
    stmt = dialect.insert(ActivityCount.__table__).values(**values)  # type: ignore[attr-defined]
    stmt = stmt.on_conflict_do_update(
        index_elements=["series_id", "month"],
        set_={"count": count, "updated_by": user_id, "updated_at": values["updated_at"]},
    )
    session.execute(stmt)


def _write(
    session: Session,
    *,
    user: User,
    changes: Mapping[tuple[int, date], int | None],
    previous: Mapping[tuple[int, date], int],
) -> int:
    """Writes the counts that differ from ``previous``; how many changed."""
    written = 0
    for (series_id, month), count in sorted(changes.items()):
        before = previous.get((series_id, month))
        if before == count:
            continue
        if count is None:
            session.execute(
                delete(ActivityCount).where(
                    col(ActivityCount.series_id) == series_id, col(ActivityCount.month) == month
                )
            )
        else:
            _upsert(session, series_id=series_id, month=month, count=count, user_id=user.id)
        audit.record(
            session,
            user_id=user.id,
            verb="count",
            entity="activity_series",
            entity_id=series_id,
            month=month_key(month),
            count=count,
            previous=before,
        )
        written += 1
    return written


def save_counts(
    session: Session,
    *,
    user: User,
    organisation: Organisation,
    values: Mapping[str, str],
    today: date,
) -> int:
    """Saves typed cells (``c-<series>-<YYYY-MM>`` → text) all together, or none of them: the
    errors come back keyed by cell name. How many counts changed; commits."""
    require_open(organisation)
    series_ids = {s.id for s in list_series(session, organisation.id or 0)}
    changes: dict[tuple[int, date], int | None] = {}
    errors: dict[str, str] = {}
    for name, raw in values.items():
        parsed = parse_cell_name(name)
        if parsed is None:
            continue
        series_id, month = parsed
        if series_id not in series_ids:
            errors[name] = UNKNOWN_SERIES
            continue
        try:
            check_month(month, today)
            changes[parsed] = parse_count(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidInput(errors)
    written = 0
    if changes:
        months = [m for _s, m in changes]
        previous = counts_of(session, {s for s, _m in changes}, min(months), max(months))
        written = _write(session, user=user, changes=changes, previous=previous)
    session.commit()
    return written


def import_figures(
    session: Session,
    *,
    user: User,
    organisation: Organisation,
    rows: Iterable[tuple[str, str, int]],
    today: date,
) -> int:
    """Loads ``(series, "YYYY-MM", count)`` rows, as a team's published history gives them:
    the series missing are created in the order they first appear, after the existing ones;
    then the counts are saved as the grid saves them: series and counts in one commit, or
    nothing. How many changed."""
    existing = {s.name.lower(): s for s in list_series(session, organisation.id or 0)}
    position = max((s.position for s in existing.values()), default=0)
    values: dict[str, str] = {}
    for name, month, count in rows:
        series = existing.get(name.strip().lower())
        if series is None:
            position += 1
            series = add_series(
                session, user=user, organisation=organisation, data=SeriesIn(name=name, position=position)
            )
            existing[name.strip().lower()] = series
        values[cell_name(series.id or 0, parse_month(month))] = str(count)
    return save_counts(session, user=user, organisation=organisation, values=values, today=today)


def set_figure(
    session: Session, *, viewer: Viewer, data: ActivityFigureIn, today: date
) -> tuple[ActivityFigurePublic, bool]:
    """The API's upsert of one count, by series name; whether it was created; commits. An
    unknown series is refused (422): series are defined on purpose, not by a typo."""
    organisation = get_organisation(session, viewer, data.organisation_id)
    require_open(organisation)
    series = session.exec(
        select(ActivitySeries).where(
            ActivitySeries.organisation_id == organisation.id,
            func.lower(ActivitySeries.name) == data.series.lower(),
        )
    ).first()
    if series is None or series.id is None:
        raise InvalidInput({"series": UNKNOWN_SERIES})
    month = parse_month(data.month)
    try:
        check_month(month, today)
    except ValueError as exc:
        raise InvalidInput({"month": str(exc)}) from exc
    previous = counts_of(session, [series.id], month, month)
    _write(session, user=viewer.user, changes={(series.id, month): data.count}, previous=previous)
    session.commit()
    figure = ActivityFigurePublic(
        organisation_id=series.organisation_id, series=series.name, month=data.month, count=data.count
    )
    return figure, not previous


def figures(
    session: Session,
    viewer: Viewer,
    *,
    organisation_id: int | None,
    series: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    cursor: Cursor,
) -> tuple[list[ActivityFigurePublic], str | None]:
    """The counts the person may read (their organisation's; every one for the staff), in the
    order they were first entered, one page."""
    stmt = select(ActivityCount, ActivitySeries.organisation_id, ActivitySeries.name).join(
        ActivitySeries, col(ActivitySeries.id) == ActivityCount.series_id
    )
    if organisation_id is not None:
        get_organisation(session, viewer, organisation_id)
        stmt = stmt.where(ActivitySeries.organisation_id == organisation_id)
    elif not viewer.staff:
        stmt = stmt.where(ActivitySeries.organisation_id == viewer.organisation_id)
    if series:
        stmt = stmt.where(func.lower(ActivitySeries.name) == series.strip().lower())
    if since is not None:
        stmt = stmt.where(col(ActivityCount.month) >= since)
    if until is not None:
        stmt = stmt.where(col(ActivityCount.month) <= until)
    if cursor.after_id is not None:
        stmt = stmt.where(col(ActivityCount.id) > cursor.after_id)
    rows = session.exec(stmt.order_by(col(ActivityCount.id)).limit(limit + 1)).all()
    next_cursor = Cursor.encode(rows[limit - 1][0].id or 0) if len(rows) > limit else None
    items = [
        ActivityFigurePublic(organisation_id=o, series=name, month=month_key(c.month), count=c.count)
        for c, o, name in rows[:limit]
    ]
    return items, next_cursor


# The entry grid


@dataclass(frozen=True)
class Grid:
    """A year of counts: rows months, columns series."""

    organisation: Organisation
    year: int
    series: list[ActivitySeries]
    counts: dict[tuple[int, date], int]
    today: date

    @property
    def months(self) -> list[date]:
        return [date(self.year, m, 1) for m in range(1, 13)]

    def is_open(self, month: date) -> bool:
        return date(MIN_YEAR, 1, 1) <= month <= self.today.replace(day=1)

    def value(self, series_id: int | None, month: date) -> int | None:
        return self.counts.get((series_id or 0, month))


def grid(session: Session, organisation: Organisation, year: int, today: date) -> Grid:
    """The active series, and the inactive ones that hold a count this year; two queries."""
    every = list_series(session, organisation.id or 0)
    counts = counts_of(session, [s.id for s in every if s.id], date(year, 1, 1), date(year, 12, 1))
    counted = {s for s, _m in counts}
    shown = [s for s in every if s.active or s.id in counted]
    return Grid(organisation=organisation, year=year, series=shown, counts=counts, today=today)


def clamp_year(raw: str | None, today: date) -> int:
    """The year asked for (a bad one: this year), between 1990 and this year."""
    try:
        year = parse_int(raw)
    except ValueError:
        year = today.year
    return min(max(year, MIN_YEAR), today.year)
