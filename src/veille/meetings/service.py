"""Meetings: who sees them, their life (planned → convened → held → minutes approved, or
cancelled), invitations and attendance, round table, agenda and minutes (DESIGN.md §3–§4)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, rrule, weekday
from sqlalchemy import ColumnElement, case, func, or_, true, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.bodies.models import Body, Membership
from veille.config import Settings
from veille.directory import service as directory
from veille.directory.models import User
from veille.directory.service import is_staff
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_, translate
from veille.meetings import calendar, mails
from veille.meetings.enums import ANSWERS, PRESENCE, AttendanceStatus, MeetingStatus, StandingItem
from veille.meetings.models import (
    AgendaItem,
    AgendaItemAction,
    AgendaItemIn,
    AgendaItemSituation,
    AttendanceIn,
    CalendarFeed,
    Invitation,
    Meeting,
    MeetingIn,
    NotesIn,
    RoundTableEntry,
    RoundTableIn,
    SeriesForm,
)
from veille.orm import utcnow
from veille.situations import service as situations

LOCKED = N_("The minutes of this meeting are approved: it can no longer be changed.")
NOTES_CONFLICT = N_(
    "Someone else saved this item in the meantime: your text was not saved. Copy it, reload and try again."
)
CANCELLED = N_("This meeting is cancelled: it can no longer be changed.")
ROUND_TABLE_REMINDER = timedelta(days=2)
PRESENCE_OPENS = timedelta(hours=2)
STANDING_ITEMS = {
    StandingItem.round_table: N_("Round table of the partners"),
    StandingItem.actions_follow_up: N_("Follow-up of actions"),
    StandingItem.new_reports: N_("New reports since the last meeting"),
}


@dataclass(frozen=True)
class MeetingAccess:
    """What one person may do with one meeting. ``body_access`` is None for a guest invited to
    this meeting only, who sees its agenda and nothing else (DESIGN.md §4 rule 4)."""

    meeting: Meeting
    body: Body
    user: User
    body_access: bodies.BodyAccess | None
    invitation: Invitation | None

    @property
    def full(self) -> bool:
        return self.body_access is not None

    @property
    def can_manage(self) -> bool:
        return self.body_access is not None and self.body_access.can_manage and self.body_open

    @property
    def body_open(self) -> bool:
        return self.body.status == "active"

    @property
    def locked(self) -> bool:
        return self.meeting.status in (MeetingStatus.minutes_approved, MeetingStatus.cancelled)

    @property
    def can_edit(self) -> bool:
        return self.can_manage and not self.locked

    @property
    def can_answer(self) -> bool:
        return self.invitation is not None and answer_open(self.meeting) and self.body_open

    @property
    def can_post_round_table(self) -> bool:
        return (
            self.full
            and self.body_open
            and round_table_open(self.meeting)
            and self.body_access is not None
            and self.body_access.role is not None
        )

    def require_full(self) -> None:
        if self.body_access is None:
            raise Forbidden()

    def require_manage(self) -> None:
        if self.body_access is None:
            raise Forbidden()
        self.body_access.require_manage()

    def require_editable(self) -> None:
        self.require_manage()
        require_unlocked(self.meeting)


def _locked(session: Session, access: MeetingAccess) -> Meeting:
    """The meeting as it is now, locked until commit, so that of two clicks on a state change
    (and its mails) only one passes; SQLite's write transactions already run one at a time."""
    session.refresh(access.meeting, with_for_update=True)
    require_unlocked(access.meeting)
    return access.meeting


def require_unlocked(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.minutes_approved:
        raise Conflict(LOCKED)
    if meeting.status == MeetingStatus.cancelled:
        raise Conflict(CANCELLED)


def answer_open(meeting: Meeting) -> bool:
    """Invitees answer until the meeting starts."""
    return meeting.status in (MeetingStatus.planned, MeetingStatus.convened) and utcnow() < meeting.starts_at


def round_table_open(meeting: Meeting) -> bool:
    return answer_open(meeting)


def _full_body_access(session: Session, user: User, body_id: int) -> bodies.BodyAccess | None:
    """The body access of a member who sees its content (not a guest), else None."""
    try:
        access = bodies.get_body_access(session, user, body_id)
    except NotFound:
        return None
    if access.role == MemberRole.guest and not access.staff:
        return None
    access.require_content()
    return access


def get_meeting_access(session: Session, user: User, meeting_id: int) -> MeetingAccess:
    """404 for whoever may not see the meeting: do not confirm it exists."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    invitation = session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.user_id == user.id)
    ).first()
    body_access = _full_body_access(session, user, meeting.body_id)
    # An invitation counts only with the membership it was given for, read now: a member who
    # left or was excluded sees nothing, nor does a guest removed from the body or excluded; a
    # guest's access ends when the minutes are approved.
    if body_access is None and (
        invitation is None
        or session.exec(guest_meetings(user).where(Invitation.meeting_id == meeting_id)).first() is None
    ):
        raise NotFound()
    body = body_access.body if body_access else session.get(Body, meeting.body_id)
    assert body is not None
    return MeetingAccess(
        meeting=meeting, body=body, user=user, body_access=body_access, invitation=invitation
    )


def guest_meetings(user: User) -> SelectOfScalar[int]:
    """The meetings the person sees as a guest (DESIGN.md §4 rule 4): invited to it, a guest of its
    body now (``bodies.guest_of``: not excluded, not removed), and its minutes not approved yet.
    The one rule of a guest's access, for a single meeting, the lists and the calendar feed."""
    return (
        select(Invitation.meeting_id)
        .join(Meeting, col(Meeting.id) == Invitation.meeting_id)
        .where(
            Invitation.user_id == user.id,
            bodies.guest_of(col(Invitation.user_id), col(Meeting.body_id)),
            col(Meeting.status) != MeetingStatus.minutes_approved,
        )
    )


# Lists


def _visible_meetings(session: Session, user: User, *, mine: bool = False) -> ColumnElement[bool]:
    """Meetings of the bodies whose content the person sees, and those they are a guest of
    (until the minutes are approved); every meeting for admin and coordinators, unless
    ``mine`` asks for those of their own bodies only."""
    if is_staff(user) and not mine:
        return true()
    body_ids = bodies.content_body_ids(session, user)
    return or_(col(Meeting.body_id).in_(body_ids), col(Meeting.id).in_(guest_meetings(user)))


def upcoming_meetings(session: Session, user: User, *, limit: int = 20) -> list[tuple[Meeting, Body]]:
    """My next meetings (all of them for admin and coordinators), soonest first."""
    since = utcnow() - timedelta(hours=12)
    rows = session.exec(
        select(Meeting, Body)
        .join(Body, col(Body.id) == Meeting.body_id)
        .where(_visible_meetings(session, user), Meeting.starts_at >= since)
        .order_by(col(Meeting.starts_at), col(Meeting.id))
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


# Scheduling


def _new_meeting(access: bodies.BodyAccess, starts_at: datetime, ends_at: datetime, location: str) -> Meeting:
    assert access.body.id is not None
    return Meeting(
        body_id=access.body.id,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        uid=f"{uuid4()}@veille",
        created_by=access.user.id,
    )


def _propose_agenda(session: Session, meeting: Meeting, language: str) -> None:
    """A new meeting starts with the body's standing items (DESIGN.md §3), titled in the
    language of the person who plans it."""
    assert meeting.id is not None
    for position, (standing, title) in enumerate(STANDING_ITEMS.items(), start=1):
        session.add(
            AgendaItem(
                meeting_id=meeting.id, position=position, title=translate(title, language), standing=standing
            )
        )


def create_meeting(session: Session, *, access: bodies.BodyAccess, data: MeetingIn) -> Meeting:
    access.require_manage()
    meeting = _new_meeting(access, data.starts_at, data.ends_at, data.location)
    session.add(meeting)
    session.flush()
    _propose_agenda(session, meeting, str(access.user.language))
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


def series_days(data: SeriesForm) -> list[date]:
    """The days of a monthly series, e.g. the first Tuesday (ordinal 1, weekday 1) or the last
    Friday (ordinal -1, weekday 4) of each month, from the month of ``first_month``."""
    start = data.first_month.replace(day=1)
    rule = rrule(MONTHLY, dtstart=start, count=data.count, byweekday=weekday(data.weekday, data.ordinal))
    return [moment.date() for moment in rule]


def plan_series(
    session: Session, *, access: bodies.BodyAccess, data: SeriesForm, settings: Settings
) -> list[Meeting]:
    """Plans the body's meetings from its cadence, skipping days that already have one."""
    access.require_manage()
    days = series_days(data)
    tz = settings.tz
    window = (
        datetime.combine(days[0], time.min, tzinfo=tz),
        datetime.combine(days[-1] + timedelta(days=1), time.min, tzinfo=tz),
    )
    taken = {
        m.starts_at.astimezone(tz).date()
        for m in session.exec(
            select(Meeting).where(
                Meeting.body_id == access.body.id,
                Meeting.starts_at >= window[0],
                Meeting.starts_at < window[1],
                col(Meeting.status) != MeetingStatus.cancelled,
            )
        ).all()
    }
    created: list[Meeting] = []
    today = utcnow().astimezone(tz).date()
    for day in days:
        if day in taken or day < today:
            continue
        starts_at, ends_at = local_times(day, data.start, data.end, settings)
        meeting = _new_meeting(access, starts_at, ends_at, data.location)
        session.add(meeting)
        session.flush()
        _propose_agenda(session, meeting, str(access.user.language))
        created.append(meeting)
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
    if data.version is not None and data.version != meeting.version:
        raise Conflict(N_("This meeting was changed by someone else: reload it and try again."))
    if data.starts_at <= utcnow() and data.starts_at != meeting.starts_at:
        raise InvalidInput({"starts_at": N_("Choose a date and time to come.")})
    moved = (data.starts_at, data.ends_at, data.location) != (
        meeting.starts_at,
        meeting.ends_at,
        meeting.location,
    )
    if not moved:
        return meeting
    meeting.starts_at, meeting.ends_at, meeting.location = data.starts_at, data.ends_at, data.location
    meeting.version += 1
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
    meeting = _locked(session, access)
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
    meeting.version += 1
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
    meeting = _locked(session, access)
    if meeting.status == MeetingStatus.held:
        raise Conflict(N_("This meeting has been held: it can no longer be cancelled."))
    was_convened = meeting.status == MeetingStatus.convened
    meeting.status = MeetingStatus.cancelled
    meeting.version += 1
    if was_convened:
        meeting.sequence += 1
        _mail_invitees(session, access, settings, mails.CANCELLATION)
    session.add(meeting)
    audit.record(session, user_id=access.user.id, verb="cancel", entity="meeting", entity_id=meeting.id)
    session.commit()
    return meeting


def invite_guest(session: Session, *, access: MeetingAccess, user_id: int, settings: Settings) -> Invitation:
    """Invites one more person (a guest, or a member who joined after the convocation)."""
    access.require_editable()
    meeting = access.meeting
    if meeting.status not in (MeetingStatus.planned, MeetingStatus.convened):
        raise Conflict(N_("This meeting has been held: nobody can be invited to it any more."))
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidInput({"user_id": N_("Choose an active person.")})
    assert meeting.id is not None
    membership = session.exec(
        select(Membership).where(Membership.body_id == meeting.body_id, Membership.user_id == user_id)
    ).first()
    if membership is not None and membership.excluded_at is not None:
        raise InvalidInput({"user_id": N_("This person is excluded from the body.")})
    existing = session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user_id)
    ).first()
    if existing is not None:
        raise InvalidInput({"user_id": N_("This person is already invited.")})
    if membership is None:
        # An outsider becomes the body's guest: their access then rests on that membership too.
        assert access.body_access is not None
        membership = bodies.seat_guest(session, access=access.body_access, user=user)
    guest = membership.role == MemberRole.guest
    invitation = Invitation(meeting_id=meeting.id, user_id=user_id, guest=guest)
    session.add(invitation)
    session.flush()
    if meeting.status == MeetingStatus.convened:
        mails.send_convocation(
            session, access, settings, invitation, user, items=agenda_seen_by(session, access.meeting, user)
        )
    audit.record(
        session,
        user_id=access.user.id,
        verb="invite",
        entity="meeting",
        entity_id=meeting.id,
        invitee=user_id,
    )
    session.commit()
    return invitation


def _mail_invitees(session: Session, access: MeetingAccess, settings: Settings, kind: str) -> int:
    """One mail per invitee who may receive it (``mails.recipients``), each listing the agenda as
    that person sees it on the meeting's page; answers how many were queued."""
    invitations = mails.recipients(session, access.meeting, access.body)
    for invitation in invitations:
        items = [] if kind == mails.CANCELLATION else agenda_seen_by(session, access.meeting, invitation.user)
        mails.send_convocation(session, access, settings, invitation, invitation.user, kind, items=items)
    return len(invitations)


def withdraw_invitation(session: Session, *, access: MeetingAccess, user_id: int, settings: Settings) -> None:
    """Withdraws someone's invitation before the meeting is held (a guest sees the meeting no
    more); a convened meeting's invitee is mailed the calendar event's cancellation."""
    access.require_editable()
    meeting = access.meeting
    if meeting.status not in (MeetingStatus.planned, MeetingStatus.convened):
        raise Conflict(N_("This meeting has been held: its invitations can no longer change."))
    invitation = session.exec(
        select(Invitation)
        .where(Invitation.meeting_id == meeting.id, Invitation.user_id == user_id)
        .options(selectinload(Invitation.user))  # type: ignore[arg-type]
    ).first()
    if invitation is None:
        raise NotFound()
    if meeting.status == MeetingStatus.convened and invitation.user.active:
        mails.send_convocation(
            session, access, settings, invitation, invitation.user, mails.WITHDRAWAL, items=[]
        )
    session.delete(invitation)
    audit.record(
        session,
        user_id=access.user.id,
        verb="withdraw_invitation",
        entity="meeting",
        entity_id=meeting.id,
        invitee=user_id,
    )
    session.commit()


# Attendance


def attendance(session: Session, *, access: MeetingAccess) -> list[Invitation]:
    """The attendance list, for members of the body (a guest sees only their own answer)."""
    access.require_full()
    rows = session.exec(
        select(Invitation)
        .where(Invitation.meeting_id == access.meeting.id)
        .options(selectinload(Invitation.user).selectinload(User.organisation))  # type: ignore[arg-type]
    ).all()
    return sorted(rows, key=lambda i: (i.guest, i.user.organisation.name, i.user.name))


def set_attendance(
    session: Session, *, access: MeetingAccess, user_id: int, data: AttendanceIn
) -> Invitation:
    """An invitee answers for themselves before the meeting; the secretary records anyone's
    answer or presence, and recording presence marks the meeting held."""
    meeting = access.meeting
    own = user_id == access.user.id
    if not own or data.status not in ANSWERS:
        access.require_manage()
    if not access.body_open:
        raise Conflict(bodies.CLOSED)
    require_unlocked(meeting)
    invitation = session.exec(
        select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user_id)
    ).first()
    if invitation is None:
        if own:
            raise Forbidden(N_("You are not invited to this meeting."))
        raise NotFound()
    managing = access.can_manage
    if not managing and not answer_open(meeting):
        raise Conflict(N_("This meeting has started: answers are closed."))
    _apply_answer(invitation, data)
    if data.status in PRESENCE:
        # Recorded by a manager only (checked above), from shortly before the meeting.
        if utcnow() < meeting.starts_at - PRESENCE_OPENS:
            raise Conflict(N_("Presence is recorded from two hours before the meeting."))
        if meeting.status in (MeetingStatus.planned, MeetingStatus.convened):
            meeting.status = MeetingStatus.held
            meeting.version += 1
            session.add(meeting)
    session.add(invitation)
    audit.record(
        session,
        user_id=access.user.id,
        verb="set_attendance",
        entity="meeting",
        entity_id=meeting.id,
        invitee=user_id,
        status=data.status,
    )
    session.commit()
    return invitation


def _apply_answer(invitation: Invitation, data: AttendanceIn) -> None:
    if data.status == AttendanceStatus.represented and not data.represented_by:
        raise InvalidInput({"represented_by": N_("Name the person who will represent you.")})
    invitation.status = data.status
    invitation.represented_by = data.represented_by if data.status == AttendanceStatus.represented else ""
    invitation.answered_at = utcnow()


def link_invitation(
    session: Session, *, meeting_id: int, user_id: int, signature: str, settings: Settings
) -> tuple[Meeting, Body, Invitation]:
    """The invitation a signed answer link stands for; 404 for a wrong link or a lost access."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not calendar.valid_answer_signature(
        settings.signing_key, meeting, user_id, signature
    ):
        raise NotFound()
    invitation = session.exec(
        select(Invitation)
        .where(Invitation.meeting_id == meeting_id, Invitation.user_id == user_id)
        .options(selectinload(Invitation.user))  # type: ignore[arg-type]
    ).first()
    if invitation is None or not invitation.user.active:
        raise NotFound()
    # The link gives no more than the person's own access, read now: someone who left the body,
    # was excluded or removed, or whose invitation was withdrawn since the mail, gets 404.
    try:
        access = get_meeting_access(session, invitation.user, meeting_id)
    except Forbidden as exc:
        raise NotFound() from exc
    return meeting, access.body, invitation


def answer_by_link(
    session: Session, *, meeting_id: int, user_id: int, signature: str, data: AttendanceIn, settings: Settings
) -> Invitation:
    """The answer of a convocation mail's signed link: no login, this person and meeting only."""
    meeting, body, invitation = link_invitation(
        session, meeting_id=meeting_id, user_id=user_id, signature=signature, settings=settings
    )
    if data.status not in ANSWERS:
        raise InvalidInput({"status": N_("Choose one of the proposed values.")})
    if body.status != BodyStatus.active:
        raise Conflict(bodies.CLOSED)
    if not answer_open(meeting):
        raise Conflict(N_("This meeting has started or is cancelled: answers are closed."))
    _apply_answer(invitation, data)
    session.add(invitation)
    audit.record(
        session,
        user_id=user_id,
        verb="answer_by_link",
        entity="meeting",
        entity_id=meeting_id,
        status=data.status,
    )
    session.commit()
    return invitation


# Round table


def round_table(session: Session, *, access: MeetingAccess) -> list[RoundTableEntry]:
    access.require_full()
    return list(
        session.exec(
            select(RoundTableEntry)
            .where(RoundTableEntry.meeting_id == access.meeting.id)
            .options(selectinload(RoundTableEntry.organisation))  # type: ignore[arg-type]
            .join(RoundTableEntry.organisation)  # type: ignore[arg-type]
            .order_by(col(RoundTableEntry.organisation_id))
        ).all()
    )


def save_round_table(session: Session, *, access: MeetingAccess, data: RoundTableIn) -> RoundTableEntry:
    """The update of the person's organisation; one per organisation, editable until the meeting."""
    access.require_full()
    assert access.body_access is not None
    if access.body_access.role is None:
        raise Forbidden(N_("Only members of the body post the round-table update of their organisation."))
    if not access.body_open:
        raise Conflict(bodies.CLOSED)
    if not round_table_open(access.meeting):
        raise Conflict(N_("The round table of this meeting is closed."))
    if not (data.seen.strip() or data.done.strip() or data.needs.strip()):
        raise InvalidInput({"seen": N_("Write at least one of the three parts.")})
    assert access.meeting.id is not None
    entry = session.exec(
        select(RoundTableEntry).where(
            RoundTableEntry.meeting_id == access.meeting.id,
            RoundTableEntry.organisation_id == access.user.organisation_id,
        )
    ).first()
    if entry is None:
        entry = RoundTableEntry(meeting_id=access.meeting.id, organisation_id=access.user.organisation_id)
    entry.sqlmodel_update(data.model_dump())
    entry.author_id = access.user.id
    entry.updated_at = utcnow()
    session.add(entry)
    audit.record(
        session, user_id=access.user.id, verb="round_table", entity="meeting", entity_id=access.meeting.id
    )
    session.commit()
    return entry


def remind_round_table(session: Session, settings: Settings, *, now: datetime | None = None) -> int:
    """Two days before a convened meeting, reminds the invitees whose organisation has not sent
    its round-table update; each meeting is reminded once. Answers the number of mails."""
    now = now or utcnow()
    due = session.exec(
        select(Meeting).where(
            Meeting.status == MeetingStatus.convened,
            col(Meeting.round_table_reminded_at).is_(None),
            Meeting.starts_at > now,
            Meeting.starts_at <= now + ROUND_TABLE_REMINDER,
        )
    ).all()
    sent = 0
    for meeting in due:
        sent += mails.send_round_table_reminders(session, meeting, settings)
        meeting.round_table_reminded_at = now
        session.add(meeting)
        session.commit()
    return sent


# Agenda


def agenda(session: Session, *, access: MeetingAccess) -> list[AgendaItem]:
    """The agenda; a guest, who is not of the body, does not see its confidential items."""
    stmt = select(AgendaItem).where(AgendaItem.meeting_id == access.meeting.id)
    if not access.full:
        stmt = stmt.where(col(AgendaItem.confidential).is_(False))
    return list(session.exec(stmt.order_by(col(AgendaItem.position), col(AgendaItem.id))).all())


def agenda_seen_by(session: Session, meeting: Meeting, user: User) -> list[AgendaItem]:
    """The agenda as this person sees it on the meeting's page (:func:`agenda` under their own
    access), for what is mailed to them: a guest's mail lists no confidential item. Nothing for
    someone who may not see the meeting."""
    assert meeting.id is not None
    try:
        return agenda(session, access=get_meeting_access(session, user, meeting.id))
    except (NotFound, Forbidden):
        return []


def _item(session: Session, access: MeetingAccess, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != access.meeting.id:
        raise NotFound()
    return item


def get_item_access(session: Session, user: User, item_id: int) -> tuple[MeetingAccess, AgendaItem]:
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound()
    return get_meeting_access(session, user, item.meeting_id), item


def add_item(session: Session, *, access: MeetingAccess, data: AgendaItemIn) -> AgendaItem:
    access.require_editable()
    assert access.meeting.id is not None
    last = session.exec(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == access.meeting.id)
    ).one()
    item = AgendaItem(
        meeting_id=access.meeting.id, position=(last or 0) + 1, updated_by=access.user.id, **data.fields()
    )
    session.add(item)
    session.flush()
    _set_links(session, access, item, data)
    audit.record(session, user_id=access.user.id, verb="create", entity="agenda_item", entity_id=item.id)
    session.commit()
    return item


def _check_version(session: Session, item: AgendaItem, version: int | None) -> None:
    """Compares with the row as it is now, locked until commit (on PostgreSQL; SQLite's write
    transactions already run one at a time), so that of two saves of one version one is refused."""
    session.refresh(item, with_for_update=True)
    if version is not None and version != item.version:
        raise Conflict(NOTES_CONFLICT)


def update_item(
    session: Session, *, access: MeetingAccess, item: AgendaItem, data: AgendaItemIn, version: int | None
) -> AgendaItem:
    access.require_editable()
    _check_version(session, item, version)
    item.sqlmodel_update(data.fields())
    _set_links(session, access, item, data)
    _touch(item, access)
    session.add(item)
    audit.record(session, user_id=access.user.id, verb="update", entity="agenda_item", entity_id=item.id)
    session.commit()
    return item


def item_links(session: Session, item_ids: Sequence[int]) -> dict[int, tuple[list[int], list[int]]]:
    """The reports and actions linked to each item (two queries whatever their number)."""
    links: dict[int, tuple[list[int], list[int]]] = {i: ([], []) for i in item_ids}
    if not links:
        return links
    for item_id, situation_id in session.exec(
        select(AgendaItemSituation.agenda_item_id, AgendaItemSituation.situation_id).where(
            col(AgendaItemSituation.agenda_item_id).in_(sorted(links))
        )
    ).all():
        links[item_id][0].append(situation_id)
    for item_id, action_id in session.exec(
        select(AgendaItemAction.agenda_item_id, AgendaItemAction.action_id).where(
            col(AgendaItemAction.agenda_item_id).in_(sorted(links))
        )
    ).all():
        links[item_id][1].append(action_id)
    return links


def links_seen_by(
    session: Session, access: MeetingAccess, item_ids: Sequence[int]
) -> dict[int, tuple[list[int], list[int]]]:
    """The reports and actions linked to each item as this person may name them: none for a
    guest (DESIGN.md §4 rule 4), and only the reports the visibility rule lets them open
    (``situations.visible_ids``), never one that would answer them 404."""
    if not access.full:
        return {i: ([], []) for i in item_ids}
    links = item_links(session, item_ids)
    viewer = situations.viewer_for(session, access.user)
    opened = situations.visible_ids(session, viewer, {s for reports, _ in links.values() for s in reports})
    return {i: ([s for s in reports if s in opened], found) for i, (reports, found) in links.items()}


def _set_links(session: Session, access: MeetingAccess, item: AgendaItem, data: AgendaItemIn) -> None:
    """Links the reports and actions the person chose, among those of the body they read; links
    to reports they cannot read stay (someone who could read them put them there)."""
    from veille.actions import service as actions  # actions builds on meetings: see minutes()

    viewer = situations.viewer_for(session, access.user)
    body_id = access.meeting.body_id
    current_reports, current_actions = item_links(session, [item.id or 0])[item.id or 0]
    if data.situation_ids is not None:
        kept = set(current_reports) - situations.full_ids(session, viewer, current_reports)
        wanted = set(data.situation_ids) - kept
        if wanted != situations.readable_in_body(session, viewer, wanted, body_id):
            raise InvalidInput({"situation_ids": N_("Choose reports of this body that you can read.")})
        _replace(session, AgendaItemSituation, item, "situation_id", current_reports, wanted | kept)
    if data.action_ids is not None:
        wanted = set(data.action_ids)
        if wanted != actions.ids_in_body(session, viewer, wanted, body_id):
            raise InvalidInput({"action_ids": N_("Choose actions of this body.")})
        _replace(session, AgendaItemAction, item, "action_id", current_actions, wanted)


def _replace(
    session: Session,
    model: type[AgendaItemSituation] | type[AgendaItemAction],
    item: AgendaItem,
    column: str,
    current: list[int],
    wanted: set[int],
) -> None:
    for other in set(current) - wanted:
        row = session.get(model, (item.id, other))
        if row is not None:
            session.delete(row)
    for other in sorted(wanted - set(current)):
        session.add(model(agenda_item_id=item.id or 0, **{column: other}))


def save_notes(session: Session, *, access: MeetingAccess, item: AgendaItem, data: NotesIn) -> AgendaItem:
    """Notes are saved as they are typed; a save based on an older version is refused (409), never
    written over someone else's text."""
    access.require_editable()
    _check_version(session, item, data.version)
    if (item.notes, item.decisions, item.confidential) == (data.notes, data.decisions, data.confidential):
        return item
    item.notes, item.decisions, item.confidential = data.notes, data.decisions, data.confidential
    _touch(item, access)
    session.add(item)
    audit.record(session, user_id=access.user.id, verb="notes", entity="agenda_item", entity_id=item.id)
    session.commit()
    return item


def _touch(item: AgendaItem, access: MeetingAccess) -> None:
    item.version += 1
    item.updated_at = utcnow()
    item.updated_by = access.user.id


def delete_item(session: Session, *, access: MeetingAccess, item: AgendaItem) -> None:
    access.require_editable()
    session.delete(item)
    audit.record(session, user_id=access.user.id, verb="delete", entity="agenda_item", entity_id=item.id)
    session.commit()


def reorder(session: Session, *, access: MeetingAccess, ids: Sequence[int]) -> list[AgendaItem]:
    """``ids`` must name every item of the agenda once, in the new order."""
    access.require_editable()
    items = {item.id: item for item in agenda(session, access=access) if item.id is not None}
    if sorted(ids) != sorted(items) or len(set(ids)) != len(ids):
        raise InvalidInput({"ids": N_("Give every item of the agenda once.")})
    for position, item_id in enumerate(ids, start=1):
        items[item_id].position = position
        session.add(items[item_id])
    audit.record(
        session, user_id=access.user.id, verb="reorder", entity="meeting", entity_id=access.meeting.id
    )
    session.commit()
    return sorted(items.values(), key=lambda i: i.position)


def move(session: Session, *, access: MeetingAccess, item: AgendaItem, offset: int) -> list[AgendaItem]:
    """One place up (-1) or down (+1): the keyboard's way of reordering."""
    ids = [i.id for i in agenda(session, access=access) if i.id is not None]
    index = ids.index(item.id) if item.id in ids else -1
    target = index + offset
    if index >= 0 and 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    return reorder(session, access=access, ids=ids)


def awaiting_answer(session: Session, viewer: situations.Viewer, *, limit: int) -> list[tuple[Meeting, Body]]:
    """The coming meetings the person is invited to and has not answered yet, soonest first:
    of the bodies whose content they see (every body for the staff), or as a guest; answers
    close when the meeting starts (``meetings.service.answer_open``) and in a closed body."""
    seen: ColumnElement[bool] = (
        true()
        if viewer.content_ids is None
        else or_(
            col(Meeting.body_id).in_(sorted(viewer.content_ids)),
            col(Meeting.id).in_(guest_meetings(viewer.user)),
        )
    )
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
            seen,
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
        .limit(limit)
    ).all()
    return [(meeting, body) for meeting, body in rows]


PAST = (MeetingStatus.held, MeetingStatus.minutes_approved)
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


def meeting_of(session: Session, meeting_id: int) -> Meeting | None:
    """The meeting that decided an action (its page links to it: the reader sees its body)."""
    return session.get(Meeting, meeting_id)


def previous_start(session: Session, meeting: Meeting) -> datetime | None:
    """When the body's last meeting before this one began (cancelled ones do not count)."""
    return session.exec(
        select(Meeting.starts_at)
        .where(
            Meeting.body_id == meeting.body_id,
            Meeting.starts_at < meeting.starts_at,
            col(Meeting.status) != MeetingStatus.cancelled,
        )
        .order_by(col(Meeting.starts_at).desc())
    ).first()


def next_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    return session.exec(
        select(Meeting)
        .where(
            Meeting.body_id == meeting.body_id,
            Meeting.starts_at > meeting.starts_at,
            col(Meeting.status).in_([MeetingStatus.planned, MeetingStatus.convened]),
        )
        .order_by(col(Meeting.starts_at))
    ).first()


def carry_over(session: Session, *, access: MeetingAccess, item: AgendaItem) -> Meeting:
    """An item not dealt with goes to the body's next meeting, with its notes."""
    access.require_editable()
    session.refresh(item, with_for_update=True)
    if item.carried_over:
        raise Conflict(N_("This item has already been carried over."))
    target = next_meeting(session, access.meeting)
    if target is None:
        raise Conflict(N_("Plan the body's next meeting first: the item will be carried over to it."))
    assert target.id is not None
    last = session.exec(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == target.id)).one()
    session.add(
        AgendaItem(
            meeting_id=target.id,
            position=(last or 0) + 1,
            title=item.title,
            description=item.description,
            presenter=item.presenter,
            notes=item.notes,
            confidential=item.confidential,
            carried_from_id=item.id,
            updated_by=access.user.id,
        )
    )
    item.carried_over = True
    _touch(item, access)
    session.add(item)
    audit.record(
        session,
        user_id=access.user.id,
        verb="carry_over",
        entity="agenda_item",
        entity_id=item.id,
        to_meeting=target.id,
    )
    session.commit()
    return target


# Minutes


@dataclass
class Minutes:
    """The assembled minutes. ``audience`` "body" keeps everything; "outside" (plenary, annual
    report) leaves out the items marked confidential (DESIGN.md §4 rule 5)."""

    meeting: Meeting
    body: Body
    audience: str
    attendance: list[Invitation]
    items: list[AgendaItem]
    round_table: list[RoundTableEntry]
    approved_by: User | None = None
    by_status: dict[str, list[Invitation]] = field(default_factory=dict)
    # The actions the meeting decided (its decisions as actions), with their lead's name.
    actions: list[Any] = field(default_factory=list)
    leads: dict[int, str] = field(default_factory=dict)

    def actions_of(self, item: AgendaItem) -> list[Any]:
        return [a for a in self.actions if a.agenda_item_id == item.id]

    def __post_init__(self) -> None:
        for invitation in self.attendance:
            self.by_status.setdefault(str(invitation.status), []).append(invitation)


def minutes(session: Session, *, access: MeetingAccess, audience: str = "body") -> Minutes:
    access.require_full()
    items = agenda(session, access=access)
    if audience != "body":
        items = [item for item in items if not item.confidential]
    approver = session.get(User, access.meeting.approved_by) if access.meeting.approved_by else None
    # Imported here: the actions domain builds on meetings (an action names the meeting that
    # decided it), so meetings reach it only when the minutes are assembled.
    from veille.actions import service as actions

    kept = {item.id for item in items}
    decided = [
        a
        for a in actions.decided_at(session, actions.viewer_for(session, access.user), access.meeting.id or 0)
        if a.agenda_item_id in kept or (a.agenda_item_id is None and audience == "body")
    ]
    leads = {o.id: o.name for o in directory.list_organisations(session) if o.id is not None}
    return Minutes(
        meeting=access.meeting,
        body=access.body,
        audience=audience,
        attendance=attendance(session, access=access),
        items=items,
        round_table=round_table(session, access=access),
        approved_by=approver,
        actions=decided,
        leads=leads,
    )


def approve(session: Session, *, access: MeetingAccess, settings: Settings) -> Meeting:
    """Locks the minutes and mails them to the members."""
    access.require_editable()
    meeting = _locked(session, access)
    if meeting.status != MeetingStatus.held:
        raise Conflict(N_("Record who was present before approving the minutes."))
    meeting.status = MeetingStatus.minutes_approved
    meeting.approved_at = utcnow()
    meeting.approved_by = access.user.id
    meeting.version += 1
    session.add(meeting)
    session.flush()
    count = mails.send_minutes(session, access, settings, minutes(session, access=access))
    audit.record(
        session, user_id=access.user.id, verb="approve", entity="meeting", entity_id=meeting.id, mails=count
    )
    session.commit()
    return meeting


# Calendar


def calendar_events(
    session: Session, meetings: Sequence[Meeting], settings: Settings
) -> list[calendar.CalendarEvent]:
    names = {
        body.id: body.name
        for body in session.exec(select(Body).where(col(Body.id).in_({m.body_id for m in meetings}))).all()
    }
    return [mails.calendar_event(m, names[m.body_id], settings) for m in meetings]


def meeting_calendar(session: Session, *, access: MeetingAccess, settings: Settings) -> bytes:
    return calendar.calendar_file(
        calendar_events(session, [access.meeting], settings), organizer=settings.mail_from
    )


def feed(session: Session, *, user: User) -> CalendarFeed:
    """The person's feed, created on first use."""
    assert user.id is not None
    current = session.get(CalendarFeed, user.id)
    if current is None:
        current = CalendarFeed(user_id=user.id)
        session.add(current)
        audit.record(session, user_id=user.id, verb="create", entity="calendar_feed", entity_id=user.id)
        session.commit()
    return current


def revoke_feed(session: Session, *, user: User) -> CalendarFeed:
    """A new address; the old one stops working at once."""
    current = feed(session, user=user)
    session.execute(
        update(CalendarFeed)
        .where(col(CalendarFeed.user_id) == user.id)
        .values(generation=col(CalendarFeed.generation) + 1)
    )
    audit.record(session, user_id=user.id, verb="revoke", entity="calendar_feed", entity_id=user.id)
    session.commit()
    session.refresh(current)
    return current


def feed_url(settings: Settings, current: CalendarFeed) -> str:
    token = calendar.feed_token(settings.signing_key, current.user_id, current.generation)
    return f"{settings.base_url.rstrip('/')}/calendar/{token}.ics"


FEED_PAST = relativedelta(months=3)


def feed_calendar(session: Session, *, token: str, settings: Settings) -> bytes:
    """The meetings of a person's bodies, for a calendar application; 404 for a revoked address."""
    parsed = calendar.parse_feed_token(settings.signing_key, token)
    if parsed is None:
        raise NotFound()
    user_id, generation = parsed
    current = session.get(CalendarFeed, user_id)
    user = session.get(User, user_id)
    if current is None or current.generation != generation or user is None or not user.active:
        raise NotFound()
    since = utcnow() - FEED_PAST
    meetings = session.exec(
        select(Meeting)
        .where(_visible_meetings(session, user, mine=True), Meeting.starts_at >= since)
        .order_by(col(Meeting.starts_at))
        .limit(500)
    ).all()
    return calendar.calendar_file(
        calendar_events(session, meetings, settings), organizer=settings.mail_from, name="Veille"
    )
