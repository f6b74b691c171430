"""The mails of a meeting: convocation, update, cancellation, round-table reminder, minutes.

Each goes through the outbox in the transaction of the change that causes it, in the
recipient's language, and carries the meeting as a calendar event where a calendar needs it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from veille.bodies import service as bodies
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory.models import User
from veille.i18n import N_, format_moment, translate
from veille.meetings import calendar
from veille.meetings.access import MeetingAccess
from veille.meetings.models import AgendaItem, Invitation, Meeting, RoundTableEntry
from veille.notifications import service as outbox
from veille.web import render_text

CONVOCATION = "meeting_convocation"
UPDATE = "meeting_update"
CANCELLATION = "meeting_cancellation"
WITHDRAWAL = "meeting_invitation_withdrawn"
SUBJECTS = {
    CONVOCATION: N_("Convocation: %(body)s, %(when)s"),
    UPDATE: N_("Meeting changed: %(body)s, %(when)s"),
    CANCELLATION: N_("Meeting cancelled: %(body)s, %(when)s"),
    WITHDRAWAL: N_("Invitation withdrawn: %(body)s, %(when)s"),
}
# The mails that take the event out of the recipient's calendar (iTIP CANCEL), without answer links.
CANCELS = (CANCELLATION, WITHDRAWAL)


def meeting_url(settings: Settings, meeting: Meeting) -> str:
    return f"{settings.base_url.rstrip('/')}/meetings/{meeting.id}"


def calendar_event(meeting: Meeting, body_name: str, settings: Settings) -> calendar.CalendarEvent:
    """What a calendar shows of a meeting: the body, the place and the link, never its content."""
    url = meeting_url(settings, meeting)
    return calendar.CalendarEvent(meeting=meeting, summary=body_name, description=url, url=url)


def when_text(meeting: Meeting, settings: Settings, language: str) -> str:
    return format_moment(meeting.starts_at, "EEEE d MMMM y, HH:mm", settings.tz, language)


def answer_links(settings: Settings, meeting: Meeting, user_id: int) -> dict[str, str]:
    assert meeting.id is not None
    signature = calendar.answer_signature(settings.signing_key, meeting, user_id)
    base = f"{settings.base_url.rstrip('/')}/meetings/{meeting.id}/answer/{user_id}/{signature}"
    return {status: f"{base}?status={status}" for status in ("confirmed", "excused", "represented")}


def send_convocation(
    session: Session,
    access: MeetingAccess,
    settings: Settings,
    invitation: Invitation,
    user: User,
    kind: str = CONVOCATION,
    *,
    items: Sequence[AgendaItem],
) -> None:
    """``items``: the agenda as this recipient sees it (``agenda.agenda_seen_by``), never the
    whole agenda for a guest."""
    meeting, body = access.meeting, access.body
    language = str(user.language)
    method = "CANCEL" if kind in CANCELS else "REQUEST"
    ics = calendar.calendar_file(
        [calendar_event(meeting, body.name, settings)],
        organizer=settings.mail_from,
        method=method,
        attendee=(user.email, user.name),
    )
    context = {
        "kind": kind,
        "user": user,
        "body": body,
        "meeting": meeting,
        "when": when_text(meeting, settings, language),
        "items": items,
        "url": meeting_url(settings, meeting),
        "links": answer_links(settings, meeting, user.id) if kind not in CANCELS and user.id else {},
    }
    outbox.enqueue(
        session,
        to=user.email,
        subject=translate(SUBJECTS[kind], language, body=body.name, when=context["when"]),
        text=render_text("meetings/mail/convocation.txt", context, language),
        attachments=[
            outbox.Attachment(
                filename="invite.ics" if method == "REQUEST" else "cancel.ics",
                content_type=f"text/calendar; method={method}; charset=utf-8",
                data=ics,
            )
        ],
        user_id=user.id,
        kind=kind,
    )


def recipients(session: Session, meeting: Meeting, body: Body, *, guests: bool = True) -> list[Invitation]:
    """The invitees a meeting's mail may go to: the invited members who still see the body's
    content (not those who left, were excluded, or have a charter to accept), and its guests if
    asked, while they are guests of the body (``bodies.guest_of``: not removed, not excluded);
    never a deactivated account."""
    seen: ColumnElement[bool] = col(Invitation.user_id).in_(sorted(bodies.content_member_ids(session, body)))
    if guests:
        seen = or_(seen, bodies.guest_of(col(Invitation.user_id), body.id or 0))
    invitations = session.exec(
        select(Invitation)
        .where(Invitation.meeting_id == meeting.id, seen)
        .options(selectinload(Invitation.user))  # type: ignore[arg-type]
        .order_by(col(Invitation.id))
    ).all()
    return [i for i in invitations if i.user.active]


def send_round_table_reminders(session: Session, meeting: Meeting, settings: Settings) -> int:
    """To the invited members whose organisation has not posted its round-table update."""
    body = session.get(Body, meeting.body_id)
    assert body is not None
    posted = set(
        session.exec(
            select(RoundTableEntry.organisation_id).where(RoundTableEntry.meeting_id == meeting.id)
        ).all()
    )
    count = 0
    for invitation in recipients(session, meeting, body, guests=False):
        user = invitation.user
        if user.organisation_id in posted:
            continue
        language = str(user.language)
        when = when_text(meeting, settings, language)
        context = {"user": user, "body": body, "when": when, "url": meeting_url(settings, meeting)}
        outbox.enqueue(
            session,
            to=user.email,
            subject=translate(
                N_("Round table: your update for %(body)s, %(when)s"), language, body=body.name, when=when
            ),
            text=render_text("meetings/mail/round_table_reminder.txt", context, language),
            user_id=user.id,
            kind="round_table_reminder",
        )
        count += 1
    return count
