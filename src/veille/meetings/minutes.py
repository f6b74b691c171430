"""The minutes of a meeting: assembled from the agenda, attendance, round table and the
decisions recorded (for the body, or without the confidential items for outside it), printed
as a PDF, approved (the meeting is then locked) and mailed to the members."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory import service as directory
from veille.directory.models import User
from veille.errors import Conflict
from veille.i18n import N_, translate
from veille.meetings import extensions, mails
from veille.meetings.access import MeetingAccess, locked_meeting
from veille.meetings.agenda import agenda
from veille.meetings.attendance import attendance, round_table
from veille.meetings.enums import MeetingStatus
from veille.meetings.extensions import Decision
from veille.meetings.models import AgendaItem, Invitation, Meeting, RoundTableEntry
from veille.notifications import service as outbox
from veille.orm import utcnow
from veille.pdf import render_pdf
from veille.versions import bump
from veille.web import render_text


@dataclass
class Minutes:
    """The assembled minutes. ``audience`` "body" keeps everything; "outside" (plenary, annual
    report) leaves out the items marked confidential (docs/confidentiality.md, rule 5)."""

    meeting: Meeting
    body: Body
    audience: str
    attendance: list[Invitation]
    items: list[AgendaItem]
    round_table: list[RoundTableEntry]
    approved_by: User | None = None
    by_status: dict[str, list[Invitation]] = field(default_factory=dict)
    # The decisions recorded at the meeting (actions, see ``extensions``), with their lead's name.
    decisions: list[Decision] = field(default_factory=list)
    leads: dict[int, str] = field(default_factory=dict)

    def decisions_of(self, item: AgendaItem) -> list[Decision]:
        return [d for d in self.decisions if d.agenda_item_id == item.id]

    def __post_init__(self) -> None:
        for invitation in self.attendance:
            self.by_status.setdefault(str(invitation.status), []).append(invitation)


def minutes(session: Session, *, access: MeetingAccess, audience: str = "body") -> Minutes:
    access.require_full()
    items = agenda(session, access=access)
    if audience != "body":
        items = [item for item in items if not item.confidential]
    approver = session.get(User, access.meeting.approved_by) if access.meeting.approved_by else None
    kept = {item.id for item in items}
    decided = [
        d
        for d in extensions.decisions(session, access.viewer, access.meeting.id or 0)
        if d.agenda_item_id in kept or (d.agenda_item_id is None and audience == "body")
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
        decisions=decided,
        leads=leads,
    )


def approve(session: Session, *, access: MeetingAccess, settings: Settings) -> Meeting:
    """Locks the minutes and mails them to the members."""
    access.require_editable()
    meeting = locked_meeting(session, access)
    if meeting.status != MeetingStatus.held:
        raise Conflict(N_("Record who was present before approving the minutes."))
    if meeting.starts_at > utcnow():  # presence is recorded from two hours before (access.can_approve)
        raise Conflict(N_("The minutes are approved once the meeting has begun."))
    meeting.status = MeetingStatus.minutes_approved
    meeting.approved_at = utcnow()
    meeting.approved_by = access.user.id
    bump(meeting)
    session.add(meeting)
    session.flush()
    count = send_minutes(session, access, settings, minutes(session, access=access))
    audit.record(
        session, user_id=access.user.id, verb="approve", entity="meeting", entity_id=meeting.id, mails=count
    )
    session.commit()
    return meeting


PDF_TEMPLATE = "meetings/minutes_pdf.html"


def minutes_pdf(minutes: Minutes, settings: Settings, language: str) -> bytes:
    return render_pdf(PDF_TEMPLATE, {"minutes": minutes, "settings": settings}, language)


def document_name(kind: str, meeting: Meeting, body: Body, settings: Settings) -> str:
    """A meeting document's file name, which says what, of which body and of which day once
    saved among others: ``compte-rendu-cellule-nord-2026-11-03.pdf``; ASCII, so that it stays
    whole in every mail client and file system."""
    ascii_name = unicodedata.normalize("NFKD", body.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "instance"
    day = meeting.starts_at.astimezone(settings.tz).date().isoformat()
    return f"{kind}-{slug}-{day}.pdf"


def minutes_name(minutes: Minutes, settings: Settings) -> str:
    """The body's minutes and the version for outside it are named apart."""
    kind = "compte-rendu-diffusion" if minutes.audience == "outside" else "compte-rendu"
    return document_name(kind, minutes.meeting, minutes.body, settings)


def send_minutes(session: Session, access: MeetingAccess, settings: Settings, minutes: Minutes) -> int:
    """The approved minutes, to the body's members (its guests' access ended with approval)."""
    ids = bodies.content_member_ids(session, access.body)
    members = session.exec(select(User).where(col(User.id).in_(ids)).order_by(col(User.id))).all()
    documents: dict[str, bytes] = {}
    for user in members:
        language = str(user.language)
        if language not in documents:
            documents[language] = minutes_pdf(minutes, settings, language)
        when = mails.when_text(access.meeting, settings, language)
        context = {
            "user": user,
            "body": access.body,
            "when": when,
            "url": mails.meeting_url(settings, access.meeting),
        }
        outbox.enqueue(
            session,
            to=user.email,
            subject=translate(N_("Minutes: %(body)s, %(when)s"), language, body=access.body.name, when=when),
            text=render_text("meetings/mail/minutes.txt", context, language),
            attachments=[
                outbox.Attachment(
                    filename=minutes_name(minutes, settings),
                    content_type="application/pdf",
                    data=documents[language],
                )
            ],
            user_id=user.id,
            kind="meeting_minutes",
        )
    return len(members)
