"""The tables of the activity figures (an organisation's series and their monthly counts) and
the API's shapes of a count."""

from datetime import date, datetime
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from veille.orm import timestamp
from veille.types import MONTH_PATTERN, Id

SeriesName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]


class ActivitySeries(SQLModel, table=True):
    """What an organisation counts each month (an outreach team: "contacts made", "crisis
    management"…)."""

    __tablename__ = "activity_series"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=120)
    position: int = 0
    active: bool = True
    created_at: datetime = timestamp()


class ActivityCount(SQLModel, table=True):
    """One month's count of a series; ``month`` is the first day of the month."""

    __tablename__ = "activity_count"
    __table_args__ = (
        UniqueConstraint("series_id", "month"),
        CheckConstraint("count >= 0", name="count"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="activity_series.id", index=True, ondelete="CASCADE")
    month: date = Field(index=True)
    count: int
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = timestamp()


# Schemas


class ActivityFigureIn(SQLModel):
    """docs/api.md: ``{organisation_id, series, month: "YYYY-MM", count}``."""

    organisation_id: Id
    series: SeriesName
    month: Month
    count: int = Field(ge=0, le=1_000_000)


class ActivityFigurePublic(SQLModel):
    organisation_id: int
    series: str
    month: str
    count: int


class SeriesIn(SQLModel):
    name: SeriesName
    position: int = Field(default=0, ge=0, le=1000)
    active: bool = True
