"""Calendar files (RFC 5545): one event per meeting, the same UID for its whole life."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress, vText

from veille.meetings.enums import MeetingStatus
from veille.meetings.models import Meeting
from veille.orm import utcnow
from veille.signing import same_secret
from veille.types import parse_id, parse_int

PRODID = "-//Veille//Veille//FR"


@dataclass(frozen=True)
class CalendarEvent:
    meeting: Meeting
    summary: str
    description: str
    url: str


# A meeting planned but not convened yet may move: calendars show it as tentative.
_STATUSES = {MeetingStatus.planned: "TENTATIVE", MeetingStatus.cancelled: "CANCELLED"}


def _event(item: CalendarEvent, organizer: str, attendee: tuple[str, str] | None, stamp: datetime) -> Event:
    meeting = item.meeting
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("summary", item.summary)
    if meeting.location:
        event.add("location", meeting.location)
    event.add("description", item.description)
    event.add("url", item.url)
    event.add("status", _STATUSES.get(meeting.status, "CONFIRMED"))
    event.add("organizer", vCalAddress(f"mailto:{organizer}"))
    if attendee is not None:
        email, name = attendee
        address = vCalAddress(f"mailto:{email}")
        address.params["cn"] = vText(name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["rsvp"] = vText("FALSE")
        event.add("attendee", address, encode=False)
    return event


def calendar_file(
    items: Iterable[CalendarEvent],
    *,
    organizer: str,
    method: str | None = None,
    attendee: tuple[str, str] | None = None,
    name: str | None = None,
) -> bytes:
    """``method`` REQUEST or CANCEL for a mailed invitation, none for a download or a feed."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    stamp = utcnow()
    for item in items:
        calendar.add_component(_event(item, organizer, attendee, stamp))
    data: bytes = calendar.to_ical()
    return data


def feed_token(key: bytes, user_id: int, generation: int) -> str:
    """The secret of a person's feed address; raising ``generation`` revokes the older ones."""
    digest = hmac.new(key, f"calendar-feed:{user_id}:{generation}".encode(), hashlib.sha256).hexdigest()
    return f"{user_id}-{generation}-{digest[:40]}"


def parse_feed_token(key: bytes, token: str) -> tuple[int, int] | None:
    parts = token.split("-")
    if len(parts) != 3:
        return None
    try:
        user_id, generation = parse_id(parts[0]), parse_int(parts[1], minimum=0)
    except ValueError:
        return None
    if not same_secret(token, feed_token(key, user_id, generation)):
        return None
    return user_id, generation


def answer_signature(key: bytes, meeting: Meeting, user_id: int) -> str:
    """Signs one person's answer links for one meeting: valid for nobody and nothing else."""
    message = f"meeting-answer:{meeting.id}:{meeting.uid}:{user_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def valid_answer_signature(key: bytes, meeting: Meeting, user_id: int, signature: str) -> bool:
    return same_secret(signature, answer_signature(key, meeting, user_id))
