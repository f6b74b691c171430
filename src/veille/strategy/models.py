"""The local strategy a plenary council adopts for a period: its axes (in order), each axis's
objectives, each objective's indicators and their yearly values, and the actions and bodies
attached to an objective (the link tables belong here: actions and bodies know nothing of the
strategy)."""

from datetime import date, datetime
from typing import Annotated

from pydantic import Field as PydanticField
from pydantic import StringConstraints, field_validator
from sqlalchemy import CheckConstraint, Float, Text
from sqlmodel import Field, SQLModel

from veille.orm import timestamp
from veille.situations.models import LongText, Title
from veille.types import Day, Id, IdList, Int, unix_newlines

FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_YEARS = 10  # a strategy spans ten years at most
MAX_VALUE = 1e12

Year = Annotated[int, PydanticField(ge=FIRST_YEAR, le=LAST_YEAR)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
Number = Annotated[float, PydanticField(ge=-MAX_VALUE, le=MAX_VALUE, allow_inf_nan=False)]


class Strategy(SQLModel, table=True):
    __table_args__ = (CheckConstraint("ends_year >= starts_year", name="period"),)

    id: int | None = Field(default=None, primary_key=True)
    # The plenary council that adopted it.
    body_id: int = Field(foreign_key="body.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    starts_year: int
    ends_year: int
    adopted_on: date | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    version: int = 1


class StrategyAxis(SQLModel, table=True):
    __tablename__ = "strategy_axis"

    id: int | None = Field(default=None, primary_key=True)
    strategy_id: int = Field(foreign_key="strategy.id", index=True, ondelete="CASCADE")
    position: int = 1
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)


class StrategyObjective(SQLModel, table=True):
    __tablename__ = "strategy_objective"

    id: int | None = Field(default=None, primary_key=True)
    axis_id: int = Field(foreign_key="strategy_axis.id", index=True, ondelete="CASCADE")
    position: int = 1
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)


class StrategyIndicator(SQLModel, table=True):
    __tablename__ = "strategy_indicator"

    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="strategy_objective.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=40)
    target: float | None = Field(default=None, sa_type=Float)


class IndicatorValue(SQLModel, table=True):
    """An indicator's value for one year."""

    __tablename__ = "strategy_indicator_value"

    indicator_id: int = Field(foreign_key="strategy_indicator.id", primary_key=True, ondelete="CASCADE")
    year: int = Field(primary_key=True)
    value: float = Field(sa_type=Float)


class ObjectiveAction(SQLModel, table=True):
    """An action that carries an objective."""

    __tablename__ = "strategy_objective_action"

    objective_id: int = Field(foreign_key="strategy_objective.id", primary_key=True, ondelete="CASCADE")
    action_id: int = Field(foreign_key="action.id", primary_key=True, index=True, ondelete="CASCADE")


class ObjectiveBody(SQLModel, table=True):
    """A body that works on an objective."""

    __tablename__ = "strategy_objective_body"

    objective_id: int = Field(foreign_key="strategy_objective.id", primary_key=True, ondelete="CASCADE")
    body_id: int = Field(foreign_key="body.id", primary_key=True, index=True, ondelete="CASCADE")


# Schemas


class StrategyCreate(SQLModel):
    body_id: Id
    title: Title
    description: LongText = ""
    starts_year: Year
    ends_year: Year
    adopted_on: Day | None = None

    _newlines = field_validator("description", mode="before")(unix_newlines)


class StrategyUpdate(SQLModel):
    title: Title
    description: LongText = ""
    starts_year: Year
    ends_year: Year
    adopted_on: Day | None = None
    version: Int | None = None

    _newlines = field_validator("description", mode="before")(unix_newlines)


class AxisInput(SQLModel):
    title: Title
    description: LongText = ""
    position: Annotated[int, PydanticField(ge=1, le=100)] | None = None

    _newlines = field_validator("description", mode="before")(unix_newlines)


class ObjectiveInput(AxisInput):
    pass


class IndicatorInput(SQLModel):
    name: Title
    unit: Unit = ""
    target: Number | None = None


class ValueInput(SQLModel):
    year: Year
    # None removes the year's value.
    value: Number | None


class LinksInput(SQLModel):
    """The actions and bodies attached to an objective (the whole set, replacing the old)."""

    action_ids: IdList = []
    body_ids: IdList = []


class IndicatorPublic(SQLModel):
    id: int
    name: str
    unit: str
    target: float | None
    values: dict[int, float]


class ObjectivePublic(SQLModel):
    id: int
    position: int
    title: str
    description: str
    indicators: list[IndicatorPublic]
    # Only the attached actions the reader may read; the counts cover them all.
    action_ids: list[int]
    body_ids: list[int]
    actions_by_status: dict[str, int]
    actions_by_kind: dict[str, int]
    effects: dict[str, int]
    overdue: int


class AxisPublic(SQLModel):
    id: int
    position: int
    title: str
    description: str
    objectives: list[ObjectivePublic]


class StrategyPublic(SQLModel):
    id: int
    body_id: int
    title: str
    description: str
    starts_year: int
    ends_year: int
    adopted_on: date | None
    version: int


class StrategyDetail(StrategyPublic):
    axes: list[AxisPublic]
