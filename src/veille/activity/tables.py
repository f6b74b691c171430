"""Activity figures side by side: for each series, months down and years across, with each
year's total, its change on the year before and its chart; and the same tables for a
spreadsheet (one sheet per series, or one long CSV)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Literal

from babel.dates import format_date, get_month_names
from babel.numbers import format_decimal
from sqlalchemy import func
from sqlmodel import Session, col, select

from veille.activity.counts import counts_of
from veille.activity.models import ActivityCount, ActivitySeries
from veille.activity.series import list_series
from veille.charts import PALETTE, Chart, grouped_bars
from veille.directory.models import Organisation
from veille.exports import Table
from veille.i18n import N_, translate

# A chart tells apart as many years as it has colours; older years stay in reach of the filter.
MAX_YEARS = len(PALETTE)
TOTAL = N_("Total")
CHANGE = N_("Change on a year")
CHANGE_PERCENT = N_("Change on a year (%)")
MONTHS_COUNTED = N_("Months with a count")


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
