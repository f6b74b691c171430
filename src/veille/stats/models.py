"""The sectors' local security diagnostics: the record (its document is drawn when read) and the
forms that create it and write its conclusions."""

from datetime import date, datetime
from typing import Annotated

from pydantic import StringConstraints, field_validator
from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from veille.orm import timestamp
from veille.situations.models import LongText
from veille.types import Day, Id, Int, unix_newlines


class Diagnostic(SQLModel, table=True):
    """The local security diagnostic of a sector over a period: generated from the reports and
    actions, with the conclusions its authors write."""

    id: int | None = Field(default=None, primary_key=True)
    sector_id: int = Field(foreign_key="sector.id", index=True)
    since: date
    until: date
    title: str = Field(max_length=200)
    conclusions: str = Field(default="", sa_type=Text)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    version: int = 1


# Schemas


class DiagnosticIn(SQLModel):
    sector_id: Id
    since: Day
    until: Day
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    conclusions: LongText = ""

    _newlines = field_validator("conclusions", mode="before")(unix_newlines)


class ConclusionsIn(SQLModel):
    conclusions: LongText = ""
    version: Int

    _newlines = field_validator("conclusions", mode="before")(unix_newlines)
