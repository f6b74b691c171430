"""Local security diagnostics of a sector (autodiagnostic local de sécurité) and the annual
report of the plenary council (issue 6; DESIGN.md §2–§4).

A **diagnostic** is a record (a sector, a period, a title, the conclusions its authors write)
and a document generated each time it is read, over what its reader may see:

- the problems: the sector's reports by category, this period against the previous period of
  the same length, and the problem files of the bodies covering the sector;
- the measures in place: the actions of those bodies at work during the period, by kind and
  status; their evaluated effect; what remains open today.

A report is in the sector when it names the sector, or names none and its body covers this
sector alone. Reports are counted through the situations' visibility rule and never shown: no
title, description or place of a report reaches the document. A social report its reader sees
only as a stub is counted apart, its category withheld (DESIGN.md §4 rule 3).

The staff (admin, coordinators) and the chairs and secretaries of the bodies covering the
sector create diagnostics, read them and write their conclusions; a chair or secretary whose
bodies covering the sector are all closed still reads them. Anyone else is told nothing (404).

The **annual report** of a plenary council aggregates the year across every body: meetings and
attendance, reports, actions and evaluations. Aggregates only, whatever the reader: no text of
any report or action (DESIGN.md §4 rule 5: the report goes beyond the bodies). Social reports
are counted apart without their category. The issue grants these aggregates over all bodies to
the coordinator and the plenary's chair: the staff and the chair read it; the plenary's
secretaries, members and guests are refused (403), the chair presents it to them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from veille.actions import counts as actions
from veille.actions import lists as action_lists
from veille.actions.enums import OPEN_STATUSES, ActionKind, ActionStatus, Effect
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory import service as directory
from veille.directory.models import Sector, User
from veille.directory.service import is_staff
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.meetings import lists as meetings
from veille.meetings.enums import MeetingStatus
from veille.orm import utcnow
from veille.situations import counts
from veille.situations import service as situations
from veille.situations.enums import ProblemStatus
from veille.situations.models import Category, Problem
from veille.situations.service import Viewer
from veille.stats.models import ConclusionsIn, Diagnostic, DiagnosticIn
from veille.types import period_bounds

STALE = N_(
    "Someone else saved these conclusions in the meantime: your text was not saved. "
    "Copy it, reload the page and try again."
)
NOT_AUTHOR = N_(
    "Diagnostics are drawn up by the coordinators and by the chairs and secretaries of the bodies "
    "covering a sector."
)
READ_ONLY = N_("The bodies through which you see this diagnostic are closed: it is read-only for you.")
CHOOSE_SECTOR = N_("Choose one of the proposed sectors.")
END_BEFORE_START = N_("The end of the period must come after its start.")
NOT_BEGUN = N_("The period must have begun.")
TOO_LONG = N_("A diagnostic covers at most five years.")
NOT_PLENARY = N_("The annual report is that of a plenary council.")
MAX_DAYS = 5 * 366
LIST_LIMIT = 30  # actions listed by name in a diagnostic (open ones, evaluated ones)


# Periods


@dataclass(frozen=True)
class Window:
    """A period of whole days, both ends included, in the city's time zone."""

    since: date
    until: date

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Window:
        """The period of the same length just before."""
        return Window(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes."""
        return (
            datetime.combine(self.since, time.min, tzinfo=tz),
            datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=tz),
        )


def year_window(year: int) -> Window:
    return Window(date(year, 1, 1), date(year, 12, 31))


Grid = actions.Counts  # actions by kind and status


def _rate(part: int, whole: int) -> int | None:
    return round(part * 100 / whole) if whole else None


# Who writes diagnostics


def _sector_roles(session: Session, viewer: Viewer) -> dict[int, bool] | None:
    """The sectors of the bodies the person chairs or keeps the minutes of, each with whether
    one of those bodies is open; None for the staff (every sector, always open)."""
    if is_staff(viewer.user):
        return None
    return bodies.sectors_of(session, viewer.manage_ids)


def author_sectors(session: Session, user: User) -> list[Sector]:
    """The sectors the person may draw up a diagnostic of; 403 for who may draw up none."""
    roles = _sector_roles(session, situations.viewer_for(session, user))
    if roles is not None and not any(roles.values()):
        raise Forbidden(NOT_AUTHOR)
    return [s for s in directory.list_sectors(session) if roles is None or roles.get(s.id or 0)]


@dataclass(frozen=True)
class DiagnosticRow:
    diagnostic: Diagnostic
    sector: Sector


def list_diagnostics(session: Session, user: User) -> list[DiagnosticRow]:
    """The diagnostics the person may read, newest period first."""
    roles = _sector_roles(session, situations.viewer_for(session, user))
    stmt = select(Diagnostic)
    if roles is not None:
        if not roles:
            return []
        stmt = stmt.where(col(Diagnostic.sector_id).in_(sorted(roles)))
    found = session.exec(
        stmt.order_by(col(Diagnostic.until).desc(), col(Diagnostic.id).desc()).limit(500)
    ).all()
    sectors = {s.id: s for s in directory.list_sectors(session)} if found else {}
    return [DiagnosticRow(diagnostic=d, sector=sectors[d.sector_id]) for d in found]


def may_write_any(session: Session, user: User) -> bool:
    roles = _sector_roles(session, situations.viewer_for(session, user))
    return roles is None or any(roles.values())


def create_diagnostic(session: Session, *, user: User, data: DiagnosticIn, today: date) -> Diagnostic:
    """Records a diagnostic (its document is drawn when read), and commits."""
    roles = _sector_roles(session, situations.viewer_for(session, user))
    if roles is not None and not any(roles.values()):
        raise Forbidden(NOT_AUTHOR)
    errors: dict[str, str] = {}
    known = any(s.id == data.sector_id for s in directory.list_sectors(session))
    if not known or (roles is not None and not roles.get(data.sector_id)):
        errors["sector_id"] = CHOOSE_SECTOR
    bounds = period_bounds(data.since, data.until, today)
    if bounds:
        errors |= bounds
    elif data.until < data.since:
        errors["until"] = END_BEFORE_START
    elif (data.until - data.since).days >= MAX_DAYS:
        errors["until"] = TOO_LONG
    if data.since > today and "since" not in errors:
        errors["since"] = NOT_BEGUN
    if errors:
        raise InvalidInput(errors)
    diagnostic = Diagnostic(
        sector_id=data.sector_id,
        since=data.since,
        until=data.until,
        title=data.title,
        conclusions=data.conclusions,
        created_by=user.id,
    )
    session.add(diagnostic)
    session.flush()
    audit.record(
        session,
        user_id=user.id,
        verb="create",
        entity="diagnostic",
        entity_id=diagnostic.id,
        sector_id=data.sector_id,
        since=data.since.isoformat(),
        until=data.until.isoformat(),
    )
    session.commit()
    return diagnostic


@dataclass(frozen=True)
class DiagnosticAccess:
    diagnostic: Diagnostic
    sector: Sector
    viewer: Viewer
    can_edit: bool

    @property
    def window(self) -> Window:
        return Window(self.diagnostic.since, self.diagnostic.until)

    def require_edit(self) -> None:
        if not self.can_edit:
            raise Forbidden(READ_ONLY)


def get_diagnostic(session: Session, user: User, diagnostic_id: int) -> DiagnosticAccess:
    """404 for whoever is neither staff nor chair or secretary of a body covering the sector."""
    diagnostic = session.get(Diagnostic, diagnostic_id)
    if diagnostic is None:
        raise NotFound()
    viewer = situations.viewer_for(session, user)
    roles = _sector_roles(session, viewer)
    if roles is not None and diagnostic.sector_id not in roles:
        raise NotFound()
    return DiagnosticAccess(
        diagnostic=diagnostic,
        sector=directory.get_sector(session, diagnostic.sector_id),
        viewer=viewer,
        can_edit=roles is None or roles[diagnostic.sector_id],
    )


def save_conclusions(session: Session, *, access: DiagnosticAccess, data: ConclusionsIn) -> Diagnostic:
    """The authors' conclusions; a save made on an older version is refused, never merged.
    Commits."""
    access.require_edit()
    diagnostic = access.diagnostic
    session.refresh(diagnostic, with_for_update=True)
    if diagnostic.version != data.version:
        raise Conflict(STALE)
    if diagnostic.conclusions == data.conclusions:
        session.commit()  # ends the lock taken to compare versions
        return diagnostic
    diagnostic.conclusions = data.conclusions
    diagnostic.version += 1
    diagnostic.updated_at = utcnow()
    session.add(diagnostic)
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="update",
        entity="diagnostic",
        entity_id=diagnostic.id,
        version=diagnostic.version,
    )
    session.commit()
    return diagnostic


# The diagnostic's document


@dataclass(frozen=True)
class Trend:
    """Reports of one category this period and the previous one; ``category`` None stands for
    the social reports the reader sees as a stub (their category is not theirs to know)."""

    category: Category | None
    current: int
    previous: int

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> int | None:
        return round(self.change * 100 / self.previous) if self.previous else None


@dataclass(frozen=True)
class ProblemLine:
    problem: Problem
    body: Body
    reports: int  # of the file's reports, those the reader may see

    @property
    def open(self) -> bool:
        return self.problem.status != ProblemStatus.closed


@dataclass(frozen=True)
class Document:
    access: DiagnosticAccess
    window: Window
    previous: Window
    today: date
    bodies: list[Body]  # the bodies covering the sector whose content the reader sees
    trends: list[Trend]  # categories first (most reports first), the stubs last
    problems: list[ProblemLine]
    grid: Grid
    effects: list[tuple[Effect | None, int]]
    evaluated: list[action_lists.Row]
    evaluated_total: int
    open_rows: list[action_lists.Row]  # open actions, overdue first then soonest due
    open_total: int
    overdue: int

    @property
    def diagnostic(self) -> Diagnostic:
        return self.access.diagnostic

    @property
    def sector(self) -> Sector:
        return self.access.sector

    @property
    def reports(self) -> int:
        return sum(t.current for t in self.trends)

    @property
    def reports_before(self) -> int:
        return sum(t.previous for t in self.trends)

    @property
    def reports_percent(self) -> int | None:
        before = self.reports_before
        return round((self.reports - before) * 100 / before) if before else None

    @property
    def open_problems(self) -> list[ProblemLine]:
        return [p for p in self.problems if p.open]


def _covering(session: Session, sector_id: int, viewer: Viewer) -> tuple[list[Body], list[int]]:
    """The bodies covering the sector whose content the person sees, by name; and of all the
    bodies covering it, those that cover this sector alone (their reports that name no sector
    are the sector's)."""
    found = bodies.covering(session, sector_id)
    seen = [b for b in found if b.id is not None and viewer.sees_body(b.id)]
    alone = [b.id for b in found if b.id is not None and len(b.sectors) == 1]
    return seen, alone


def _trends(
    session: Session, viewer: Viewer, sector_id: int, alone: list[int], window: Window, tz: ZoneInfo
) -> list[Trend]:
    """The sector's reports the person may see, by category, in the window and the one before;
    the stubs' category is None."""
    found: dict[int | None, list[int]] = {}
    for i, period in enumerate((window, window.previous())):
        filters = counts.CountFilters(
            since=period.since, until=period.until, in_sector=sector_id, alone_body_ids=tuple(alone)
        )
        for (category_id,), n in counts.count(session, viewer, ["category"], filters, tz):
            found.setdefault(category_id, [0, 0])[i] += n
    by_id = {c.id: c for c in situations.categories(session, active_only=False)}
    trends = [
        Trend(category=by_id[k], current=v[0], previous=v[1])
        for k, v in found.items()
        if k is not None and k in by_id
    ]
    trends.sort(key=lambda t: (-t.current, -t.previous, t.category.name if t.category else ""))
    if None in found:
        trends.append(Trend(category=None, current=found[None][0], previous=found[None][1]))
    return trends


def _problems(
    session: Session, viewer: Viewer, seen: list[Body], start: datetime, end: datetime
) -> list[ProblemLine]:
    """The problem files of the bodies at work during the period, open ones first."""
    by_id = {b.id: b for b in seen if b.id is not None}
    found = situations.problems_at_work(session, by_id, start, end)
    if not found:
        return []
    reports = situations.problem_counts(session, viewer, [p.id for p in found if p.id is not None])
    return [ProblemLine(problem=p, body=by_id[p.body_id], reports=reports.get(p.id or 0, 0)) for p in found]


def document(session: Session, access: DiagnosticAccess, *, today: date, tz: ZoneInfo) -> Document:
    """What the diagnostic shows to this reader: a fixed number of queries whatever the number
    of reports and actions."""
    viewer = access.viewer
    window = access.window
    start, end = window.bounds(tz)
    seen, alone = _covering(session, access.diagnostic.sector_id, viewer)
    trends = _trends(session, viewer, access.diagnostic.sector_id, alone, window, tz)
    problems = _problems(session, viewer, seen, start, end)
    found = actions.at_work(session, (b.id for b in seen if b.id is not None), start, end)
    grid = Grid(dict(Counter((a.kind, a.status) for a in found)))
    finished = [a for a in found if a.status == ActionStatus.done]
    evaluated = [a for a in finished if a.effect is not None]
    still_open = [a for a in found if a.status in OPEN_STATUSES]
    overdue = [a for a in still_open if a.due_on is not None and a.due_on < today]
    # Overdue first (by due date), then the others as they come (soonest due first).
    late = {a.id for a in overdue}
    still_open = overdue + [a for a in still_open if a.id not in late]
    shown_open, shown_evaluated = still_open[:LIST_LIMIT], evaluated[:LIST_LIMIT]
    decorated = {r.action.id: r for r in action_lists.rows(session, [*shown_open, *shown_evaluated], today)}
    return Document(
        access=access,
        window=window,
        previous=window.previous(),
        today=today,
        bodies=seen,
        trends=trends,
        problems=problems,
        grid=grid,
        effects=actions.effects((a.effect, 1) for a in finished),
        evaluated=[decorated[a.id] for a in shown_evaluated],
        evaluated_total=len(evaluated),
        open_rows=[decorated[a.id] for a in shown_open],
        open_total=len(still_open),
        overdue=len(overdue),
    )


# The annual report of the plenary


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


def annual_report(
    session: Session, access: bodies.BodyAccess, *, year: int, today: date, tz: ZoneInfo
) -> AnnualReport:
    """The year across every body, aggregates only; a fixed number of queries."""
    window = year_window(year)
    start, end = window.bounds(tz)
    meetings_held = meetings.counts_by_body(session, start, end)
    presence = meetings.presence_by_body(session, start, end)
    year_filters = counts.CountFilters(since=window.since, until=window.until)
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
    by_id = {c.id: c for c in situations.categories(session, active_only=False)}
    by_category = sorted(
        ((by_id[i], n) for i, n in categories.items() if i in by_id), key=lambda p: (-p[1], p[0].name)
    )
    members = bodies.list_members(session, access=access)
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
    )


def report_years(today: date) -> list[int]:
    """The years the report may be asked for: this one and the nine before."""
    return list(range(today.year, today.year - 10, -1))
