"""Situation reports, their updates and attachments, problem files, categories, notification
choices of the members."""

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints, field_validator, model_validator
from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from veille.geo import Latitude, Longitude, both_or_neither
from veille.orm import enum_type, timestamp
from veille.situations.enums import Confidentiality, NotificationMode, ProblemStatus, SituationStatus
from veille.types import Id, IdList, Int, Moment, unix_newlines

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Text1 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
CategoryCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
]


class Category(SQLModel, table=True):
    """A kind of situation; the coordinator keeps the list (seeded with the usual French ones)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200, unique=True)
    position: int = 0
    active: bool = True


class CategoryIn(SQLModel):
    code: CategoryCode
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    position: int = Field(default=0, ge=0, le=10_000)
    active: bool = True


class CategoryPublic(SQLModel):
    id: int
    code: str
    name: str
    active: bool


# A point is a latitude and a longitude in range, or neither; never on a social report
# (docs/confidentiality.md, "Maps"; migration 0015).
POINT_CHECK = (
    "(latitude IS NULL AND longitude IS NULL) OR "
    "(confidentiality <> 'social' AND latitude IS NOT NULL AND longitude IS NOT NULL"
    " AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)"
)


class Situation(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("severity BETWEEN 1 AND 4", name="severity"),
        CheckConstraint(POINT_CHECK, name="point"),
        Index("ix_situation_body_id_id", "body_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    category_id: int = Field(foreign_key="category.id", index=True)
    sector_id: int | None = Field(default=None, foreign_key="sector.id", index=True)
    venue_id: int | None = Field(default=None, foreign_key="venue.id", index=True, ondelete="SET NULL")
    problem_id: int | None = Field(default=None, foreign_key="problem.id", index=True, ondelete="SET NULL")
    place: str = Field(default="", max_length=300)
    # A point on the map (docs/confidentiality.md: never on a social report).
    latitude: float | None = None
    longitude: float | None = None
    occurred_at: datetime = timestamp(index=True)
    severity: int = 2
    status: SituationStatus = Field(default=SituationStatus.open, sa_type=enum_type(SituationStatus, 20))
    confidentiality: Confidentiality = Field(
        default=Confidentiality.body, sa_type=enum_type(Confidentiality, 20)
    )
    names_person: bool = False
    created_by: int | None = Field(default=None, foreign_key="user.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: datetime = timestamp(index=True)
    updated_at: datetime = timestamp(index=True)
    resolved_at: datetime | None = timestamp(nullable=True, index=True)
    # Set by `veille purge`: the text, the place and the attachments are gone, counts remain.
    anonymised_at: datetime | None = timestamp(nullable=True)
    version: int = 1


class SituationShare(SQLModel, table=True):
    """An organisation named on a `restricted` or `social` report (docs/confidentiality.md, rule 3)."""

    __tablename__ = "situation_share"

    situation_id: int = Field(foreign_key="situation.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)


class SituationReferral(SQLModel, table=True):
    """A report handed to another body, with an action (a watch cell refers it to the
    crime-treatment group) or on its own with a reason: that body's members read it as those of
    the report's own body do. ``reason`` is None for a hand-over with an action; the rows made
    before migration 0014 have no referrer nor date."""

    __tablename__ = "situation_referral"

    situation_id: int = Field(foreign_key="situation.id", primary_key=True, ondelete="CASCADE")
    body_id: int = Field(foreign_key="body.id", primary_key=True, index=True, ondelete="CASCADE")
    reason: str | None = Field(default=None, sa_type=Text)
    referred_by: int | None = Field(default=None, foreign_key="user.id")
    referred_at: datetime | None = timestamp(nullable=True)


class ReferralIn(SQLModel):
    """A report referred on its own to another body."""

    body_id: Id
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

    _newlines = field_validator("reason", mode="before")(unix_newlines)


class ReferralPublic(SQLModel):
    body_id: int
    body_name: str
    reason: str | None
    referred_by: int | None
    referred_at: datetime | None


class SituationBase(SQLModel):
    body_id: Id
    title: Title
    description: LongText = ""
    category: CategoryCode
    sector_id: Id | None = None
    venue_id: Id | None = None
    place: Line = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    occurred_at: Moment
    severity: int = Field(default=2, ge=1, le=4)
    confidentiality: Confidentiality = Confidentiality.body
    shared_with_organisation_ids: IdList = []
    names_person: bool = False

    _newlines = field_validator("description", mode="before")(unix_newlines)
    _point = model_validator(mode="after")(both_or_neither)


class SituationCreate(SituationBase):
    pass


class SituationUpdate(SituationBase):
    status: SituationStatus
    version: Int


class SituationPublic(SQLModel):
    id: int
    body_id: int
    title: str
    description: str
    category: str
    sector_id: int | None
    venue_id: int | None
    problem_id: int | None
    place: str
    latitude: float | None
    longitude: float | None
    occurred_at: datetime
    severity: int
    status: SituationStatus
    confidentiality: Confidentiality
    shared_with_organisation_ids: list[int]
    names_person: bool
    created_by: int | None
    created_at: datetime
    version: int


class SituationStub(SQLModel):
    """What a `social` report shows outside its organisations: that a coordination is needed."""

    id: int
    body_id: int
    sector_id: int | None
    confidentiality: Confidentiality
    created_at: datetime
    coordination_needed: bool = True


class SituationUpdateRecord(SQLModel, table=True):
    """A dated update on a report's timeline."""

    __tablename__ = "situation_update"

    id: int | None = Field(default=None, primary_key=True)
    situation_id: int = Field(foreign_key="situation.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_type=Text)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp()


class SituationUpdateIn(SQLModel):
    text: Text1

    _newlines = field_validator("text", mode="before")(unix_newlines)


class SituationUpdatePublic(SQLModel):
    id: int
    text: str
    author_id: int | None
    created_at: datetime


class Attachment(SQLModel, table=True):
    """A photo or PDF of a report; the bytes live in the data directory, named by ``key``."""

    id: int | None = Field(default=None, primary_key=True)
    situation_id: int = Field(foreign_key="situation.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp()


class Problem(SQLModel, table=True):
    """A problem file: reports that share a cause, its analysis; actions answer it."""

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    analysis: str = Field(default="", sa_type=Text)
    status: ProblemStatus = Field(default=ProblemStatus.scanning, sa_type=enum_type(ProblemStatus, 20))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    version: int = 1


class ProblemCreate(SQLModel):
    body_id: Id
    title: Title
    analysis: LongText = ""
    status: ProblemStatus = ProblemStatus.scanning
    situation_ids: IdList = []

    _newlines = field_validator("analysis", mode="before")(unix_newlines)


class ProblemUpdate(SQLModel):
    title: Title
    analysis: LongText = ""
    status: ProblemStatus
    situation_ids: IdList = []
    version: Int

    _newlines = field_validator("analysis", mode="before")(unix_newlines)


class ProblemPublic(SQLModel):
    id: int
    body_id: int
    title: str
    analysis: str
    situation_ids: list[int]
    status: ProblemStatus
    created_at: datetime
    version: int


class NotificationChoice(SQLModel, table=True):
    """A member's choice for a body's new reports; no row means the daily digest."""

    __tablename__ = "notification_choice"
    __table_args__ = (UniqueConstraint("body_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    mode: NotificationMode = Field(default=NotificationMode.digest, sa_type=enum_type(NotificationMode, 10))
    # The digest covers the reports created after this moment.
    digest_until: datetime | None = timestamp(nullable=True)
