"""Who is looking at a meeting now, and the item its projected screens show: kept in the
database, so that every process serving the meeting's streams shares them.

Each open stream is one ``meeting_presence`` row, written when it opens, touched on each
heartbeat and deleted when it closes; a row not touched for ``STALE`` (a process that died) no
longer counts. The current item of the presentation mode is a ``meeting_screen`` row."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Field, Session, SQLModel, col, delete, select, update

from veille.directory.models import User
from veille.meetings.access import MeetingAccess
from veille.meetings.models import AgendaItem
from veille.orm import UTCDateTime, utcnow

HEARTBEAT_SECONDS = 15.0
STALE = timedelta(seconds=3 * HEARTBEAT_SECONDS)


class MeetingPresence(SQLModel, table=True):
    """One open stream of a meeting's page: who is looking, until when it was last seen."""

    __tablename__ = "meeting_presence"

    id: str = Field(primary_key=True, max_length=32)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingScreen(SQLModel, table=True):
    """The agenda item the meeting's presentation screens show."""

    __tablename__ = "meeting_screen"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True, ondelete="CASCADE")
    item_id: int | None = Field(default=None, foreign_key="agenda_item.id", ondelete="SET NULL")


def arrive(session: Session, stream_id: str, meeting_id: int, user_id: int) -> None:
    session.add(MeetingPresence(id=stream_id, meeting_id=meeting_id, user_id=user_id))
    session.commit()


def still_here(session: Session, stream_id: str) -> None:
    session.exec(update(MeetingPresence).where(col(MeetingPresence.id) == stream_id).values(seen_at=utcnow()))
    session.commit()


def leave(session: Session, stream_id: str) -> None:
    row = session.get(MeetingPresence, stream_id)
    if row is not None:
        session.delete(row)
    session.exec(delete(MeetingPresence).where(col(MeetingPresence.seen_at) < utcnow() - STALE))
    session.commit()


def looking(session: Session, access: MeetingAccess) -> list[User]:
    """Who has the meeting open now, for its members (a guest is not shown the members)."""
    if not access.full:
        return []
    users = session.exec(
        select(User)
        .join(MeetingPresence, col(MeetingPresence.user_id) == User.id)
        .where(
            MeetingPresence.meeting_id == access.meeting.id, col(MeetingPresence.seen_at) >= utcnow() - STALE
        )
        .distinct()
        .order_by(User.name)
    ).all()
    return list(users)


def current_item(session: Session, access: MeetingAccess, items: list[AgendaItem]) -> AgendaItem | None:
    """The item on the projector: the one the secretary chose, else the first."""
    screen = session.get(MeetingScreen, access.meeting.id)
    chosen = next((i for i in items if screen is not None and i.id == screen.item_id), None)
    return chosen or (items[0] if items else None)


def show_item(session: Session, access: MeetingAccess, item: AgendaItem) -> None:
    """The secretary moves the projected item; every presentation screen follows."""
    access.require_editable()
    screen = session.get(MeetingScreen, access.meeting.id) or MeetingScreen(meeting_id=access.meeting.id or 0)
    screen.item_id = item.id
    session.add(screen)
    session.commit()
