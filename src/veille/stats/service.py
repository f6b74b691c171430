"""Statistics of reports and actions: the tables of the statistics page (and their charts and
exports) and the counts of the API, over what each person may see.

The counting itself lives with the records (``situations.counts``, ``actions.counts.count``),
under their visibility rules; this module names the keys and lays the numbers out. The staff and
the chair of a plenary see aggregates over every body (counts and categories, never a text).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_month_names
from pydantic import BaseModel
from sqlmodel import Session

from veille.access import Viewer
from veille.actions import counts as actions
from veille.actions.enums import ActionKind, ActionStatus, Effect
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body
from veille.charts import Chart, grouped_bars
from veille.directory import service as directory
from veille.directory.models import Commune, Sector
from veille.exports import Table
from veille.i18n import N_, active_language, translate
from veille.labels import LABELS
from veille.memo import Memo
from veille.situations import categories as report_categories
from veille.situations import counts
from veille.situations.models import Category
from veille.types import IdList

HIDDEN = N_("Social coordination (not shown)")
NOT_GIVEN = N_("Not given")
TOTAL = N_("Total")


class Filters(BaseModel):
    """The statistics' filters, as the page's form sends them (each id field may repeat) and as
    the service reads them; the period is bounded by ``types.check_period``."""

    body_id: IdList = []
    commune_id: IdList = []
    sector_id: IdList = []
    category_id: IdList = []
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Scope:
    """Whose statistics: the request's viewer, or its ``every_body()`` for those who read every
    body's aggregates (the staff, a plenary's chair); the bodies they may choose from, and the
    sectors and categories that the filters offer and the tables name (read once a page); the
    communes, offered as a filter where there are two or more (a limited coordinator's own)."""

    viewer: Viewer
    bodies: list[Body]
    sectors: list[Sector]
    categories: list[Category]
    communes: list[Commune] = field(default_factory=list)

    @property
    def all_bodies(self) -> bool:
        return self.viewer.aggregate_only


def scope(session: Session, viewer: Viewer) -> Scope:
    """A coordinator limited to some communes counts over their communes' bodies (and those they
    sit in), their sectors and communes only."""
    sectors = directory.list_sectors(session)
    communes = directory.list_communes(session)
    if viewer.limited:
        communes = [c for c in communes if c.id in (viewer.communes or ())]
        sectors = [s for s in sectors if s.commune_id in (viewer.communes or ())]
    categories = report_categories.categories(session, active_only=False)
    unlimited_staff = viewer.staff and not viewer.limited
    visible = [] if unlimited_staff else bodies.visible_bodies(session, viewer.user)
    chairs_plenary = any(
        b.kind == BodyKind.plenary and viewer.role_in(b.id or 0) == MemberRole.chair for b in visible
    )
    if unlimited_staff or chairs_plenary or viewer.limited:
        everyone = viewer.every_body()
        chosen = bodies.all_bodies(session) if everyone.content_ids is None else visible
        return Scope(
            everyone, [b for b in chosen if everyone.sees_body(b.id or 0)], sectors, categories, communes
        )
    return Scope(viewer, [b for b in visible if viewer.sees_body(b.id or 0)], sectors, categories, communes)


def fingerprint(session: Session, viewer: Viewer) -> tuple[Any, ...]:
    """What this person's statistics are made of, for the validator of their exports: the
    records' marks, and their standing in the bodies (which decides what they count)."""
    standing = (
        viewer.user.id,
        viewer.content_ids and sorted(viewer.content_ids),
        sorted(viewer.roles.items()),
    )
    return actions.marks(session), standing


def _sector_ids(scope: Scope, filters: Filters) -> tuple[int, ...]:
    """The sectors asked for, within the communes asked for (a commune is its sectors)."""
    if not filters.commune_id:
        return tuple(filters.sector_id)
    ids = {s.id for s in scope.sectors if s.commune_id in filters.commune_id and s.id is not None}
    if filters.sector_id:
        ids &= set(filters.sector_id)
    return tuple(sorted(ids)) or (-1,)


def sector_filter(session: Session, commune_id: int | None, sector_id: int | None) -> tuple[int, ...]:
    """The API's sector and commune filters as sectors to count (none: no filter)."""
    if commune_id is None:
        return (sector_id,) if sector_id else ()
    ids = {
        s.id
        for s in directory.list_sectors(session)
        if s.commune_id == commune_id and s.id is not None and (sector_id is None or s.id == sector_id)
    }
    return tuple(sorted(ids)) or (-1,)


def _body_ids(scope: Scope, filters: Filters) -> tuple[int, ...]:
    """The bodies asked for, narrowed to those of the sectors asked for (actions have no sector:
    they count through the bodies that cover it)."""
    chosen = [b for b in scope.bodies if not filters.body_id or b.id in filters.body_id]
    if sector_ids := _sector_ids(scope, filters):
        chosen = [b for b in chosen if {s.id for s in b.sectors} & set(sector_ids)]
    return tuple(b.id for b in chosen if b.id is not None) or (-1,)


def _situation_filters(scope: Scope, filters: Filters, today: date) -> counts.CountFilters:
    """An open period ends today (no report tells facts to come), which spares the month
    grouping its search for the latest date."""
    return counts.CountFilters(
        body_ids=tuple(filters.body_id),
        sector_ids=_sector_ids(scope, filters),
        category_ids=tuple(filters.category_id),
        since=filters.since,
        until=filters.until or today,
    )


def _action_filters(scope: Scope, filters: Filters) -> actions.CountFilters:
    narrowed = filters.body_id or filters.sector_id or filters.commune_id
    return actions.CountFilters(
        body_ids=_body_ids(scope, filters) if narrowed else (), since=filters.since, until=filters.until
    )


def _label(group: str, code: object) -> str:
    return translate(LABELS[group].get(str(code), str(code)))


def _years(filters: Filters, found: Iterable[str], today: date) -> list[int]:
    """The years side by side: those of the period asked for, else those with reports."""
    if filters.since or filters.until:
        first = (filters.since or date(today.year - 2, 1, 1)).year
        last = (filters.until or today).year
        return list(range(first, last + 1))
    years = sorted({int(month[:4]) for month in found})
    return years or [today.year]


@dataclass(frozen=True)
class Counted:
    """The statistics page's counts, as the database grouped them: reports by category and
    month, by sector and severity; actions by kind, status, effect and lead (with the overdue
    ones); the days actions took to be done, as a histogram."""

    by_category_month: list[tuple[tuple[Any, ...], int]]
    by_sector_severity: list[tuple[tuple[Any, ...], int]]
    actions: list[tuple[tuple[Any, ...], int, int]]
    completion_days: list[tuple[int, int]]


# Counted once per worker for what they are made of (memo.py): at metropolis scale the four
# grouped counts read 180,000 reports (1.4 s on SQLite), while the records' marks are index
# lookups. A report or an action written, a report shared or referred, another standing or
# other filters make another key.
_COUNTED: Memo[Counted] = Memo(256)


def counted(session: Session, scope: Scope, filters: Filters, zone: ZoneInfo, today: date) -> Counted:
    """The counts of the page, remembered under the records' marks, the counting rule's inputs
    (the person's bodies, managed bodies, organisation, whether they count every body), the
    filters and the day (overdue actions); one statement when remembered, five when not."""
    reports, work = _situation_filters(scope, filters, today), _action_filters(scope, filters)
    viewer = scope.viewer
    key = (
        str(session.get_bind().engine.url),
        actions.marks(session),
        viewer.rule_key,
        scope.all_bodies,
        reports,
        work,
        zone.key,
        today,
    )

    def count() -> Counted:
        def grouped(*keys: str) -> list[tuple[tuple[Any, ...], int]]:
            return counts.count(session, viewer, keys, reports, zone, all_bodies=scope.all_bodies)

        groups = ("kind", "status", "effect", "lead_organisation")
        return Counted(
            by_category_month=grouped("category", "month"),
            by_sector_severity=grouped("sector", "severity"),
            actions=actions.count(session, viewer, groups, work, today, zone),
            completion_days=actions.completion_days(session, viewer, work, zone),
        )

    return _COUNTED.get(key, count)


@dataclass(frozen=True)
class Section:
    key: str
    table: Table
    chart: Chart | None = None


def situation_sections(scope: Scope, filters: Filters, counted: Counted, today: date) -> list[Section]:
    """Reports by month with the years side by side, by category (years side by side), by
    sector and by severity."""
    by_category_month = counted.by_category_month
    by_month: dict[tuple[Any, ...], int] = defaultdict(int)
    for (_category, month), n in by_category_month:
        by_month[(month,)] += n
    years = _years(filters, (k[0] for k in by_month if k[0]), today)
    months = [str(m) for m in get_month_names("wide", locale=active_language()).values()]
    # "juin", "juil.": the reader's language's own short names, never a cut ("Jui", "Jui").
    short = [str(m) for m in get_month_names("abbreviated", "stand-alone", active_language()).values()]
    grid = [[by_month.get((f"{y}-{m:02d}",), 0) for y in years] for m in range(1, 13)]
    totals = [sum(grid[m][i] for m in range(12)) for i in range(len(years))]
    month_table = Table(
        title=translate(N_("Reports by month, years side by side")),
        columns=[translate(N_("Month")), *map(str, years)],
        rows=[[months[m].capitalize(), *grid[m]] for m in range(12)],
        footer=[[translate(TOTAL), *totals]],
    )
    month_chart = grouped_bars(
        month_table.title,
        translate(N_("%(total)s reports over the period."), total=sum(totals)),
        short,
        {str(y): [grid[m][i] for m in range(12)] for i, y in enumerate(years)},
    )

    categories = {c.id: c.name for c in scope.categories}
    per_category: dict[Any, dict[int, int]] = defaultdict(dict)
    for (category, month), n in by_category_month:
        year = int(month[:4]) if month else 0
        per_category[category][year] = per_category[category].get(year, 0) + n
    ordered = sorted(per_category, key=lambda c: (c is None, categories.get(c, "")))
    category_rows: list[list[Any]] = [
        [
            categories.get(c, "") if c is not None else translate(HIDDEN),
            *[per_category[c].get(y, 0) for y in years],
            sum(per_category[c].get(y, 0) for y in years),
        ]
        for c in ordered
    ]
    category_table = Table(
        title=translate(N_("Reports by category")),
        columns=[translate(N_("Category")), *map(str, years), translate(TOTAL)],
        rows=category_rows,
        footer=[[translate(TOTAL), *totals, sum(totals)]] if category_rows else [],
    )
    category_chart = grouped_bars(
        category_table.title,
        translate(N_("%(count)s categories."), count=len(category_rows)),
        [str(r[0]) for r in category_rows],
        {str(y): [int(r[1 + i] or 0) for r in category_rows] for i, y in enumerate(years)},
    )

    sectors = {s.id: s.name for s in scope.sectors}
    by_sector_severity = counted.by_sector_severity
    sector_totals: dict[tuple[Any, ...], int] = defaultdict(int)
    by_severity: dict[tuple[Any, ...], int] = defaultdict(int)
    for (sector, severity), n in by_sector_severity:
        sector_totals[(sector,)] += n
        by_severity[(severity,)] += n
    by_sector = sorted(sector_totals.items(), key=lambda kv: (kv[0][0] is None, sectors.get(kv[0][0], "")))
    sector_table = Table(
        title=translate(N_("Reports by sector")),
        columns=[translate(N_("Sector")), translate(N_("Reports"))],
        rows=[[sectors.get(k[0], "") if k[0] else translate(NOT_GIVEN), n] for k, n in by_sector],
        footer=[[translate(TOTAL), sum(n for _, n in by_sector)]],
    )
    severity_rows: list[list[Any]] = [[_label("severity", s), by_severity.get((s,), 0)] for s in (1, 2, 3, 4)]
    if by_severity.get((None,)):
        severity_rows.append([translate(HIDDEN), by_severity[(None,)]])
    severity_table = Table(
        title=translate(N_("Reports by severity")),
        columns=[translate(N_("Severity")), translate(N_("Reports"))],
        rows=severity_rows,
        footer=[[translate(TOTAL), sum(by_severity.values())]],
    )
    severity_chart = grouped_bars(
        severity_table.title, "", [str(r[0]) for r in severity_rows], {"": [int(r[1]) for r in severity_rows]}
    )
    return [
        Section("reports_by_month", month_table, month_chart),
        Section("reports_by_category", category_table, category_chart),
        Section("reports_by_sector", sector_table),
        Section("reports_by_severity", severity_table, severity_chart),
    ]


@dataclass(frozen=True)
class ActionSummary:
    total: int
    done: int
    abandoned: int
    overdue: int
    median_days: float | None

    @property
    def completion_rate(self) -> float | None:
        """Done ÷ decided (abandoned ones left out); None with nothing decided."""
        decided = self.total - self.abandoned
        return round(100 * self.done / decided, 1) if decided else None


def action_sections(session: Session, counted: Counted) -> tuple[ActionSummary, list[Section]]:
    """Actions by kind and status, by lead organisation, and their evaluations."""
    by_group = counted.actions
    cell: dict[tuple[str, str], int] = defaultdict(int)
    effects: dict[str | None, int] = defaultdict(int)
    for (kind, status, effect, _lead), n, _ in by_group:
        cell[(kind, status)] += n
        effects[effect] += n
    statuses = list(ActionStatus)
    kind_rows: list[list[Any]] = [
        [
            _label("action_kind", kind),
            *[cell.get((kind.value, s.value), 0) for s in statuses],
            sum(cell.get((kind.value, s.value), 0) for s in statuses),
        ]
        for kind in ActionKind
    ]
    column_totals = [sum(cell.get((k.value, s.value), 0) for k in ActionKind) for s in statuses]
    kind_table = Table(
        title=translate(N_("Actions by kind and status")),
        columns=[translate(N_("Kind")), *[_label("action_status", s) for s in statuses], translate(TOTAL)],
        rows=kind_rows,
        footer=[[translate(TOTAL), *column_totals, sum(column_totals)]],
    )
    kind_chart = grouped_bars(
        kind_table.title,
        "",
        [_label("action_kind", k) for k in ActionKind],
        {_label("action_status", s): [cell.get((k.value, s.value), 0) for k in ActionKind] for s in statuses},
    )
    organisations = {o.id: o.name for o in directory.list_organisations(session)}
    by_lead: dict[int, dict[str, int]] = defaultdict(
        lambda: {"n": 0, "done": 0, "abandoned": 0, "overdue": 0}
    )
    for (_kind, status, _effect, lead), n, overdue in by_group:
        row = by_lead[lead]
        row["n"] += n
        row["overdue"] += overdue
        if status in ("done", "abandoned"):
            row[status] += n
    lead_rows = [
        [
            organisations.get(lead, ""),
            r["n"],
            r["done"],
            r["overdue"],
            _rate(r["done"], r["n"] - r["abandoned"]),
        ]
        for lead, r in sorted(by_lead.items(), key=lambda kv: organisations.get(kv[0], ""))
    ]
    lead_table = Table(
        title=translate(N_("Actions by lead organisation")),
        columns=[
            translate(N_("Lead organisation")),
            translate(N_("Actions")),
            _label("action_status", "done"),
            translate(N_("Overdue")),
            translate(N_("Completion rate (%)")),
        ],
        rows=lead_rows,
    )
    effect_table = Table(
        title=translate(N_("Evaluations of the actions done")),
        columns=[translate(N_("Effect observed")), translate(N_("Actions"))],
        rows=[[_label("effect", e), effects.get(e.value, 0)] for e in Effect],
        footer=[[translate(TOTAL), sum(n for e, n in effects.items() if e is not None)]],
    )
    summary = ActionSummary(
        total=sum(column_totals),
        done=cell_total(cell, "done"),
        abandoned=cell_total(cell, "abandoned"),
        overdue=sum(o for _, _, o in by_group),
        median_days=_median(counted.completion_days),
    )
    return summary, [
        Section("actions_by_kind", kind_table, kind_chart),
        Section("actions_by_lead", lead_table),
        Section("actions_by_effect", effect_table),
    ]


def cell_total(cell: dict[tuple[str, str], int], status: str) -> int:
    return sum(n for (_, s), n in cell.items() if s == status)


def _median(histogram: list[tuple[int, int]]) -> float | None:
    """The median of values given as ``(value, how many)`` in ascending order."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    middle, seen, found = ((total - 1) // 2, total // 2), 0, []
    for value, n in histogram:
        found += [value] * sum(seen <= m < seen + n for m in middle)
        seen += n
    return sum(found) / 2


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# The API's counts


def situation_counts(
    session: Session, viewer: Viewer, group_by: list[str], filters: counts.CountFilters, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """docs/api.md ``/stats/situations``: a category by its code, a body or sector by its id; a key a
    stub hides is null."""
    s = scope(session, viewer)
    codes = {c.id: c.code for c in s.categories}
    result = []
    for keys, n in counts.count(session, s.viewer, group_by, filters, zone, all_bodies=s.all_bodies):
        row: dict[str, Any] = {}
        for name, value in zip(group_by, keys, strict=True):
            row[name] = codes.get(value) if name == "category" and value is not None else value
        result.append(row | {"count": n})
    return result


def action_counts(
    session: Session,
    viewer: Viewer,
    group_by: list[str],
    filters: actions.CountFilters,
    today: date,
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """docs/api.md ``/stats/actions``, with the overdue ones of each group."""
    rows = actions.count(session, scope(session, viewer).viewer, group_by, filters, today, zone)
    return [
        dict(zip(group_by, keys, strict=True)) | {"count": n, "overdue": overdue} for keys, n, overdue in rows
    ]
