"""The annual report of a plenary council.

It aggregates the year across every body: meetings and attendance, reports, actions and
evaluations; when a local strategy of the plenary covers the year, the actions at work by its
axes and objectives, with their indicators. Aggregates only, whatever the reader: no text of
any report or action (docs/confidentiality.md, rule 5: the report goes beyond the bodies). Social reports
are counted apart without their category. The issue grants these aggregates over all bodies to
the coordinator and the plenary's chair: the staff and the chair read it; the plenary's
secretaries, members and guests are refused (403), the chair presents it to them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from veille.actions import counts as actions
from veille.actions.enums import ActionKind, ActionStatus, Effect
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory import service as directory
from veille.directory.models import Commune, User
from veille.errors import Forbidden, NotFound
from veille.i18n import N_
from veille.meetings import lists as meetings
from veille.meetings.enums import MeetingStatus
from veille.situations import categories as report_categories
from veille.situations import counts
from veille.situations.models import Category
from veille.stats.diagnostics import Grid, Window
from veille.strategy import report as strategy_report
from veille.strategy.models import Strategy
from veille.strategy.report import AxisView

NOT_PLENARY = N_("The annual report is that of a plenary council.")


def year_window(year: int) -> Window:
    return Window(date(year, 1, 1), date(year, 12, 31))


def _rate(part: int, whole: int) -> int | None:
    return round(part * 100 / whole) if whole else None


@dataclass(frozen=True)
class BodyYear:
    """One body's year: its meetings and their attendance, its reports and actions."""

    body: Body
    held: int = 0
    cancelled: int = 0
    other_meetings: int = 0  # planned or convened, not (yet) held
    invited: int = 0  # members invited to the meetings held (guests left out)
    attended: int = 0  # of them, present or represented
    reports: int = 0
    actions: int = 0
    done: int = 0

    @property
    def attendance(self) -> int | None:
        return _rate(self.attended, self.invited)

    @property
    def active(self) -> bool:
        return bool(self.held or self.cancelled or self.other_meetings or self.reports or self.actions)


@dataclass(frozen=True)
class AnnualReport:
    access: bodies.BodyAccess
    year: int
    today: date
    lines: list[BodyYear]  # every body at work during the year, by kind then name
    by_category: list[tuple[Category, int]]
    social: int  # social reports, counted without their category
    months: list[tuple[date, int]]  # reports by month
    grid: Grid
    effects: list[tuple[Effect | None, int]]
    chairs: list[User]
    # The commune the report is cut to (its sectors' reports, its bodies), or None: every one.
    commune: Commune | None = None
    # The plenary's local strategy whose period covers the year, and the year by its axes.
    strategy: Strategy | None = None
    axes: list[AxisView] = field(default_factory=list)

    @property
    def body(self) -> Body:
        return self.access.body

    @property
    def meetings_held(self) -> int:
        return sum(line.held for line in self.lines)

    @property
    def meetings_cancelled(self) -> int:
        return sum(line.cancelled for line in self.lines)

    @property
    def attendance(self) -> int | None:
        return _rate(sum(line.attended for line in self.lines), sum(line.invited for line in self.lines))

    @property
    def reports(self) -> int:
        return sum(n for _, n in self.by_category) + self.social

    @property
    def evaluated(self) -> int:
        return sum(n for effect, n in self.effects if effect is not None)

    @property
    def bodies_at_work(self) -> int:
        return sum(1 for line in self.lines if line.active)


def annual_access(session: Session, user: User, body_id: int) -> bodies.BodyAccess:
    """The plenary for its chair and the staff; 404 for another kind of body or an outsider,
    403 for the plenary's other members."""
    access = bodies.get_body_access(session, user, body_id)
    if access.body.kind != BodyKind.plenary:
        raise NotFound(NOT_PLENARY)
    access.require_content()
    if not access.can_chair:
        raise Forbidden()
    return access


def _commune_cut(
    session: Session, commune_id: int | None
) -> tuple[Commune | None, tuple[int, ...], set[int]]:
    """A commune's sectors and bodies (those whose sectors all lie in it); 404 for an unknown one."""
    if commune_id is None:
        return None, (), set()
    commune = directory.get_commune(session, commune_id)
    sector_ids = tuple(s.id for s in directory.list_sectors(session) if s.commune_id == commune_id and s.id)
    body_ids = {
        b.id
        for b in bodies.all_bodies(session)
        if b.id and b.sectors and all(s.commune_id == commune_id for s in b.sectors)
    }
    return commune, sector_ids or (-1,), body_ids


def annual_report(
    session: Session,
    access: bodies.BodyAccess,
    *,
    year: int,
    today: date,
    tz: ZoneInfo,
    commune_id: int | None = None,
) -> AnnualReport:
    """The year across every body, aggregates only; a fixed number of queries. Cut to a
    commune: the reports of its sectors, the meetings and actions of its bodies."""
    window = year_window(year)
    start, end = window.bounds(tz)
    commune, commune_sectors, commune_bodies = _commune_cut(session, commune_id)
    meetings_held = meetings.counts_by_body(session, start, end)
    presence = meetings.presence_by_body(session, start, end)
    year_filters = counts.CountFilters(since=window.since, until=window.until, sector_ids=commune_sectors)
    reports: Counter[int] = Counter()
    categories: Counter[int] = Counter()
    social = 0
    for (body_id, category_id), n in counts.count_every(session, ["body", "category"], year_filters, tz):
        reports[body_id] += n
        if category_id is None:
            social += n
        else:
            categories[category_id] += n
    by_month = {key: n for (key,), n in counts.count_every(session, ["month"], year_filters, tz)}
    months = [(date(year, m, 1), by_month.get(f"{year:04d}-{m:02d}", 0)) for m in range(1, 13)]
    cells: Counter[tuple[ActionKind, ActionStatus]] = Counter()
    work: dict[int, list[int]] = {}
    finished: list[tuple[Effect | None, int]] = []
    for body_id, kind, status, effect, n in actions.at_work_counts(session, start, end):
        if commune is not None and body_id not in commune_bodies:
            continue
        cells[(kind, status)] += n
        tally = work.setdefault(body_id, [0, 0])
        tally[0] += n
        if status == ActionStatus.done:
            tally[1] += n
            finished.append((effect, n))
    kinds = list(BodyKind)
    lines = []
    for body in sorted(bodies.all_bodies(session), key=lambda b: (kinds.index(b.kind), b.name)):
        body_id = body.id or 0
        if commune is not None and body_id not in commune_bodies:
            continue
        held = meetings_held.get(body_id, Counter())
        came = presence.get(body_id, Counter())
        line = BodyYear(
            body=body,
            held=sum(held[s] for s in meetings.PAST),
            cancelled=held[MeetingStatus.cancelled],
            other_meetings=held[MeetingStatus.planned] + held[MeetingStatus.convened],
            invited=sum(came.values()),
            attended=sum(came[s] for s in meetings.ATTENDED),
            reports=reports[body_id],
            actions=work.get(body_id, [0, 0])[0],
            done=work.get(body_id, [0, 0])[1],
        )
        if line.active or (body.status == BodyStatus.active and body.created_at < end):
            lines.append(line)
    by_id = {c.id: c for c in report_categories.categories(session, active_only=False)}
    by_category = sorted(
        ((by_id[i], n) for i, n in categories.items() if i in by_id), key=lambda p: (-p[1], p[0].name)
    )
    members = bodies.list_members(session, access=access)
    strategy = strategy_report.covering(session, access.body.id or 0, year)
    axes = strategy_report.year_by_axis(session, strategy.id or 0, start, end, today) if strategy else []
    return AnnualReport(
        access=access,
        year=year,
        today=today,
        lines=lines,
        by_category=by_category,
        social=social,
        months=months,
        grid=Grid(dict(cells)),
        effects=actions.effects(finished),
        chairs=[m.user for m in members if m.role == MemberRole.chair and m.excluded_at is None],
        commune=commune,
        strategy=strategy,
        axes=axes,
    )


def report_years(today: date) -> list[int]:
    """The years the report may be asked for: this one and the nine before."""
    return list(range(today.year, today.year - 10, -1))
