"""Meetings, their invitations and attendance, agenda items (with the minutes), round table."""

from datetime import datetime, time
from typing import Annotated, Any

from pydantic import StringConstraints, field_validator, model_validator
from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from veille.directory.models import Organisation, User
from veille.meetings.enums import AttendanceStatus, MeetingStatus, StandingItem
from veille.orm import enum_type, timestamp
from veille.types import Day, IdList, Int, Moment

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


def _unix_newlines(value: object) -> object:
    """Browsers send CRLF; texts are compared and stored with plain newlines."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class Meeting(SQLModel, table=True):
    __table_args__ = (Index("ix_meeting_body_starts", "body_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", ondelete="CASCADE")
    starts_at: datetime = timestamp(index=True)
    ends_at: datetime = timestamp()
    location: str = Field(default="", max_length=300)
    status: MeetingStatus = Field(default=MeetingStatus.planned, sa_type=enum_type(MeetingStatus, 20))
    version: int = 1
    # The calendar event: one UID for its whole life, SEQUENCE raised by each update mailed.
    uid: str = Field(max_length=100, unique=True)
    sequence: int = 0
    convened_at: datetime | None = timestamp(nullable=True)
    approved_at: datetime | None = timestamp(nullable=True)
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    round_table_reminded_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()
    created_by: int | None = Field(default=None, foreign_key="user.id")


class MeetingPublic(SQLModel):
    id: int
    body_id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    status: MeetingStatus
    version: int


class MeetingIn(SQLModel):
    """A meeting as the API and the forms give it (times with an offset, or local in the form)."""

    starts_at: Moment
    ends_at: Moment
    location: Line = ""
    version: Int | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> "MeetingIn":
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must come after starts_at")
        return self


class MeetingForm(SQLModel):
    """The page's form: a day and local times, in the city's time zone."""

    day: Day
    start: time
    end: time
    location: Line = ""
    version: Int | None = None


class SeriesForm(SQLModel):
    """Meetings generated from the body's cadence, e.g. the first Tuesday of the month at 14:00."""

    first_month: Day
    ordinal: int = Field(ge=-1, le=4)
    weekday: int = Field(ge=0, le=6)
    start: time
    end: time
    count: int = Field(ge=1, le=24)
    location: Line = ""

    @field_validator("ordinal")
    @classmethod
    def _no_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("ordinal must be 1..4 or -1 (last)")
        return value


class Invitation(SQLModel, table=True):
    """An invitee of a meeting and their attendance; a guest is invited to this meeting only."""

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True)
    status: AttendanceStatus = Field(
        default=AttendanceStatus.invited, sa_type=enum_type(AttendanceStatus, 20)
    )
    represented_by: str = Field(default="", max_length=200)
    guest: bool = False
    answered_at: datetime | None = timestamp(nullable=True)

    user: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class AttendancePublic(SQLModel):
    user_id: int
    status: AttendanceStatus
    represented_by: str | None
    guest: bool


class AttendanceIn(SQLModel):
    status: AttendanceStatus
    represented_by: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    __table_args__ = (Index("ix_agenda_item_meeting_position", "meeting_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE")
    position: int
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    presenter: str = Field(default="", max_length=200)
    standing: StandingItem | None = Field(default=None, sa_type=enum_type(StandingItem, 30))
    # The minutes of this item: notes, the decisions taken, and whether the notes stay in the body.
    notes: str = Field(default="", sa_type=Text)
    decisions: str = Field(default="", sa_type=Text)
    confidential: bool = False
    carried_over: bool = False
    carried_from_id: int | None = Field(default=None, foreign_key="agenda_item.id", ondelete="SET NULL")
    version: int = 1
    updated_at: datetime = timestamp()
    updated_by: int | None = Field(default=None, foreign_key="user.id")


class AgendaItemSituation(SQLModel, table=True):
    """A report the item will discuss."""

    __tablename__ = "agenda_item_situation"

    agenda_item_id: int = Field(foreign_key="agenda_item.id", primary_key=True, ondelete="CASCADE")
    situation_id: int = Field(foreign_key="situation.id", primary_key=True, index=True, ondelete="CASCADE")


class AgendaItemAction(SQLModel, table=True):
    """An action the item will follow up."""

    __tablename__ = "agenda_item_action"

    agenda_item_id: int = Field(foreign_key="agenda_item.id", primary_key=True, ondelete="CASCADE")
    action_id: int = Field(foreign_key="action.id", primary_key=True, index=True, ondelete="CASCADE")


class AgendaItemIn(SQLModel):
    title: Title
    description: LongText = ""
    presenter: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    # The reports and actions the item will discuss; None leaves them as they are.
    situation_ids: IdList | None = None
    action_ids: IdList | None = None

    _newlines = field_validator("description", mode="before")(_unix_newlines)

    def fields(self) -> dict[str, Any]:
        return self.model_dump(exclude={"situation_ids", "action_ids"})


class NotesIn(SQLModel):
    """The minutes of one item; ``version`` is the one read, so that no save overwrites another."""

    notes: LongText = ""
    decisions: LongText = ""
    confidential: bool = False
    version: Int

    _newlines = field_validator("notes", "decisions", mode="before")(_unix_newlines)


class AgendaItemPublic(SQLModel):
    id: int
    position: int
    title: str
    description: str
    presenter: str
    standing: StandingItem | None
    notes: str
    decisions: str
    confidential: bool
    carried_over: bool
    version: int
    situation_ids: list[int] = []
    action_ids: list[int] = []


class AgendaOrder(SQLModel):
    ids: IdList


class RoundTableEntry(SQLModel, table=True):
    """One partner organisation's update before a meeting (tour de table)."""

    __tablename__ = "round_table_entry"
    __table_args__ = (UniqueConstraint("meeting_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    seen: str = Field(default="", sa_type=Text)
    done: str = Field(default="", sa_type=Text)
    needs: str = Field(default="", sa_type=Text)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = timestamp()

    organisation: Organisation = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class RoundTableIn(SQLModel):
    seen: Annotated[str, StringConstraints(max_length=5000)] = ""
    done: Annotated[str, StringConstraints(max_length=5000)] = ""
    needs: Annotated[str, StringConstraints(max_length=5000)] = ""

    _newlines = field_validator("seen", "done", "needs", mode="before")(_unix_newlines)


class RoundTablePublic(SQLModel):
    organisation_id: int
    seen: str
    done: str
    needs: str
    updated_at: datetime


class CalendarFeed(SQLModel, table=True):
    """A person's calendar feed; the secret in its address is derived from ``generation``, so
    raising it revokes every address given before."""

    __tablename__ = "calendar_feed"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    generation: int = 1
    created_at: datetime = timestamp()
