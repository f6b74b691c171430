"""Local security diagnostics of a sector (autodiagnostic local de sécurité).

A **diagnostic** is a record (a sector, a period, a title, the conclusions its authors write)
and a document generated each time it is read, over what its reader may see:

- the problems: the sector's reports by category, this period against the previous period of
  the same length, and the problem files of the bodies covering the sector;
- the measures in place: the actions of those bodies at work during the period, by kind and
  status; their evaluated effect; what remains open today.

A report is in the sector when it names the sector, or names none and its body covers this
sector alone. Reports are counted through the situations' visibility rule and never shown: no
title, description or place of a report reaches the document. A social report its reader sees
only as a stub is counted apart, its category withheld (docs/confidentiality.md, rule 3).

The staff (admin, coordinators) and the chairs and secretaries of the bodies covering the
sector create diagnostics, read them and write their conclusions; a chair or secretary whose
bodies covering the sector are all closed still reads them. Anyone else is told nothing (404).
The plenary's annual report, drawn from the same counts: ``veille.stats.annual``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.actions import counts as actions
from veille.actions import lists as action_lists
from veille.actions.enums import OPEN_STATUSES, ActionStatus, Effect
from veille.audit import service as audit
from veille.bodies import by_sector
from veille.bodies.models import Body
from veille.directory import service as directory
from veille.directory.models import Sector
from veille.errors import Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.orm import utcnow
from veille.situations import categories as report_categories
from veille.situations import counts, problems
from veille.situations.enums import ProblemStatus
from veille.situations.models import Category, Problem
from veille.stats.models import ConclusionsIn, Diagnostic, DiagnosticIn
from veille.types import period_bounds
from veille.versions import bump, lock_version

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


Grid = actions.Counts  # actions by kind and status


# Who writes diagnostics


def _sector_roles(session: Session, viewer: Viewer) -> dict[int, bool] | None:
    """The sectors of the bodies the person chairs or keeps the minutes of, each with whether
    one of those bodies is open; None for the staff (every sector, always open); a coordinator
    limited to some communes, the sectors of their communes' bodies."""
    if viewer.staff and not viewer.limited:
        return None
    return by_sector.sectors_of(session, viewer.in_charge_ids)


def author_sectors(session: Session, viewer: Viewer) -> list[Sector]:
    """The sectors the person may draw up a diagnostic of; 403 for who may draw up none."""
    roles = _sector_roles(session, viewer)
    if roles is not None and not any(roles.values()):
        raise Forbidden(NOT_AUTHOR)
    return [s for s in directory.list_sectors(session) if roles is None or roles.get(s.id or 0)]


@dataclass(frozen=True)
class DiagnosticRow:
    diagnostic: Diagnostic
    sector: Sector


def list_diagnostics(session: Session, viewer: Viewer, commune_id: int | None = None) -> list[DiagnosticRow]:
    """The diagnostics the person may read, newest period first; those of a commune's sectors
    when one is asked."""
    roles = _sector_roles(session, viewer)
    stmt = select(Diagnostic)
    if roles is not None:
        if not roles:
            return []
        stmt = stmt.where(col(Diagnostic.sector_id).in_(sorted(roles)))
    found = session.exec(
        stmt.order_by(col(Diagnostic.until).desc(), col(Diagnostic.id).desc()).limit(500)
    ).all()
    sectors = {s.id: s for s in directory.list_sectors(session)} if found else {}
    rows = [DiagnosticRow(diagnostic=d, sector=sectors[d.sector_id]) for d in found]
    return [r for r in rows if commune_id is None or r.sector.commune_id == commune_id]


def may_write_any(session: Session, viewer: Viewer) -> bool:
    roles = _sector_roles(session, viewer)
    return roles is None or any(roles.values())


def create_diagnostic(session: Session, *, viewer: Viewer, data: DiagnosticIn, today: date) -> Diagnostic:
    """Records a diagnostic (its document is drawn when read), and commits."""
    roles = _sector_roles(session, viewer)
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
        created_by=viewer.user.id,
    )
    session.add(diagnostic)
    session.flush()
    audit.record(
        session,
        user_id=viewer.user.id,
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


def get_diagnostic(session: Session, viewer: Viewer, diagnostic_id: int) -> DiagnosticAccess:
    """404 for whoever is neither staff nor chair or secretary of a body covering the sector."""
    diagnostic = session.get(Diagnostic, diagnostic_id)
    if diagnostic is None:
        raise NotFound()
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
    diagnostic = lock_version(session, access.diagnostic, data.version, STALE)
    if diagnostic.conclusions == data.conclusions:
        session.commit()  # ends the lock taken to compare versions
        return diagnostic
    diagnostic.conclusions = data.conclusions
    bump(diagnostic)
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
    found = by_sector.covering(session, sector_id)
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
    by_id = {c.id: c for c in report_categories.categories(session, active_only=False)}
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
    found = problems.problems_at_work(session, by_id, start, end)
    if not found:
        return []
    reports = problems.problem_counts(session, viewer, [p.id for p in found if p.id is not None])
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
