"""Bodies (instances), their members and their charter."""

from datetime import date, datetime, time
from typing import Annotated, Self

from pydantic import Field as PydanticField
from pydantic import StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from veille.bodies.enums import BodyKind, BodyStatus, Cadence, MemberRole
from veille.directory.models import Name, Sector, User
from veille.orm import enum_type, timestamp
from veille.types import Day, IdList, Int

CharterText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000)]


class BodySector(SQLModel, table=True):
    __tablename__ = "body_sector"

    body_id: int = Field(foreign_key="body.id", primary_key=True, ondelete="CASCADE")
    sector_id: int = Field(foreign_key="sector.id", primary_key=True, index=True)


class BodyBase(SQLModel):
    kind: BodyKind = Field(sa_type=enum_type(BodyKind))
    name: Name = Field(max_length=200)
    description: str = Field(default="", max_length=5000, sa_type=Text)
    starts_on: date | None = None
    ends_on: date | None = None
    cadence: Cadence | None = Field(default=None, sa_type=enum_type(Cadence, 20))
    charter_required: bool = False
    # A thematic working group's theme (domestic violence, school harassment…); None elsewhere.
    theme: str | None = Field(default=None, max_length=200)
    # The meeting rule: "the first Tuesday (ordinal 1, weekday 1) of the month at 14:00 for two
    # hours, Mairie annexe Nord"; ordinal -1 is the last such weekday. Unset: no rule.
    rule_ordinal: int | None = Field(default=None, ge=-1, le=4)
    rule_weekday: int | None = Field(default=None, ge=0, le=6)
    rule_start: time | None = None
    rule_minutes: int | None = Field(default=None, ge=15, le=720)
    rule_location: str = Field(default="", max_length=300)


RULE_FIELDS = ("rule_ordinal", "rule_weekday", "rule_start", "rule_minutes")


class Body(BodyBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: BodyStatus = Field(default=BodyStatus.active, sa_type=enum_type(BodyStatus, 20))
    version: int = 1
    created_at: datetime = timestamp()

    sectors: list[Sector] = Relationship(
        link_model=BodySector, sa_relationship_kwargs={"lazy": "raise", "order_by": "Sector.name"}
    )


class BodyCreate(BodyBase):
    starts_on: Day | None = None
    ends_on: Day | None = None
    sector_ids: IdList = []
    theme: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    rule_minutes: Annotated[int | None, PydanticField(ge=15, le=720, validate_default=True)] = None
    rule_location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""

    @field_validator("rule_ordinal")
    @classmethod
    def _no_zero(cls, value: int | None) -> int | None:
        if value == 0:
            raise ValueError("the ordinal is 1 to 4, or -1 for the last")
        return value

    @field_validator("rule_minutes")
    @classmethod
    def _whole_rule(cls, value: int | None, info: ValidationInfo) -> int | None:
        """A meeting rule is its week, day, start and duration together, or nothing (checked on
        the last of them, the duration)."""
        given = [info.data.get(f) is not None for f in RULE_FIELDS[:-1]] + [value is not None]
        if any(given) and not all(given):
            raise PydanticCustomError(
                "rule_incomplete", "a meeting rule needs its week, weekday, start and duration, or none"
            )
        return value

    @model_validator(mode="after")
    def _monthly(self) -> Self:
        """A body with a meeting rule meets monthly."""
        if self.rule_ordinal is not None:
            self.cadence = Cadence.monthly
        return self


class BodyUpdate(BodyCreate):
    version: Int | None = None


class BodyPublic(SQLModel):
    id: int
    kind: BodyKind
    name: str
    description: str
    sector_ids: list[int]
    starts_on: date | None
    ends_on: date | None
    cadence: Cadence | None
    theme: str | None
    rule_ordinal: int | None
    rule_weekday: int | None
    rule_start: time | None
    rule_minutes: int | None
    rule_location: str
    status: BodyStatus
    charter_required: bool
    version: int


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("body_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True)
    role: MemberRole = Field(sa_type=enum_type(MemberRole, 20))
    created_at: datetime = timestamp()
    # A member excluded by the chair for a breach of the charter keeps this row, so that the
    # exclusion stays on record and the person loses access at once.
    excluded_at: datetime | None = timestamp(nullable=True)
    excluded_reason: str | None = Field(default=None, max_length=2000)

    user: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class MemberPublic(SQLModel):
    user_id: int
    role: MemberRole


class MemberSet(SQLModel):
    role: MemberRole


class Charter(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("body_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    version: int
    text: str = Field(sa_type=Text)
    created_at: datetime = timestamp()
    created_by: int | None = Field(default=None, foreign_key="user.id")


class CharterIn(SQLModel):
    text: CharterText
    version: Int | None = None

    @field_validator("text", mode="before")
    @classmethod
    def _unix_newlines(cls, value: object) -> object:
        """Browsers send CRLF; paragraphs are split on blank lines, and equal texts compare equal."""
        return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class CharterPublic(SQLModel):
    text: str
    version: int


class CharterAcceptance(SQLModel, table=True):
    __tablename__ = "charter_acceptance"
    __table_args__ = (UniqueConstraint("body_id", "user_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True)
    version: int
    accepted_at: datetime = timestamp()
