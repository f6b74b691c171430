"""Night-life venues of a COPIL and the articles of the charter they sign."""

from datetime import date, datetime
from typing import Annotated

from pydantic import StringConstraints, field_validator
from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from veille.orm import timestamp
from veille.types import Day, Int, unix_newlines

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]


class Venue(SQLModel, table=True):
    """A bar, club or restaurant followed by the body; ``signed_on`` when it signed the charter."""

    __table_args__ = (UniqueConstraint("body_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    kind: str = Field(default="", max_length=100)
    signed_on: date | None = None
    withdrawn_on: date | None = None
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = timestamp()
    version: int = 1


class CharterArticle(SQLModel, table=True):
    """One commitment of the night-life charter that the venues sign."""

    __tablename__ = "charter_article"

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    position: int
    title: str = Field(max_length=200)
    text: str = Field(default="", sa_type=Text)


class VenueDates(SQLModel):
    """The charter's dates of a venue, typed in for history (checked alone too, so that a form
    says their errors with the others at once)."""

    signed_on: Day | None = None
    withdrawn_on: Day | None = None


class VenueIn(VenueDates):
    """A venue as the forms give it; the signature dates may be typed in for history."""

    name: Title
    address: Line = ""
    kind: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    notes: LongText = ""

    _newlines = field_validator("notes", mode="before")(unix_newlines)


class VenueUpdate(VenueIn):
    """``version`` is the one read, so that no save overwrites someone else's."""

    version: Int


class SignatureIn(SQLModel):
    """The day a venue signed the charter, or withdrew from it."""

    day: Day
    version: Int


class ArticleIn(SQLModel):
    title: Title
    text: LongText = ""

    _newlines = field_validator("text", mode="before")(unix_newlines)
