"""Activity figures (indicateurs d'activité): the monthly counts an organisation reports on its
own series (an outreach team: "contacts made", "crisis management"…), the grid they are entered
in, and the month × year tables, charts and exports that compare the years.

Who: the figures are the organisation's own data. Its members (users of that organisation) and
the staff (admins and coordinators) read them and manage them (series and counts); anyone else
is answered 404, as for a record they may not see. Figures reach the other partners only
through the coordinator (the plenary's annual report, a body's meeting), never by reading
another organisation's grid. A deactivated organisation's figures stay readable and are no
longer changed.

A count is a non-negative whole number for a month that has begun; an empty cell is "no count"
(shown "—"), which is not 0. Every change is audited; a grid is saved whole or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Literal

from babel.dates import format_date, get_month_names
from babel.numbers import format_decimal
from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.directory.models import Organisation, User
from veille.directory.service import is_staff
from veille.errors import Conflict, InvalidInput, NotFound
from veille.i18n import N_, translate
from veille.orm import utcnow
from veille.pagination import Cursor
from veille.stats.charts import PALETTE, Chart, grouped_bars
from veille.stats.exports import Table
from veille.stats.models import (
    ActivityCount,
    ActivityFigureIn,
    ActivityFigurePublic,
    ActivitySeries,
    SeriesIn,
)
from veille.types import MAX_DAY, MAX_INT, MIN_DAY, parse_int

MIN_YEAR = 1990
MAX_COUNT = 1_000_000
# A chart tells apart as many years as it has colours; older years stay in reach of the filter.
MAX_YEARS = len(PALETTE)
CELL = re.compile(r"c-([0-9]{1,10})-([0-9]{4})-([0-9]{2})")

WHOLE_NUMBER = N_("Enter a whole number, 0 or more.")
TOO_LARGE = N_("Enter a number below one million.")
FUTURE = N_("Counts are entered for months that have begun.")
TOO_OLD = N_("Counts start in 1990.")
UNKNOWN_SERIES = N_("This organisation has no such series: create it first.")
SAME_NAME = N_("This organisation already has a series with this name.")
INACTIVE = N_("This organisation is deactivated: its figures can no longer be changed.")
TOTAL = N_("Total")
CHANGE = N_("Change on a year")
CHANGE_PERCENT = N_("Change on a year (%)")
MONTHS_COUNTED = N_("Months with a count")


# Who reads and changes an organisation's figures


def may_read(user: User, organisation_id: int) -> bool:
    return is_staff(user) or user.organisation_id == organisation_id


def get_organisation(session: Session, user: User, organisation_id: int) -> Organisation:
    """The organisation whose figures the person reads or manages; 404 for anyone else."""
    if not may_read(user, organisation_id):
        raise NotFound()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation


def require_open(organisation: Organisation) -> None:
    if not organisation.active:
        raise Conflict(INACTIVE)


def readable_organisations(session: Session, user: User) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if not is_staff(user):
        stmt = stmt.where(Organisation.id == user.organisation_id)
    return list(session.exec(stmt).all())


@dataclass(frozen=True)
class Overview:
    """One organisation's line in the staff's list."""

    organisation: Organisation
    series: int
    last_month: date | None


def overview(session: Session, user: User) -> list[Overview]:
    """The organisations that keep figures, with their number of series and latest month; two
    queries."""
    organisations = {o.id: o for o in readable_organisations(session, user)}
    rows = session.exec(
        select(
            ActivitySeries.organisation_id,
            func.count(func.distinct(ActivitySeries.id)),
            func.max(ActivityCount.month),
        )
        .outerjoin(ActivityCount, col(ActivityCount.series_id) == ActivitySeries.id)
        .where(col(ActivitySeries.organisation_id).in_(sorted(i for i in organisations if i)))
        .group_by(col(ActivitySeries.organisation_id))
    ).all()
    found = [Overview(organisations[o], n, last) for o, n, last in rows]
    return sorted(found, key=lambda r: r.organisation.name.lower())


# Series


def list_series(session: Session, organisation_id: int) -> list[ActivitySeries]:
    return list(
        session.exec(
            select(ActivitySeries)
            .where(ActivitySeries.organisation_id == organisation_id)
            .order_by(col(ActivitySeries.position), col(ActivitySeries.name), col(ActivitySeries.id))
        ).all()
    )


def get_series(session: Session, organisation: Organisation, series_id: int) -> ActivitySeries:
    series = session.get(ActivitySeries, series_id)
    if series is None or series.organisation_id != organisation.id:
        raise NotFound()
    return series


def _check_name(session: Session, organisation_id: int, name: str, exclude_id: int | None) -> None:
    stmt = select(ActivitySeries.id).where(
        ActivitySeries.organisation_id == organisation_id,
        func.lower(ActivitySeries.name) == name.lower(),
    )
    if exclude_id is not None:
        stmt = stmt.where(ActivitySeries.id != exclude_id)
    if session.exec(stmt).first() is not None:
        raise InvalidInput({"name": SAME_NAME})


def create_series(
    session: Session, *, user: User, organisation: Organisation, data: SeriesIn
) -> ActivitySeries:
    """Adds a series to the organisation's grid, and commits."""
    series = _new_series(session, user=user, organisation=organisation, data=data)
    session.commit()
    return series


def _new_series(
    session: Session, *, user: User, organisation: Organisation, data: SeriesIn
) -> ActivitySeries:
    require_open(organisation)
    assert organisation.id is not None
    _check_name(session, organisation.id, data.name, None)
    series = ActivitySeries(
        organisation_id=organisation.id, name=data.name, position=data.position, active=data.active
    )
    session.add(series)
    session.flush()
    audit.record(
        session,
        user_id=user.id,
        verb="create",
        entity="activity_series",
        entity_id=series.id,
        organisation_id=organisation.id,
        name=series.name,
    )
    return series


def update_series(
    session: Session, *, user: User, organisation: Organisation, series: ActivitySeries, data: SeriesIn
) -> ActivitySeries:
    require_open(organisation)
    _check_name(session, series.organisation_id, data.name, series.id)
    changed = {k: v for k, v in data.model_dump().items() if getattr(series, k) != v}
    if changed:
        series.sqlmodel_update(changed)
        session.add(series)
        audit.record(
            session,
            user_id=user.id,
            verb="update",
            entity="activity_series",
            entity_id=series.id,
            **changed,
        )
    session.commit()
    return series


# Counts


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
            series = _new_series(
                session, user=user, organisation=organisation, data=SeriesIn(name=name, position=position)
            )
            existing[name.strip().lower()] = series
        values[cell_name(series.id or 0, parse_month(month))] = str(count)
    return save_counts(session, user=user, organisation=organisation, values=values, today=today)


def set_figure(
    session: Session, *, user: User, data: ActivityFigureIn, today: date
) -> tuple[ActivityFigurePublic, bool]:
    """The API's upsert of one count, by series name; whether it was created; commits. An
    unknown series is refused (422): series are defined on purpose, not by a typo."""
    organisation = get_organisation(session, user, data.organisation_id)
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
    _write(session, user=user, changes={(series.id, month): data.count}, previous=previous)
    session.commit()
    figure = ActivityFigurePublic(
        organisation_id=series.organisation_id, series=series.name, month=data.month, count=data.count
    )
    return figure, not previous


def figures(
    session: Session,
    user: User,
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
        get_organisation(session, user, organisation_id)
        stmt = stmt.where(ActivitySeries.organisation_id == organisation_id)
    elif not is_staff(user):
        stmt = stmt.where(ActivitySeries.organisation_id == user.organisation_id)
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


# The month × year tables


def month_names(language: str, width: Literal["abbreviated", "wide"] = "wide") -> list[str]:
    names = get_month_names(width, context="stand-alone", locale=language)
    return [str(names[m]) for m in range(1, 13)]


def month_label(month: date, language: str) -> str:
    """ "mars 2016": what a cell's label says after the series."""
    return format_date(month, "LLLL y", locale=language)


def format_change(value: float | None, language: str) -> str | None:
    if value is None:
        return None
    sign = "+" if value > 0 else "\u2212" if value < 0 else ""
    percent = "\u202f%" if language == "fr" else "%"
    return sign + format_decimal(abs(value), format="#,##0.0", locale=language) + percent


@dataclass(frozen=True)
class SeriesYears:
    """One series, months down, years across."""

    series: ActivitySeries
    years: list[int]
    counts: dict[tuple[int, int], int] = field(default_factory=dict)  # (year, month) → count

    def row(self, month: int) -> list[int | None]:
        return [self.counts.get((year, month)) for year in self.years]

    @property
    def totals(self) -> list[int | None]:
        """A year with no count at all has no total (—), not 0."""
        found = []
        for year in self.years:
            values = [n for (y, _m), n in self.counts.items() if y == year]
            found.append(sum(values) if values else None)
        return found

    @property
    def months_counted(self) -> list[int]:
        return [sum(1 for (y, _m) in self.counts if y == year) for year in self.years]

    @property
    def changes(self) -> list[float | None]:
        """Change of each year's total on the year before, in % (one decimal); none for the
        first year, or after a year without counts or with a total of 0."""
        totals = self.totals
        found: list[float | None] = [None]
        for before, after in pairwise(totals):
            found.append(round((after - before) * 100 / before, 1) if before and after is not None else None)
        return found[: len(totals)]

    @property
    def empty(self) -> bool:
        return not self.counts

    def table(self, language: str, *, export: bool = False) -> Table:
        """As the page shows it (changes as "+78,6 %"), or for a spreadsheet (the series in the
        corner, changes as numbers)."""
        names = month_names(language)
        corner = self.series.name if export else translate(N_("Month"), language)
        changes: list[str | float | None] = (
            list(self.changes) if export else [format_change(c, language) for c in self.changes]
        )
        return Table(
            title=self.series.name,
            columns=[corner, *map(str, self.years)],
            rows=[[names[m - 1].capitalize(), *self.row(m)] for m in range(1, 13)],
            footer=[
                [translate(TOTAL, language), *self.totals],
                [translate(CHANGE_PERCENT if export else CHANGE, language), *changes],
                [translate(MONTHS_COUNTED, language), *self.months_counted],
            ],
        )

    def chart(self, language: str) -> Chart:
        """Bars by month, one per year; the months no year counted at either end are left out."""
        used = [m for m in range(1, 13) if any((y, m) in self.counts for y in self.years)] or [1, 12]
        months = list(range(min(used), max(used) + 1))
        names = month_names(language, "abbreviated")
        summary = translate(
            N_("%(series)s per month, one bar per year from %(first)s to %(last)s."),
            language,
            series=self.series.name,
            first=self.years[0],
            last=self.years[-1],
        )
        return grouped_bars(
            self.series.name,
            summary,
            [names[m - 1].capitalize() for m in months],
            {str(y): [self.counts.get((y, m), 0) for m in months] for y in self.years},
        )


@dataclass(frozen=True)
class YearTables:
    organisation: Organisation
    series: list[SeriesYears]
    years: list[int]
    first_year: int | None  # of all the organisation's counts (for the filter)
    last_year: int | None

    @property
    def empty(self) -> bool:
        return all(s.empty for s in self.series)


def year_span(session: Session, organisation_id: int) -> tuple[int | None, int | None]:
    first, last = session.exec(
        select(func.min(ActivityCount.month), func.max(ActivityCount.month))
        .join(ActivitySeries, col(ActivitySeries.id) == ActivityCount.series_id)
        .where(ActivitySeries.organisation_id == organisation_id)
    ).one()
    return (first.year if first else None, last.year if last else None)


def year_tables(
    session: Session,
    organisation: Organisation,
    *,
    since: int | None = None,
    until: int | None = None,
    today: date,
) -> YearTables:
    """Every series of the organisation, years side by side: by default every year it has
    counted, the last eight at most; three queries whatever the number of counts."""
    first, last = year_span(session, organisation.id or 0)
    until = until or last or today.year
    since = since or max(first or until, until - MAX_YEARS + 1)
    since, until = min(since, until), max(since, until)
    years = list(range(since, until + 1))
    every = list_series(session, organisation.id or 0)
    counts = counts_of(session, [s.id for s in every if s.id], date(since, 1, 1), date(until, 12, 1))
    per_series: dict[int, dict[tuple[int, int], int]] = {s.id or 0: {} for s in every}
    for (series_id, month), n in counts.items():
        per_series[series_id][(month.year, month.month)] = n
    shown = [
        SeriesYears(series=s, years=years, counts=per_series[s.id or 0])
        for s in every
        if s.active or per_series[s.id or 0]
    ]
    return YearTables(organisation=organisation, series=shown, years=years, first_year=first, last_year=last)


def export_tables(tables: YearTables, language: str) -> list[Table]:
    return [s.table(language, export=True) for s in tables.series]


def long_table(tables: YearTables, language: str) -> Table:
    """Every series in one CSV: a series column, then the month and the years."""
    rows: list[list[str | int | float | None]] = []
    for series in tables.series:
        table = series.table(language, export=True)
        rows += [[series.series.name, *row] for row in [*table.rows, *table.footer]]
    return Table(
        title=tables.organisation.name,
        columns=[
            translate(N_("Series"), language),
            translate(N_("Month"), language),
            *map(str, tables.years),
        ],
        rows=rows,
    )
