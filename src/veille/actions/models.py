"""Actions decided by a body, their history, evaluation and referrals; the reviews of a
crime-treatment group; the weekly reminder log."""

from datetime import date, datetime
from typing import Annotated

from pydantic import StringConstraints, field_validator
from sqlalchemy import CheckConstraint, Index, Text, text
from sqlmodel import Field, SQLModel

from veille.actions.enums import ActionKind, ActionStatus, Effect, Event, ReviewKind
from veille.orm import enum_type, timestamp
from veille.situations.models import LongText, Text1, Title
from veille.types import Day, Id, IdList, Int, unix_newlines

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
Progress = Annotated[int, Field(ge=0, le=100)]


class Action(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        Index("ix_action_body_id_status", "body_id", "status"),
        # Lists' order (``lists.by_due_date``): soonest due first, none last. Without it the
        # action table sorted every action for its first 50 (35 ms for 60,000 on PostgreSQL).
        Index("ix_action_due_order", text("(due_on IS NULL)"), "due_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    kind: ActionKind = Field(sa_type=enum_type(ActionKind, 20))
    # The lead may be an organisation without any account (a shopkeepers' association, a
    # school): the body's secretaries then update the action for it.
    lead_organisation_id: int = Field(foreign_key="organisation.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    due_on: date | None = Field(default=None, index=True)
    status: ActionStatus = Field(default=ActionStatus.proposed, sa_type=enum_type(ActionStatus, 20))
    progress: int = 0
    problem_id: int | None = Field(default=None, foreign_key="problem.id", index=True, ondelete="SET NULL")
    # The meeting that decided it, and the agenda item where the decision is recorded.
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True, ondelete="SET NULL")
    agenda_item_id: int | None = Field(
        default=None, foreign_key="agenda_item.id", index=True, ondelete="SET NULL"
    )
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp(index=True)
    updated_at: datetime = timestamp(index=True)
    done_at: datetime | None = timestamp(nullable=True)
    # The evaluation, once the action is done.
    evaluation: str = Field(default="", sa_type=Text)
    effect: Effect | None = Field(default=None, sa_type=enum_type(Effect, 20))
    indicator: str = Field(default="", max_length=300)
    evaluated_at: datetime | None = timestamp(nullable=True)
    evaluated_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = 1


class ActionPartner(SQLModel, table=True):
    __tablename__ = "action_partner"

    action_id: int = Field(foreign_key="action.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)


class ActionSituation(SQLModel, table=True):
    """A report the action answers."""

    __tablename__ = "action_situation"

    action_id: int = Field(foreign_key="action.id", primary_key=True, ondelete="CASCADE")
    situation_id: int = Field(foreign_key="situation.id", primary_key=True, index=True, ondelete="CASCADE")


class ActionEntry(SQLModel, table=True):
    """A dated line of the action's history: an update with its progress, or a change of status,
    a referral, an evaluation (what the next meeting's follow-up shows)."""

    __tablename__ = "action_update"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True, ondelete="CASCADE")
    event: Event = Field(default=Event.note, sa_type=enum_type(Event, 20))
    text: str = Field(default="", sa_type=Text)
    progress: int | None = None
    status: ActionStatus | None = Field(default=None, sa_type=enum_type(ActionStatus, 20))
    # For a referral: the body it came from and the one it went to.
    from_body_id: int | None = Field(default=None, foreign_key="body.id", index=True, ondelete="SET NULL")
    to_body_id: int | None = Field(default=None, foreign_key="body.id", ondelete="SET NULL")
    author_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp(index=True)


class GroupReview(SQLModel, table=True):
    """The chair's mid-term review, final conclusions or renewal of a crime-treatment group."""

    __tablename__ = "group_review"

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    kind: ReviewKind = Field(sa_type=enum_type(ReviewKind, 20))
    text: str = Field(default="", sa_type=Text)
    previous_ends_on: date | None = None
    ends_on: date | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp()


class ActionReminder(SQLModel, table=True):
    """When each owner last got the weekly mail of their overdue and due-soon actions."""

    __tablename__ = "action_reminder"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    sent_on: date


# Schemas


class ActionBase(SQLModel):
    title: Title
    description: LongText = ""
    kind: ActionKind
    lead_organisation_id: Id
    owner_id: Id | None = None
    partner_organisation_ids: IdList = []
    due_on: Day | None = None
    progress: Progress = 0
    situation_ids: IdList = []
    problem_id: Id | None = None

    _newlines = field_validator("description", mode="before")(unix_newlines)


class ActionCreate(ActionBase):
    body_id: Id
    status: ActionStatus = ActionStatus.proposed
    meeting_id: Id | None = None
    agenda_item_id: Id | None = None


class ActionUpdate(ActionBase):
    status: ActionStatus
    version: Int
    # A done or abandoned action goes back to work only when asked explicitly.
    reopen: bool = False


class EvaluationPublic(SQLModel):
    summary: str
    effect: Effect
    indicator: str
    evaluated_at: datetime | None
    evaluated_by: int | None


class ActionPublic(SQLModel):
    id: int
    body_id: int
    title: str
    description: str
    kind: ActionKind
    lead_organisation_id: int
    owner_id: int | None
    partner_organisation_ids: list[int]
    due_on: date | None
    status: ActionStatus
    progress: int
    situation_ids: list[int]
    problem_id: int | None
    meeting_id: int | None
    agenda_item_id: int | None
    evaluation: EvaluationPublic | None
    created_at: datetime
    version: int


class ActionEntryIn(SQLModel):
    text: Text1
    progress: Progress | None = None

    _newlines = field_validator("text", mode="before")(unix_newlines)


class ActionEntryPublic(SQLModel):
    id: int
    event: Event
    text: str
    progress: int | None
    status: ActionStatus | None
    from_body_id: int | None
    to_body_id: int | None
    author_id: int | None
    created_at: datetime


class EvaluationIn(SQLModel):
    summary: Text1
    effect: Effect
    indicator: Line = ""

    _newlines = field_validator("summary", mode="before")(unix_newlines)


class ReferIn(SQLModel):
    body_id: Id
    # A new due date, when the receiving group ends before the current one.
    due_on: Day | None = None


class ReviewIn(SQLModel):
    text: Text1

    _newlines = field_validator("text", mode="before")(unix_newlines)


class RenewIn(SQLModel):
    ends_on: Day
    text: LongText = ""

    _newlines = field_validator("text", mode="before")(unix_newlines)
