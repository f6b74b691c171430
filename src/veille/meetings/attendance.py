"""Who comes to a meeting: invitations (a guest, a late member), withdrawals, answers (from the
page or a mail's signed link), presence; and the round table, where each organisation posts
its update before the meeting, with the reminder of those who have not."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.bodies.models import Body, Membership
from veille.config import Settings
from veille.directory.models import User
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_, ngettext
from veille.meetings import calendar, mails
from veille.meetings.access import (
    MeetingAccess,
    answer_open,
    meeting_standing,
    require_unlocked,
    round_table_open,
)
from veille.meetings.agenda import agenda_seen_by
from veille.meetings.enums import ANSWERS, PRESENCE, AttendanceStatus, MeetingStatus
from veille.meetings.models import AttendanceIn, Invitation, Meeting, RoundTableEntry, RoundTableIn
from veille.orm import utcnow
from veille.versions import bump

ROUND_TABLE_REMINDER = timedelta(days=2)
PRESENCE_OPENS = timedelta(hours=2)


def invited_ids(session: Session, access: MeetingAccess) -> set[int]:
    """Who is invited already: those the invitation form leaves out."""
    invited = select(Invitation.user_id).where(Invitation.meeting_id == access.meeting.id)
    return set(session.exec(invited).all())


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


def attendance(session: Session, *, access: MeetingAccess) -> list[Invitation]:
    """The attendance list, for members of the body (a guest sees only their own answer): while
    answers are awaited, those who have not answered first (the secretary chases them), then by
    organisation; once the meeting starts, by organisation only, so that rows stay where they
    are while presence is recorded. Guests come last."""
    access.require_full()
    rows = session.exec(
        select(Invitation)
        .where(Invitation.meeting_id == access.meeting.id)
        .options(joinedload(Invitation.user).joinedload(User.organisation))  # type: ignore[arg-type]
    ).all()
    chasing = answer_open(access.meeting)
    return sorted(
        rows,
        key=lambda i: (
            chasing and i.status != AttendanceStatus.invited,
            i.guest,
            i.user.organisation.name,
            i.user.name,
        ),
    )


@dataclass(frozen=True)
class Roll:
    """The figures above the attendance list: before the meeting, who answered ("4 of 7
    answered, 1 represented"); from when presence is recorded, who is present, excused, absent."""

    counts: Counter[str]
    total: int
    presence: bool

    @property
    def answered(self) -> int:
        return self.total - self.counts[AttendanceStatus.invited]

    @property
    def headline(self) -> str:
        """In the reader's language (formatted here: a template's ``ngettext`` takes no
        parameter beside the number)."""
        if self.presence:
            present = self.counts[AttendanceStatus.present]
            return ngettext(
                "%(num)s of %(total)s present", "%(num)s of %(total)s present", present, total=self.total
            )
        text = ngettext(
            "%(num)s of %(total)s answered", "%(num)s of %(total)s answered", self.answered, total=self.total
        )
        if represented := self.counts[AttendanceStatus.represented]:
            text += ", " + ngettext("%(num)s represented", "%(num)s represented", represented)
        return text

    @property
    def unrecorded(self) -> int:
        """Invitees whose presence is still to record (neither present, absent nor excused, nor
        represented)."""
        return self.counts[AttendanceStatus.invited] + self.counts[AttendanceStatus.confirmed]


def presence_open(meeting: Meeting) -> bool:
    """Presence is recorded from shortly before the meeting until its minutes are approved."""
    if meeting.status == MeetingStatus.held:
        return True
    return (
        meeting.status in (MeetingStatus.planned, MeetingStatus.convened)
        and utcnow() >= meeting.starts_at - PRESENCE_OPENS
    )


def roll(rows: list[Invitation], meeting: Meeting) -> Roll:
    recorded = meeting.status in (MeetingStatus.held, MeetingStatus.minutes_approved)
    return Roll(
        counts=Counter(str(i.status) for i in rows),
        total=len(rows),
        presence=recorded or presence_open(meeting),
    )


def mark_all_present(session: Session, *, access: MeetingAccess) -> int:
    """ "All present": marks present every invitee who neither excused themselves nor sent a
    representative nor is already recorded absent; the secretary then corrects the exceptions.
    Marks the meeting held; answers how many were marked."""
    access.require_manage()
    meeting = access.meeting
    if not access.body_open:
        raise Conflict(bodies.CLOSED)
    require_unlocked(meeting)
    if not presence_open(meeting):
        raise Conflict(N_("Presence is recorded from two hours before the meeting."))
    waiting = session.exec(
        select(Invitation).where(
            Invitation.meeting_id == meeting.id,
            col(Invitation.status).in_((AttendanceStatus.invited, AttendanceStatus.confirmed)),
        )
    ).all()
    for invitation in waiting:
        invitation.status = AttendanceStatus.present
        invitation.answered_at = utcnow()
        session.add(invitation)
    _mark_held(session, meeting)
    audit.record(
        session,
        user_id=access.user.id,
        verb="all_present",
        entity="meeting",
        entity_id=meeting.id,
        invitees=sorted(i.user_id for i in waiting),
    )
    session.commit()
    return len(waiting)


def _mark_held(session: Session, meeting: Meeting) -> None:
    """Recording presence means the meeting took place."""
    if meeting.status in (MeetingStatus.planned, MeetingStatus.convened):
        meeting.status = MeetingStatus.held
        bump(meeting)
        session.add(meeting)


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
    _apply_answer(invitation, data, own=own)
    if data.status in PRESENCE:
        # Recorded by a manager only (checked above), from shortly before the meeting.
        if not presence_open(meeting):
            raise Conflict(N_("Presence is recorded from two hours before the meeting."))
        _mark_held(session, meeting)
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


def _apply_answer(invitation: Invitation, data: AttendanceIn, *, own: bool = True) -> None:
    if data.status == AttendanceStatus.represented and not data.represented_by:
        name = (
            N_("Name the person who will represent you.")
            if own
            else N_("Name the person who represents them.")
        )
        raise InvalidInput({"represented_by": name})
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
        body = meeting_standing(session, invitation.user, meeting_id)[1]
    except Forbidden as exc:
        raise NotFound() from exc
    return meeting, body, invitation


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
