"""A body's page (``/bodies/{id}``), built around what happens next: the next meeting and the
answers it awaits, the reports posted since the last meeting, the actions due soon or overdue,
the open problem files. It gathers what the meetings, reports and actions domains hold, so it
sits here above them (the bodies domain keeps the body's members, settings and charter pages).

Each part is taken through the rules of the domain that owns it, for the reader: a guest sees
only the next meeting they are invited to; a fixed number of queries whatever the body's size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from veille.access import PageViewer, Viewer
from veille.actions import lists as actions
from veille.actions.rules import DUE_SOON
from veille.bodies import service as bodies
from veille.bodies.meeting_rule import rule_of
from veille.deps import SessionDep, SettingsDep
from veille.home.dashboard import ProblemLine, open_problems
from veille.meetings import lists as meetings
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.meetings.models import Invitation, Meeting
from veille.orm import utcnow
from veille.situations import feed
from veille.types import Id
from veille.web import redirect, render

router = APIRouter()
DUE_LIMIT = 8
NEW_REPORTS = 8
# A meeting stays "next" until a while after it started: the day's meeting is still what matters.
UNDER_WAY = timedelta(hours=12)
COMING = (MeetingStatus.planned, MeetingStatus.convened)
PAST = (MeetingStatus.held, MeetingStatus.minutes_approved)


@dataclass(frozen=True)
class Answers:
    """The invitees' answers to a meeting: how many invited, by answer, and the reader's own."""

    by_status: Counter[AttendanceStatus] = field(default_factory=Counter)
    mine: AttendanceStatus | None = None

    @property
    def invited(self) -> int:
        return sum(self.by_status.values())

    @property
    def awaited(self) -> int:
        return self.by_status[AttendanceStatus.invited]

    @property
    def answered(self) -> int:
        return self.invited - self.awaited


@dataclass(frozen=True)
class BodyPage:
    access: bodies.BodyAccess
    next_meeting: Meeting | None
    answers: Answers
    last_meeting: Meeting | None
    # Posted since the last meeting (or ever, before a first one), newest first, capped.
    new_reports: list[feed.Row]
    new_reports_count: int  # read up to feed.NEW_REPORTS_LIMIT, then "or more"
    due: list[actions.Row]
    due_count: int
    problems: list[ProblemLine]

    @property
    def new_reports_more(self) -> bool:
        """The count stopped at its limit: there may be more."""
        return self.new_reports_count >= feed.NEW_REPORTS_LIMIT


def _meetings(
    session: Session, access: bodies.BodyAccess, now: datetime
) -> tuple[Meeting | None, Meeting | None]:
    """The body's next meeting and its last held one, as far as the reader sees its meetings."""
    seen = meetings.body_meetings_query(access)
    upcoming = seen.where(col(Meeting.status).in_(COMING), col(Meeting.starts_at) >= now - UNDER_WAY)
    coming = session.exec(upcoming.order_by(col(Meeting.starts_at), col(Meeting.id)).limit(1)).first()
    held = seen.where(col(Meeting.status).in_(PAST), col(Meeting.starts_at) < now)
    last = session.exec(held.order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc()).limit(1)).first()
    return coming, last


def _answers(session: Session, viewer: Viewer, meeting: Meeting | None) -> Answers:
    """The tally of a meeting's answers and the reader's own (one query)."""
    if meeting is None:
        return Answers()
    found = session.exec(
        select(
            Invitation.status,
            func.count(),
            func.max(case((col(Invitation.user_id) == viewer.user.id, 1), else_=0)),
        )
        .where(Invitation.meeting_id == meeting.id)
        .group_by(col(Invitation.status))
    ).all()
    return Answers(
        by_status=Counter({AttendanceStatus(status): int(n) for status, n, _ in found}),
        mine=next((AttendanceStatus(status) for status, _, me in found if me), None),
    )


def _due(session: Session, viewer: Viewer, body_id: int, today: date) -> tuple[list[actions.Row], int]:
    """The body's open actions overdue or due within ``DUE_SOON``, soonest first, and how many."""
    filters = actions.Filters(body_id=body_id, open_only=True, due_before=today + DUE_SOON)
    stmt = actions.query(viewer, filters, today)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    found = session.exec(actions.by_due_date(stmt).limit(DUE_LIMIT)).all()
    return actions.rows(session, found, today), int(total)


def body_page_data(session: Session, viewer: Viewer, access: bodies.BodyAccess, today: date) -> BodyPage:
    """What the body's page shows to this reader: a guest gets their next meeting only."""
    now = utcnow()
    coming, last = _meetings(session, access, now)
    answers = _answers(session, viewer, coming)
    if not access.can_see_members:
        return BodyPage(access, coming, answers, last, [], 0, [], 0, [])
    body_id = access.body.id or 0
    since = last.starts_at if last is not None else None
    reports = feed.posted_between(session, viewer, body_id, since, now)
    due, due_count = _due(session, viewer, body_id, today)
    return BodyPage(
        access=access,
        next_meeting=coming,
        answers=answers,
        last_meeting=last,
        new_reports=list(reversed(reports))[:NEW_REPORTS],
        new_reports_count=len(reports),
        due=due,
        due_count=due_count,
        problems=open_problems(session, access, viewer),
    )


@router.get("/bodies/{body_id}")
def body_page(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    page = body_page_data(session, viewer, access, settings.today())
    return render(
        request,
        "bodies/detail.html",
        {
            "page": page,
            "access": access,
            "body": access.body,
            "rule": rule.describe() if (rule := rule_of(access.body)) else None,
            "tab": "overview",
            "nav_active": "bodies",
        },
    )
