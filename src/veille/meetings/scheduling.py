"""A meeting's life as its managers lead it: planned alone or as a monthly series (with the
body's standing items), moved, convened and cancelled, each with the invitees' mails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from uuid import uuid4

from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory.models import User
from veille.errors import Conflict, InvalidInput
from veille.i18n import DEFAULT_LANGUAGE, N_, translate
from veille.meetings import mails, rule_days
from veille.meetings.access import MeetingAccess, locked_meeting
from veille.meetings.agenda import agenda_seen_by
from veille.meetings.enums import MeetingStatus, StandingItem
from veille.meetings.models import AgendaItem, Invitation, Meeting, MeetingIn, SeriesForm
from veille.orm import utcnow
from veille.versions import bump, lock_version

STALE = N_("This meeting was changed by someone else: reload it and try again.")
BUSY = N_("The body already has a meeting at this date and time.")
STANDING_ITEMS = {
    StandingItem.round_table: N_("Round table of the partners"),
    StandingItem.actions_follow_up: N_("Follow-up of actions"),
    StandingItem.new_reports: N_("New reports since the last meeting"),
}


def _new_meeting(
    body: Body, created_by: int | None, starts_at: datetime, ends_at: datetime, location: str
) -> Meeting:
    assert body.id is not None
    return Meeting(
        body_id=body.id,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        uid=f"{uuid4()}@veille",
        created_by=created_by,
    )


def _propose_agenda(session: Session, meeting: Meeting) -> None:
    """A new meeting starts with the body's standing items (README.md, Meetings), titled in the
    city's language, as the items its members add and the minutes and convocations that print
    them are: one planned by an English reader gave a French body "Round table of the partners"."""
    assert meeting.id is not None
    for position, (standing, title) in enumerate(STANDING_ITEMS.items(), start=1):
        session.add(
            AgendaItem(
                meeting_id=meeting.id,
                position=position,
                title=translate(title, DEFAULT_LANGUAGE),
                standing=standing,
            )
        )


def _require_free(session: Session, body_id: int, starts_at: datetime, meeting_id: int | None = None) -> None:
    """Refuses a second meeting of the body at the very same time (a form sent twice, a copy
    typed again): the invitees would get two invitations for one meeting."""
    query = select(Meeting.id).where(
        Meeting.body_id == body_id,
        Meeting.starts_at == starts_at,
        col(Meeting.status) != MeetingStatus.cancelled,
        col(Meeting.id) != meeting_id,
    )
    if session.exec(query.limit(1)).first() is not None:
        raise InvalidInput({"starts_at": BUSY})


def create_meeting(session: Session, *, access: bodies.BodyAccess, data: MeetingIn) -> Meeting:
    access.require_manage()
    assert access.body.id is not None
    _require_free(session, access.body.id, data.starts_at)
    meeting = _new_meeting(access.body, access.user.id, data.starts_at, data.ends_at, data.location)
    session.add(meeting)
    session.flush()
    _propose_agenda(session, meeting)
    audit.record(session, user_id=access.user.id, verb="create", entity="meeting", entity_id=meeting.id)
    session.commit()
    return meeting


def local_times(day: date, start: time, end: time, settings: Settings) -> tuple[datetime, datetime]:
    """A day and local times in the city's time zone, as UTC datetimes."""
    tz = settings.tz
    starts_at = datetime.combine(day, start, tzinfo=tz)
    ends_at = datetime.combine(day, end, tzinfo=tz)
    if ends_at <= starts_at:
        raise InvalidInput({"end": N_("The end must come after the start.")})
    return starts_at, ends_at


def taken_days(
    session: Session, body_id: int, span: tuple[date, date], settings: Settings, *, cancelled: bool
) -> set[date]:
    """The days in ``span`` the body has a meeting on (``cancelled`` ones too, if asked)."""
    tz = settings.tz
    query = select(Meeting.starts_at).where(
        Meeting.body_id == body_id,
        Meeting.starts_at >= datetime.combine(span[0], time.min, tzinfo=tz),
        Meeting.starts_at < datetime.combine(span[1], time.min, tzinfo=tz),
    )
    if not cancelled:
        query = query.where(col(Meeting.status) != MeetingStatus.cancelled)
    return {starts_at.astimezone(tz).date() for starts_at in session.exec(query).all()}


def plan_days(
    session: Session,
    *,
    body: Body,
    actor: User | None,
    days: Sequence[date],
    start: time,
    minutes: int,
    location: str,
    settings: Settings,
) -> list[Meeting]:
    """Planned meetings on these days (status planned, with the standing items), as the series
    form and a body's rule make them. No commit."""
    created: list[Meeting] = []
    for day in days:
        starts_at = datetime.combine(day, start, tzinfo=settings.tz)
        meeting = _new_meeting(
            body, actor.id if actor else None, starts_at, starts_at + timedelta(minutes=minutes), location
        )
        session.add(meeting)
        session.flush()
        _propose_agenda(session, meeting)
        created.append(meeting)
    return created


def plan_series(
    session: Session, *, access: bodies.BodyAccess, data: SeriesForm, settings: Settings
) -> list[Meeting]:
    """Plans the body's meetings from a monthly rule typed in the series form (the days from
    ``rule_days``: holidays moved, days already taken skipped)."""
    access.require_manage()
    starts_at, ends_at = local_times(data.first_month, data.start, data.end, settings)
    assert access.body.id is not None
    days = rule_days.planned_days(
        ordinal=data.ordinal,
        day_of_week=data.weekday,
        first_month=data.first_month,
        months=data.count,
        taken=taken_days(
            session, access.body.id, rule_days.span(data.first_month, data.count), settings, cancelled=False
        ),
        today=settings.today(),
    )
    created = plan_days(
        session,
        body=access.body,
        actor=access.user,
        days=[d.day for d in days],
        start=data.start,
        minutes=int((ends_at - starts_at).total_seconds() // 60),
        location=data.location,
        settings=settings,
    )
    audit.record(
        session,
        user_id=access.user.id,
        verb="plan_series",
        entity="body",
        entity_id=access.body.id,
        meeting_ids=[m.id for m in created],
    )
    session.commit()
    return created


def update_meeting(
    session: Session, *, access: MeetingAccess, data: MeetingIn, settings: Settings
) -> Meeting:
    """Moving a convened meeting (date or place) mails an update of the same calendar event."""
    access.require_editable()
    meeting = access.meeting
    if meeting.status == MeetingStatus.held:
        raise Conflict(N_("This meeting has been held: its date and place can no longer change."))
    lock_version(session, meeting, data.version, STALE)
    if data.starts_at <= utcnow() and data.starts_at != meeting.starts_at:
        raise InvalidInput({"starts_at": N_("Choose a date and time to come.")})
    moved = (data.starts_at, data.ends_at, data.location) != (
        meeting.starts_at,
        meeting.ends_at,
        meeting.location,
    )
    if not moved:
        return meeting
    if data.starts_at != meeting.starts_at:
        _require_free(session, meeting.body_id, data.starts_at, meeting.id)
    meeting.starts_at, meeting.ends_at, meeting.location = data.starts_at, data.ends_at, data.location
    bump(meeting)
    if meeting.status == MeetingStatus.convened:
        meeting.sequence += 1
        _mail_invitees(session, access, settings, mails.UPDATE)
    session.add(meeting)
    audit.record(
        session,
        user_id=access.user.id,
        verb="update",
        entity="meeting",
        entity_id=meeting.id,
        starts_at=meeting.starts_at.isoformat(),
        location=meeting.location,
    )
    session.commit()
    return meeting


def convene(session: Session, *, access: MeetingAccess, settings: Settings) -> Meeting:
    """Invites every member: one mail each, with the calendar file attached."""
    access.require_editable()
    meeting = locked_meeting(session, access)
    if meeting.status != MeetingStatus.planned:
        raise Conflict(N_("This meeting has already been convened."))
    if meeting.starts_at <= utcnow():
        raise Conflict(N_("This meeting is in the past: change its date before convening it."))
    assert meeting.id is not None
    invited = set(session.exec(select(Invitation.user_id).where(Invitation.meeting_id == meeting.id)).all())
    # Every member who sees the body's content; its guests are invited meeting by meeting.
    for user_id in sorted(bodies.content_member_ids(session, access.body) - invited):
        session.add(Invitation(meeting_id=meeting.id, user_id=user_id))
    meeting.status = MeetingStatus.convened
    meeting.convened_at = utcnow()
    bump(meeting)
    session.add(meeting)
    session.flush()
    count = _mail_invitees(session, access, settings, mails.CONVOCATION)
    audit.record(
        session, user_id=access.user.id, verb="convene", entity="meeting", entity_id=meeting.id, mails=count
    )
    session.commit()
    return meeting


def cancel(session: Session, *, access: MeetingAccess, settings: Settings) -> Meeting:
    access.require_editable()
    meeting = locked_meeting(session, access)
    if meeting.status == MeetingStatus.held:
        raise Conflict(N_("This meeting has been held: it can no longer be cancelled."))
    was_convened = meeting.status == MeetingStatus.convened
    meeting.status = MeetingStatus.cancelled
    bump(meeting)
    if was_convened:
        meeting.sequence += 1
        _mail_invitees(session, access, settings, mails.CANCELLATION)
    session.add(meeting)
    audit.record(session, user_id=access.user.id, verb="cancel", entity="meeting", entity_id=meeting.id)
    session.commit()
    return meeting


def _mail_invitees(session: Session, access: MeetingAccess, settings: Settings, kind: str) -> int:
    """One mail per invitee who may receive it (``mails.recipients``), each listing the agenda as
    that person sees it on the meeting's page; answers how many were queued."""
    invitations = mails.recipients(session, access.meeting, access.body)
    for invitation in invitations:
        items = [] if kind == mails.CANCELLATION else agenda_seen_by(session, access.meeting, invitation.user)
        mails.send_convocation(session, access, settings, invitation, invitation.user, kind, items=items)
    return len(invitations)
