"""Meetings in calendar applications: one meeting's file, and each person's feed at a secret
address they can revoke (its content: the meetings of their own bodies)."""

from __future__ import annotations

from collections.abc import Sequence

from dateutil.relativedelta import relativedelta
from sqlalchemy import update
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.config import Settings
from veille.directory.models import User
from veille.errors import NotFound
from veille.meetings import calendar, mails
from veille.meetings.access import MeetingAccess, visible_meetings
from veille.meetings.models import CalendarFeed, Meeting
from veille.orm import utcnow


def calendar_events(
    session: Session, meetings: Sequence[Meeting], settings: Settings
) -> list[calendar.CalendarEvent]:
    names = bodies.names(session, {m.body_id for m in meetings})
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


def feed_owner(session: Session, *, token: str, settings: Settings) -> User:
    """The person a feed's address stands for; 404 for a revoked or wrong address."""
    parsed = calendar.parse_feed_token(settings.signing_key, token)
    if parsed is None:
        raise NotFound()
    user_id, generation = parsed
    current = session.get(CalendarFeed, user_id)
    user = session.get(User, user_id)
    if current is None or current.generation != generation or user is None or not user.active:
        raise NotFound()
    return user


def feed_calendar(session: Session, *, viewer: Viewer, settings: Settings) -> bytes:
    """The meetings of the person's bodies (and those they are a guest of), for a calendar
    application (:func:`feed_owner` tells whose feed an address is)."""
    since = utcnow() - FEED_PAST
    meetings = session.exec(
        select(Meeting)
        .where(visible_meetings(viewer, mine=True), Meeting.starts_at >= since)
        .order_by(col(Meeting.starts_at))
        .limit(500)
    ).all()
    return calendar.calendar_file(
        calendar_events(session, meetings, settings), organizer=settings.mail_from, name="Veille"
    )
