"""A body's dashboard: what the body deals with (its reports by month and category, its open
problem files), how its actions go (by kind and status, the overdue ones) and who comes to its
meetings (attendance by organisation).

Every figure is taken over what the reader may see, through the rules of the domains that own
the records (``situations.counts`` for reports, ``actions.lists.query``, ``actions.counts.count`` for
actions, the body's access for its meetings); a fixed number of queries whatever the number of
records. The charts and tables are laid out when the template asks for them, so that their
words are in the reader's language (the page's language is set while it renders).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlmodel import Session

from veille.access import Viewer
from veille.actions import lists as actions
from veille.actions.counts import CountFilters, Counts, count, marks
from veille.actions.enums import ActionKind, ActionStatus
from veille.bodies import service as bodies
from veille.bodies.models import Body
from veille.charts import LEFT, RIGHT, WIDTH, Chart, grouped_bars
from veille.directory import service as directory
from veille.directory.models import Organisation
from veille.exports import Table
from veille.i18n import N_, active_language, ngettext, translate
from veille.meetings import lists as meetings
from veille.meetings.models import Meeting
from veille.memo import Memo
from veille.situations import categories, counts, problems
from veille.situations.enums import ProblemStatus
from veille.situations.models import Problem

# A body's dashboard
MONTHS = 12
ATTENDANCE_MEETINGS = 12
OVERDUE_LIMIT = 10

SOCIAL = N_("Social coordination")
# A chart's labels share its width: about 6 units a character at the chart's font size.
LABEL_UNIT = 6.5
TOTAL = N_("Total")


def fit_labels(labels: list[str], width: int = WIDTH - LEFT - RIGHT) -> list[str]:
    """Labels cut to what their slot of the chart's width holds (the table beside gives them
    whole), so that they do not run into each other."""
    room = max(4, int(width / max(1, len(labels)) / LABEL_UNIT))
    return [label if len(label) <= room else label[: room - 1].rstrip() + "…" for label in labels]


def last_months(today: date, count: int = MONTHS) -> list[date]:
    """The first day of each of the last ``count`` months, this one last."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


@dataclass(frozen=True)
class Attendance:
    """How often an organisation came to the body's meetings it was invited to: a meeting
    counts once per organisation, attended when one of its people was present or represented."""

    organisation: Organisation
    invited: int
    attended: int
    excused: int

    @property
    def rate(self) -> float:
        return self.attended / self.invited if self.invited else 0.0

    @property
    def percent(self) -> int:
        return round(self.rate * 100)


@dataclass(frozen=True)
class ProblemLine:
    problem: Problem
    reports: int


@dataclass(frozen=True)
class BodyDashboard:
    access: bodies.BodyAccess
    months: list[date]
    # Reports over the months: {category name or None (a stub): {"YYYY-MM": n}}.
    reports: dict[str | None, dict[str, int]]
    problems: list[ProblemLine]
    action_counts: Counts
    overdue: list[actions.Row]
    overdue_count: int
    attendance: list[Attendance]
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def body(self) -> Body:
        return self.access.body

    # Figures

    def month_keys(self) -> list[str]:
        return [m.strftime("%Y-%m") for m in self.months]

    def per_month(self) -> list[int]:
        keys = self.month_keys()
        return [sum(by_month.get(k, 0) for by_month in self.reports.values()) for k in keys]

    @property
    def reports_total(self) -> int:
        return sum(sum(by_month.values()) for by_month in self.reports.values())

    @property
    def stubs_total(self) -> int:
        return sum(self.reports.get(None, {}).values())

    def categories(self) -> list[tuple[str | None, int]]:
        """(category, reports over the months), most reported first; the stubs last."""
        named = sorted(
            ((name, sum(m.values())) for name, m in self.reports.items() if name is not None),
            key=lambda kv: (-kv[1], kv[0] or ""),
        )
        return named + ([(None, self.stubs_total)] if self.stubs_total else [])

    @property
    def open_actions(self) -> int:
        return self.action_counts.open

    @property
    def attendance_rate(self) -> int | None:
        """Over every organisation: meetings attended ÷ meetings invited to."""
        invited = sum(a.invited for a in self.attendance)
        return round(sum(a.attended for a in self.attendance) / invited * 100) if invited else None

    # What the page draws (built while it renders, in the reader's language)

    def _month_label(self, month: date) -> str:
        """The month's short name; with its year for the first month and each January."""
        language = active_language()
        if month.month != 1 and month != self.months[0]:
            return format_date(month, "MMM", locale=language)
        return format_date(month, "MMM yy", locale=language)

    def _category_name(self, name: str | None) -> str:
        return name if name is not None else translate(SOCIAL)

    def month_figure(self) -> tuple[Chart, Table]:
        """Reports month by month (chart) and by category and month (table)."""
        keys = self.month_keys()
        per_month = self.per_month()
        table = Table(
            title=translate(N_("Reports by category and month")),
            columns=[
                translate(N_("Category")),
                *[self._month_label(m) for m in self.months],
                translate(TOTAL),
            ],
            rows=[
                [
                    self._category_name(name),
                    *[self.reports.get(name, {}).get(k, 0) for k in keys],
                    n,
                ]
                for name, n in self.categories()
            ],
            footer=[[translate(TOTAL), *per_month, sum(per_month)]],
        )
        chart = grouped_bars(
            translate(N_("Reports by month")),
            ngettext(
                "%(num)s report over the last 12 months.",
                "%(num)s reports over the last 12 months.",
                self.reports_total,
            ),
            [self._month_label(m) for m in self.months],
            {translate(N_("Reports")): per_month},
        )
        return chart, table

    def category_figure(self) -> tuple[Chart, Table]:
        lines = self.categories()
        total = self.reports_total
        table = Table(
            title=translate(N_("Reports by category")),
            columns=[translate(N_("Category")), translate(N_("Reports")), translate(N_("Share"))],
            rows=[
                [self._category_name(name), n, f"{round(n / total * 100)} %" if total else None]
                for name, n in lines
            ],
            footer=[[translate(TOTAL), total, "100 %" if total else None]],
        )
        chart = grouped_bars(
            translate(N_("Reports by category")),
            ngettext(
                "%(num)s category over the last 12 months.",
                "%(num)s categories over the last 12 months.",
                len(lines),
            ),
            fit_labels([self._category_name(name) for name, _ in lines]),
            {translate(N_("Reports")): [n for _, n in lines]},
        )
        return chart, table

    def attendance_figure(self) -> tuple[Chart, Table]:
        table = Table(
            title=translate(N_("Attendance of the organisations")),
            columns=[
                translate(N_("Organisation")),
                translate(N_("Invited")),
                translate(N_("Present or represented")),
                translate(N_("Excused")),
                translate(N_("Attendance rate")),
            ],
            rows=[
                [a.organisation.name, a.invited, a.attended, a.excused, f"{a.percent} %"]
                for a in self.attendance
            ],
        )
        chart = grouped_bars(
            translate(N_("Attendance rate of the organisations (%)")),
            ngettext(
                "Over the body's last held meeting.",
                "Over the body's last %(num)s held meetings.",
                len(self.meetings),
            ),
            fit_labels([a.organisation.name for a in self.attendance]),
            {translate(N_("Attendance rate")): [a.percent for a in self.attendance]},
        )
        return chart, table


def _reports(session: Session, found: list[tuple[tuple[Any, ...], int]]) -> dict[str | None, dict[str, int]]:
    """The counts by category (None: reports seen as stubs) and month, the categories named."""
    names = {c.id: c.name for c in categories.categories(session, active_only=False)}
    result: dict[str | None, dict[str, int]] = {}
    for (category_id, month), n in found:
        name = names.get(category_id) if category_id is not None else None
        by_month = result.setdefault(name, {})
        by_month[month] = by_month.get(month, 0) + n
    return result


@dataclass(frozen=True)
class Counted:
    """What a dashboard counts: the body's reports the person may see by category and month of
    the facts over the months shown (the statistics' rule, ``situations.counts``), and its
    actions by kind and status with how many are overdue (``actions.counts``)."""

    reports: list[tuple[tuple[Any, ...], int]]
    actions: list[tuple[tuple[Any, ...], int, int]]


# Kept per worker as the statistics' counts are (memo.py), under the records' marks, the
# reader's rule and the day: members open their body's dashboard far more often than reports
# and actions are written.
_COUNTED: Memo[Counted] = Memo(512)


def _counted(
    session: Session, viewer: Viewer, body_id: int, months: list[date], today: date, zone: ZoneInfo
) -> Counted:
    key = (str(session.get_bind().engine.url), marks(session), viewer.rule_key, body_id, today, zone.key)

    def count_them() -> Counted:
        reports = counts.CountFilters(body_ids=(body_id,), since=months[0], until=today)
        work = CountFilters(body_ids=(body_id,))
        return Counted(
            reports=counts.count(session, viewer, ("category", "month"), reports, zone),
            actions=count(session, viewer, ("kind", "status"), work, today, zone),
        )

    return _COUNTED.get(key, count_them)


def open_problems(session: Session, access: bodies.BodyAccess, viewer: Viewer) -> list[ProblemLine]:
    """The body's problem files still open, with how many of their reports the person sees."""
    found = [p for p in problems.body_problems(session, access) if p.status != ProblemStatus.closed]
    reports = problems.problem_counts(session, viewer, [p.id for p in found if p.id is not None])
    return [ProblemLine(problem=p, reports=reports.get(p.id or 0, 0)) for p in found]


def _action_counts(found: list[tuple[tuple[Any, ...], int, int]]) -> tuple[Counts, int]:
    cells = {(ActionKind(kind), ActionStatus(status)): n for (kind, status), n, _ in found}
    return Counts(cells=cells), sum(late for _, _, late in found)


def _overdue(session: Session, viewer: Viewer, body_id: int, today: date) -> list[actions.Row]:
    stmt = actions.query(viewer, actions.Filters(body_id=body_id, overdue=True), today)
    found = session.exec(actions.by_due_date(stmt).limit(OVERDUE_LIMIT)).all()
    return actions.rows(session, found, today)


def _attendance(session: Session, body_id: int) -> tuple[list[Meeting], list[Attendance]]:
    """Attendance per organisation over the body's last held meetings (the meetings' service
    counts it), with the organisations' names."""
    held, tally = meetings.attendance_by_organisation(session, body_id, limit=ATTENDANCE_MEETINGS)
    organisations = {o.id: o for o in directory.list_organisations(session)}
    lines = [
        Attendance(organisation=organisations[i], invited=n, attended=came, excused=excuse)
        for i, (n, came, excuse) in tally.items()
    ]
    lines.sort(key=lambda a: (-a.rate, a.organisation.name))
    return held, lines


def body_dashboard(
    session: Session, viewer: Viewer, access: bodies.BodyAccess, today: date, zone: ZoneInfo
) -> BodyDashboard:
    """A body's dashboard, for its members and the staff (not its guests): a fixed number of
    queries whatever the number of reports, actions and meetings."""
    access.require_members()
    body_id = access.body.id or 0
    months = last_months(today)
    counted = _counted(session, viewer, body_id, months, today, zone)
    action_counts, overdue_count = _action_counts(counted.actions)
    held, attendance = _attendance(session, body_id)
    return BodyDashboard(
        access=access,
        months=months,
        reports=_reports(session, counted.reports),
        problems=open_problems(session, access, viewer),
        action_counts=action_counts,
        overdue=_overdue(session, viewer, body_id, today),
        overdue_count=overdue_count,
        attendance=attendance,
        meetings=held,
    )
