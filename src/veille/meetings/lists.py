"""Lists of meetings and the figures over them: a person's next and past meetings and those
awaiting their answer, a body's meetings, attendance and counts for the dashboards and statistics."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.access import Viewer
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory.models import User
from veille.meetings.access import guest_meetings, visible_meetings
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.meetings.models import Invitation, Meeting
from veille.orm import utcnow

PAST = (MeetingStatus.held, MeetingStatus.minutes_approved)


def upcoming_meetings(session: Session, viewer: Viewer, *, limit: int = 20) -> list[tuple[Meeting, Body]]:
    """My next meetings (all of them for admin and coordinators), soonest first."""
    since = utcnow() - timedelta(hours=12)
    rows = session.exec(
        select(Meeting, Body)
        .join(Body, col(Body.id) == Meeting.body_id)
        .where(visible_meetings(viewer), Meeting.starts_at >= since)
        .order_by(col(Meeting.starts_at), col(Meeting.id))
        .limit(limit)
    ).all()
    return [(meeting, body) for meeting, body in rows]


def past_meetings(session: Session, viewer: Viewer, *, limit: int = 20) -> list[tuple[Meeting, Body]]:
    """My meetings that took place (held, or their minutes approved), newest first: "Mes
    réunions" links the approved minutes. A guest's access ends with the approval
    (``guest_meetings``), so whoever sees an approved meeting here may read its minutes."""
    since = utcnow() - timedelta(hours=12)
    rows = session.exec(
        select(Meeting, Body)
        .join(Body, col(Body.id) == Meeting.body_id)
        .where(visible_meetings(viewer), Meeting.starts_at < since, col(Meeting.status).in_(PAST))
        .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
        .limit(limit)
    ).all()
    return [(meeting, body) for meeting, body in rows]


def body_meetings(session: Session, access: bodies.BodyAccess) -> list[Meeting]:
    """A body's meetings, newest first; a body's guest sees only the meetings they are invited to."""
    stmt = body_meetings_query(access)
    return list(session.exec(stmt.order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())).all())


def body_meetings_query(access: bodies.BodyAccess) -> SelectOfScalar[Meeting]:
    """A body's meetings as a query (the API's keyset pages, :func:`body_meetings`); a body's
    guest gets the meetings they see as a guest (:func:`guest_meetings`)."""
    stmt = select(Meeting).where(Meeting.body_id == access.body.id)
    if access.role == MemberRole.guest and not access.staff:
        return stmt.where(col(Meeting.id).in_(guest_meetings(access.user)))
    access.require_content()
    return stmt


def awaiting_answer(session: Session, viewer: Viewer, *, limit: int) -> list[tuple[Meeting, Body]]:
    """The coming meetings the person is invited to and has not answered yet, soonest first:
    of the bodies whose content they see (every body for the staff), or as a guest; answers
    close when the meeting starts (``meetings.access.answer_open``) and in a closed body."""
    rows = session.exec(
        select(Meeting, Body)
        .join(Invitation, col(Invitation.meeting_id) == Meeting.id)
        .join(Body, col(Body.id) == Meeting.body_id)
        .where(
            Invitation.user_id == viewer.user.id,
            Invitation.status == AttendanceStatus.invited,
            col(Meeting.status).in_((MeetingStatus.planned, MeetingStatus.convened)),
            col(Meeting.starts_at) > utcnow(),
            Body.status == BodyStatus.active,
            visible_meetings(viewer),
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
        .limit(limit)
    ).all()
    return [(meeting, body) for meeting, body in rows]


ATTENDED = (AttendanceStatus.present, AttendanceStatus.represented)


def attendance_by_organisation(
    session: Session, body_id: int, *, limit: int
) -> tuple[list[Meeting], dict[int, tuple[int, int, int]]]:
    """Over the body's last ``limit`` held meetings: per organisation, the meetings it was
    invited to, attended (one of its people present or represented) and was excused from (no
    one came, someone sent apologies). Guests, invited to one meeting, are left out; two
    queries."""
    held = list(
        session.exec(
            select(Meeting)
            .where(Meeting.body_id == body_id, col(Meeting.status).in_(PAST))
            .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
            .limit(limit)
        ).all()
    )
    if not held:
        return [], {}
    attended = func.max(case((col(Invitation.status).in_(ATTENDED), 1), else_=0))
    excused = func.max(case((col(Invitation.status) == AttendanceStatus.excused, 1), else_=0))
    rows = session.exec(
        select(User.organisation_id, Invitation.meeting_id, attended, excused)
        .join(User, col(User.id) == Invitation.user_id)
        .where(col(Invitation.meeting_id).in_([m.id for m in held]), col(Invitation.guest).is_(False))
        .group_by(col(User.organisation_id), col(Invitation.meeting_id))
    ).all()
    tally: dict[int, tuple[int, int, int]] = {}
    for organisation_id, _meeting_id, came, excuse in rows:
        n, total_came, total_excused = tally.get(organisation_id, (0, 0, 0))
        tally[organisation_id] = (
            n + 1,
            total_came + int(came or 0),
            total_excused + int(bool(excuse) and not came),
        )
    return held, tally


def counts_by_body(session: Session, start: datetime, end: datetime) -> dict[int, Counter[MeetingStatus]]:
    """Every body's meetings starting in [start, end), by status: aggregates over all bodies
    (the plenary's annual report); one query."""
    found = session.exec(
        select(Meeting.body_id, Meeting.status, func.count())
        .where(col(Meeting.starts_at) >= start, col(Meeting.starts_at) < end)
        .group_by(col(Meeting.body_id), col(Meeting.status))
    ).all()
    counts: dict[int, Counter[MeetingStatus]] = {}
    for body_id, status, n in found:
        counts.setdefault(body_id, Counter())[MeetingStatus(status)] += n
    return counts


def presence_by_body(
    session: Session, start: datetime, end: datetime
) -> dict[int, Counter[AttendanceStatus]]:
    """Every body's invitations to the meetings held in [start, end), by answer; guests, invited
    to one meeting, are left out; one query."""
    found = session.exec(
        select(Meeting.body_id, Invitation.status, func.count())
        .join(Meeting, col(Meeting.id) == Invitation.meeting_id)
        .where(
            col(Meeting.starts_at) >= start,
            col(Meeting.starts_at) < end,
            col(Meeting.status).in_(PAST),
            col(Invitation.guest).is_(False),
        )
        .group_by(col(Meeting.body_id), col(Invitation.status))
    ).all()
    counts: dict[int, Counter[AttendanceStatus]] = {}
    for body_id, status, n in found:
        counts.setdefault(body_id, Counter())[AttendanceStatus(status)] += n
    return counts
