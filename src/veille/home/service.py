"""A person's home page: what awaits them (the meetings to come and those to answer, the
actions they own and the overdue ones of the bodies they chair, the reports posted since their
last visit, the charters to accept, the days left of their crime-treatment groups).

Every figure is taken over what the reader may see, through the rules of the domains that own
the records (``situations.feed.posted_since`` for reports, ``actions.lists.query`` for
actions, the meetings' own rules); the page answers in a fixed number of queries whatever the
number of records: lists are capped, figures are counted in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from veille.access import Viewer
from veille.actions import lists as actions
from veille.actions.groups import Period, period_of
from veille.actions.lists import Row as ActionRow
from veille.actions.models import Action
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory.models import User
from veille.home.models import HomeVisit
from veille.meetings import lists as meetings
from veille.meetings.models import Meeting
from veille.orm import utcnow
from veille.pagination import capped
from veille.situations import feed

# The home page
HOME_MEETINGS = 5
HOME_ANSWERS = 10
HOME_ACTIONS = 8
HOME_REPORTS = 10
HOME_CHAIRED = 8
# Visits closer together than this are one visit: the list of new reports stays the same
# while the person goes back and forth between their home and the pages it links to.
VISIT_GAP = timedelta(minutes=30)
FIRST_VISIT = timedelta(days=7)


# Home: "since my last visit"


def record_visit(session: Session, user: User, now: datetime | None = None) -> datetime:
    """Notes that the person opens their home page; answers since when reports are new to them.

    A visit more than ``VISIT_GAP`` after the last one moves the mark: what was new then is no
    longer new. A first visit shows the last ``FIRST_VISIT``. Called on a GET, it ends the read
    transaction before writing, as ``situations.visibility.record_reads`` does (SQLite cannot turn
    a transaction that has read into a writer once another has written).
    """
    now = now or utcnow()
    visit = session.get(HomeVisit, user.id)
    if visit is not None and now - visit.seen_at < VISIT_GAP:
        return visit.previous_seen_at or visit.seen_at - FIRST_VISIT
    session.commit()
    if visit is None:
        since = now - FIRST_VISIT
        session.add(HomeVisit(user_id=user.id or 0, seen_at=now))
    else:
        since = visit.seen_at
        visit.previous_seen_at, visit.seen_at = visit.seen_at, now
        session.add(visit)
    try:
        session.commit()
    except IntegrityError:
        # The same person's other tab recorded the visit at the same moment.
        session.rollback()
    return since


# Home


@dataclass(frozen=True)
class Home:
    since: datetime
    upcoming: list[tuple[Meeting, Body]]
    awaiting: list[tuple[Meeting, Body]]
    actions: list[actions.Row]
    open_actions: int
    overdue_actions: int
    reports: list[feed.Row]
    new_reports: int
    # The overdue actions of the bodies the person chairs, whoever owns them (capped), how many.
    chaired_overdue: list[ActionRow]
    chaired_overdue_count: int

    @property
    def more_actions(self) -> bool:
        return self.open_actions > len(self.actions)

    @property
    def more_reports(self) -> bool:
        return self.new_reports > len(self.reports)


def _my_actions(session: Session, viewer: Viewer, today: date) -> tuple[list[actions.Row], int, int]:
    """The open actions the person owns (soonest due first, capped), how many, how many late."""
    stmt = actions.query(viewer, actions.Filters(owner_id=viewer.user.id, open_only=True), today)
    late = func.sum(case((col(Action.due_on) < today, 1), else_=0)).over()
    # One query: the first rows, with how many and how many late over all of them (windows).
    found = session.execute(
        actions.by_due_date(stmt).add_columns(func.count().over(), late).limit(HOME_ACTIONS)
    ).all()
    total, overdue = (int(found[0][1]), int(found[0][2] or 0)) if found else (0, 0)
    return actions.rows(session, [row[0] for row in found], today), total, overdue


def chaired_ids(viewer: Viewer) -> list[int]:
    """The bodies the person chairs and whose content they see (charter accepted)."""
    return sorted(b for b, role in viewer.roles.items() if role == MemberRole.chair and viewer.sees_body(b))


def _chaired_overdue(session: Session, viewer: Viewer, today: date) -> tuple[list[actions.Row], int]:
    """The overdue actions of the bodies the person chairs: a chair follows her bodies' work,
    not only what is in her own name (soonest due first, capped), and how many."""
    ids = chaired_ids(viewer)
    if not ids:
        return [], 0
    stmt = actions.query(viewer, actions.Filters(overdue=True), today).where(col(Action.body_id).in_(ids))
    found, total = capped(session, actions.by_due_date(stmt), HOME_CHAIRED)
    return actions.rows(session, found, today), total


def charters_awaiting(viewer: Viewer, member_of: list[Body]) -> list[Body]:
    """The bodies whose charter the person must still accept before seeing their content: a
    seat (not a guest's) in a body that requires its charter, whose content they do not see."""
    if viewer.content_ids is None:
        return []
    return [
        b
        for b in member_of
        if b.charter_required
        and b.id is not None
        and viewer.role_in(b.id) not in (None, MemberRole.guest)
        and b.id not in viewer.content_ids
    ]


def groups(member_of: list[Body], today: date) -> list[tuple[Body, Period]]:
    """The person's active crime-treatment groups with their period, the nearest end first."""
    found = [
        (b, period_of(b, today))
        for b in member_of
        if b.kind == BodyKind.crime_treatment_group and b.status == BodyStatus.active
    ]
    return sorted(found, key=lambda bp: (bp[0].ends_on is None, bp[0].ends_on or today, bp[0].name))


def home(session: Session, viewer: Viewer, today: date, now: datetime | None = None) -> Home:
    """What the home page shows, in a fixed number of queries."""
    since = record_visit(session, viewer.user, now)
    upcoming = meetings.upcoming_meetings(session, viewer, limit=HOME_MEETINGS)
    mine, open_actions, overdue = _my_actions(session, viewer, today)
    chaired, chaired_count = _chaired_overdue(session, viewer, today)
    reports, new_reports = feed.posted_since(session, viewer, since, limit=HOME_REPORTS)
    return Home(
        since=since,
        upcoming=upcoming,
        awaiting=meetings.awaiting_answer(session, viewer, limit=HOME_ANSWERS),
        actions=mine,
        open_actions=open_actions,
        overdue_actions=overdue,
        reports=reports,
        new_reports=new_reports,
        chaired_overdue=chaired,
        chaired_overdue_count=chaired_count,
    )
