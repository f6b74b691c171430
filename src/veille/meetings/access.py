"""Who may see and do what with a meeting: the one rule of a member's and a guest's access
(docs/confidentiality.md, rule 4), built from the viewer of the request, for every other meetings module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.access import Viewer
from veille.bodies import service as bodies
from veille.bodies.enums import MemberRole
from veille.bodies.models import Body
from veille.directory.models import User
from veille.errors import Conflict, Forbidden, NotFound
from veille.i18n import N_
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import AgendaItem, Invitation, Meeting
from veille.orm import utcnow
from veille.versions import lock_version

LOCKED = N_("The minutes of this meeting are approved: it can no longer be changed.")
CANCELLED = N_("This meeting is cancelled: it can no longer be changed.")


@dataclass(frozen=True)
class MeetingAccess:
    """What one person may do with one meeting. ``body_access`` is None for a guest invited to
    this meeting only, who sees its agenda and nothing else (docs/confidentiality.md, rule 4)."""

    meeting: Meeting
    body: Body
    viewer: Viewer
    body_access: bodies.BodyAccess | None
    invitation: Invitation | None
    # When the body's previous meeting began (cancelled ones do not count), read with the
    # meeting: the page's "new reports" and "follow-up" run from it.
    previous_start: datetime | None = None

    @property
    def user(self) -> User:
        return self.viewer.user

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
    def can_convene(self) -> bool:
        """Planned and to come: a convocation to a meeting already begun would be a dead letter."""
        planned = self.meeting.status == MeetingStatus.planned
        return self.can_edit and planned and self.meeting.starts_at > utcnow()

    @property
    def too_late_to_convene(self) -> bool:
        """Planned, editable, and its date has come: its page says what is left to do."""
        planned = self.meeting.status == MeetingStatus.planned
        return self.can_edit and planned and not self.can_convene

    @property
    def can_approve(self) -> bool:
        """Its minutes, once presence is recorded and the meeting has begun (presence is recorded
        from two hours before: approved then, the minutes of a meeting not held yet were locked)."""
        return (
            self.can_edit and self.meeting.status == MeetingStatus.held and self.meeting.starts_at <= utcnow()
        )

    @property
    def can_answer(self) -> bool:
        return self.invitation is not None and answer_open(self.meeting) and self.body_open

    @property
    def round_table_over(self) -> bool:
        """The round table takes no more updates (the meeting began, or is cancelled): those
        missing will not come, which the pages say without "yet"."""
        return not round_table_open(self.meeting)

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


def locked_meeting(session: Session, access: MeetingAccess) -> Meeting:
    """The meeting as it is now, locked until commit, so that of two clicks on a state change
    (and its mails) only one passes."""
    lock_version(session, access.meeting, None, LOCKED)
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


def meeting_standing(
    session: Session, user: User, meeting_id: int
) -> tuple[Meeting, Body, bodies.BodyAccess | None, Invitation | None]:
    """The meeting, its body, the person's access to the body as a member (None for a guest)
    and their invitation; 404 for whoever may not see it. The rule of :func:`get_meeting_access`,
    for someone who is not the one asking (a mail's recipient, a signed link's invitee)."""
    return _standing(session, user, meeting_id)[:4]


def _standing(
    session: Session, user: User, meeting_id: int
) -> tuple[Meeting, Body, bodies.BodyAccess | None, Invitation | None, datetime | None]:
    """``meeting_standing`` and when the body's previous meeting began, the meeting and the
    person's invitation in one query."""
    earlier = aliased(Meeting)
    previous = (
        select(earlier.starts_at)
        .where(
            earlier.body_id == col(Meeting.body_id),
            earlier.starts_at < col(Meeting.starts_at),
            earlier.status != MeetingStatus.cancelled,
        )
        .order_by(col(earlier.starts_at).desc())
        .limit(1)
        .correlate(Meeting)
        .scalar_subquery()
    )
    row = session.exec(
        select(Meeting, Invitation, previous)
        .outerjoin(
            Invitation,
            and_(col(Invitation.meeting_id) == col(Meeting.id), col(Invitation.user_id) == user.id),
        )
        .where(Meeting.id == meeting_id)
    ).first()
    if row is None:
        raise NotFound()
    meeting, invitation, previous_start = row
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
    return meeting, body, body_access, invitation, previous_start


def get_meeting_access(session: Session, viewer: Viewer, meeting_id: int) -> MeetingAccess:
    """404 for whoever may not see the meeting: do not confirm it exists."""
    meeting, body, body_access, invitation, previous_start = _standing(session, viewer.user, meeting_id)
    return MeetingAccess(
        meeting=meeting,
        body=body,
        viewer=viewer,
        body_access=body_access,
        invitation=invitation,
        previous_start=previous_start,
    )


def seen_in_full(session: Session, user: User, meeting_id: int) -> bool | None:
    """For what is mailed to someone else: None if they may not see the meeting, else whether
    they see it in full (a member) or its agenda only (a guest), by the same rule."""
    try:
        return meeting_standing(session, user, meeting_id)[2] is not None
    except (NotFound, Forbidden):
        return None


def get_item_access(session: Session, viewer: Viewer, item_id: int) -> tuple[MeetingAccess, AgendaItem]:
    """An agenda item and the access to its meeting; 404 as for the meeting."""
    item = session.get(AgendaItem, item_id)
    if item is None:
        raise NotFound()
    return get_meeting_access(session, viewer, item.meeting_id), item


def guest_meetings(user: User) -> SelectOfScalar[int]:
    """The meetings the person sees as a guest (docs/confidentiality.md, rule 4): invited to it, a
    guest of its body now (``bodies.guest_of``: not excluded, not removed), and its minutes not
    approved yet. The one rule of a guest's access, for a single meeting, the lists and the calendar
    feed."""
    return (
        select(Invitation.meeting_id)
        .join(Meeting, col(Meeting.id) == Invitation.meeting_id)
        .where(
            Invitation.user_id == user.id,
            bodies.guest_of(col(Invitation.user_id), col(Meeting.body_id)),
            col(Meeting.status) != MeetingStatus.minutes_approved,
        )
    )


def visible_meetings(viewer: Viewer, *, mine: bool = False) -> ColumnElement[bool]:
    """Meetings of the bodies whose content the person sees, and those they are a guest of
    (until the minutes are approved); every meeting for the staff, unless ``mine`` asks for
    those of the bodies they belong to (not as a guest; a limited coordinator's communes'
    bodies are not theirs for that)."""
    if viewer.content_ids is None and not mine:
        return true()
    seats = {body_id for body_id, role in viewer.roles.items() if role != MemberRole.guest}
    if viewer.content_ids is None:
        body_ids = seats
    else:
        body_ids = set(viewer.content_ids) & seats if mine and viewer.limited else set(viewer.content_ids)
    return or_(col(Meeting.body_id).in_(sorted(body_ids)), col(Meeting.id).in_(guest_meetings(viewer.user)))


def meeting_of(session: Session, meeting_id: int) -> Meeting | None:
    """The meeting that decided an action (its page links to it: the reader sees its body)."""
    return session.get(Meeting, meeting_id)
