"""What the strategy page, its PDF, the API and the annual report show: per axis and objective,
the attached actions counted by kind, status and evaluated effect, the overdue ones, the
indicators' values over the years, and the bodies at work on it.

Counts cover every attached action, whoever reads (the aggregate-only ``Viewer.every_body``:
the plenary sees counts over every body, never a text); titles are only those of the actions
the reader may read (``actions.lists.visible``). No report's text is read. A fixed number of
queries, whatever the size of the strategy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from veille.actions.counts import at_work_during
from veille.actions.enums import OPEN_STATUSES, ActionKind, ActionStatus, Effect
from veille.actions.lists import visible
from veille.actions.models import Action
from veille.actions.rules import overdue
from veille.bodies.models import Body
from veille.strategy.models import (
    IndicatorValue,
    ObjectiveAction,
    ObjectiveBody,
    Strategy,
    StrategyAxis,
    StrategyIndicator,
    StrategyObjective,
)
from veille.strategy.service import StrategyAccess, axes_of, objectives_of


@dataclass(frozen=True)
class ActionLine:
    """An attached action the reader may read: its title, never its description."""

    id: int
    title: str
    kind: ActionKind
    status: ActionStatus
    due_on: date | None
    overdue: bool


@dataclass
class IndicatorView:
    indicator: StrategyIndicator
    values: dict[int, float] = field(default_factory=dict)

    @property
    def latest(self) -> tuple[int, float] | None:
        return max(self.values.items()) if self.values else None


@dataclass
class ObjectiveView:
    objective: StrategyObjective
    indicators: list[IndicatorView] = field(default_factory=list)
    bodies: list[tuple[int, str]] = field(default_factory=list)
    cells: Counter[tuple[ActionKind, ActionStatus]] = field(default_factory=Counter)
    effects: Counter[Effect] = field(default_factory=Counter)
    overdue: int = 0
    actions: list[ActionLine] = field(default_factory=list)  # those the reader may read

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def by_status(self) -> dict[ActionStatus, int]:
        return {s: n for s in ActionStatus if (n := sum(v for (_, st), v in self.cells.items() if st == s))}

    @property
    def by_kind(self) -> dict[ActionKind, int]:
        return {k: n for k in ActionKind if (n := sum(v for (kd, _), v in self.cells.items() if kd == k))}

    @property
    def evaluated(self) -> int:
        return sum(self.effects.values())

    @property
    def open(self) -> int:
        return sum(v for (_, st), v in self.cells.items() if st in OPEN_STATUSES)

    @property
    def late(self) -> list[ActionLine]:
        return [a for a in self.actions if a.overdue]

    @property
    def hidden_late(self) -> int:
        """Overdue actions the reader counts but may not read."""
        return self.overdue - len(self.late)


@dataclass
class AxisView:
    axis: StrategyAxis
    objectives: list[ObjectiveView]

    @property
    def total(self) -> int:
        return sum(o.total for o in self.objectives)

    @property
    def overdue(self) -> int:
        return sum(o.overdue for o in self.objectives)

    @property
    def done(self) -> int:
        return sum(o.by_status.get(ActionStatus.done, 0) for o in self.objectives)

    @property
    def evaluated(self) -> int:
        return sum(o.evaluated for o in self.objectives)


@dataclass
class StrategyView:
    access: StrategyAccess
    axes: list[AxisView]
    today: date

    @property
    def strategy(self) -> Strategy:
        return self.access.strategy

    @property
    def years(self) -> list[int]:
        return self.access.years

    @property
    def objectives(self) -> list[ObjectiveView]:
        return [o for a in self.axes for o in a.objectives]

    @property
    def overdue(self) -> int:
        return sum(a.overdue for a in self.axes)


def view(session: Session, access: StrategyAccess, today: date) -> StrategyView:
    """The whole strategy as its reader sees it, in seven queries."""
    axes = axes_of(session, access.id)
    objectives = objectives_of(session, [a.id or 0 for a in axes])
    views = {o.id or 0: ObjectiveView(o) for o in objectives}
    ids = sorted(views)
    if ids:
        _indicators(session, views, ids)
        # Every attached action counted, whoever reads: the aggregate-only reading.
        _counts(session, views, ids, today, visible(access.viewer.every_body()))
        _readable(session, access, views, ids, today)
        _bodies(session, views, ids)
    return StrategyView(access=access, axes=_by_axis(axes, objectives, views), today=today)


def _by_axis(
    axes: list[StrategyAxis], objectives: list[StrategyObjective], views: dict[int, ObjectiveView]
) -> list[AxisView]:
    by_axis: dict[int, list[ObjectiveView]] = {}
    for o in objectives:
        by_axis.setdefault(o.axis_id, []).append(views[o.id or 0])
    return [AxisView(a, by_axis.get(a.id or 0, [])) for a in axes]


def year_by_axis(
    session: Session, strategy_id: int, start: datetime, end: datetime, today: date
) -> list[AxisView]:
    """The strategy as the plenary's annual report shows it, aggregates only: per axis and
    objective, the attached actions at work during [start, end) counted, their evaluations, the
    overdue ones, the indicators and the bodies at work; no action's title."""
    axes = axes_of(session, strategy_id)
    objectives = objectives_of(session, [a.id or 0 for a in axes])
    views = {o.id or 0: ObjectiveView(o) for o in objectives}
    ids = sorted(views)
    if ids:
        _indicators(session, views, ids)
        _counts(session, views, ids, today, at_work_during(start, end))
        _bodies(session, views, ids)
    return _by_axis(axes, objectives, views)


def _indicators(session: Session, views: dict[int, ObjectiveView], ids: list[int]) -> None:
    for objective_id, indicators in indicators_of(session, ids).items():
        views[objective_id].indicators = indicators


def indicators_of(session: Session, objective_ids: list[int]) -> dict[int, list[IndicatorView]]:
    """Each objective's indicators with their values by year (two queries)."""
    result: dict[int, list[IndicatorView]] = {}
    found = session.exec(
        select(StrategyIndicator)
        .where(col(StrategyIndicator.objective_id).in_(objective_ids))
        .order_by(col(StrategyIndicator.id))
    ).all()
    indicators = {i.id or 0: IndicatorView(i) for i in found}
    for i in found:
        result.setdefault(i.objective_id, []).append(indicators[i.id or 0])
    if indicators:
        values = session.exec(
            select(IndicatorValue).where(col(IndicatorValue.indicator_id).in_(sorted(indicators)))
        ).all()
        for v in values:
            indicators[v.indicator_id].values[v.year] = v.value
    return result


def _counts(
    session: Session, views: dict[int, ObjectiveView], ids: list[int], today: date, where: ColumnElement[bool]
) -> None:
    """The attached actions that ``where`` keeps counted, over every body: never a text."""
    late = case((overdue(today), 1), else_=0)
    rows = session.execute(
        sa_select(
            col(ObjectiveAction.objective_id),
            col(Action.kind),
            col(Action.status),
            col(Action.effect),
            func.count(),
            func.sum(late),
        )
        .join(Action, col(Action.id) == ObjectiveAction.action_id)
        .where(col(ObjectiveAction.objective_id).in_(ids), where)
        .group_by(col(ObjectiveAction.objective_id), col(Action.kind), col(Action.status), col(Action.effect))
    ).all()
    for objective_id, kind, status, effect, n, n_late in rows:
        v = views[objective_id]
        v.cells[(ActionKind(kind), ActionStatus(status))] += n
        if effect is not None and status == ActionStatus.done:
            v.effects[Effect(effect)] += n
        v.overdue += int(n_late or 0)


def _readable(
    session: Session, access: StrategyAccess, views: dict[int, ObjectiveView], ids: list[int], today: date
) -> None:
    rows = session.execute(
        sa_select(
            col(ObjectiveAction.objective_id),
            col(Action.id),
            col(Action.title),
            col(Action.kind),
            col(Action.status),
            col(Action.due_on),
        )
        .join(Action, col(Action.id) == ObjectiveAction.action_id)
        .where(col(ObjectiveAction.objective_id).in_(ids), visible(access.viewer))
        .order_by(col(Action.due_on).is_(None), col(Action.due_on), col(Action.id))
    ).all()
    for objective_id, action_id, title, kind, status, due_on in rows:
        late = status in OPEN_STATUSES and due_on is not None and due_on < today
        views[objective_id].actions.append(
            ActionLine(action_id, title, ActionKind(kind), ActionStatus(status), due_on, late)
        )


def _bodies(session: Session, views: dict[int, ObjectiveView], ids: list[int]) -> None:
    rows = session.exec(
        select(ObjectiveBody.objective_id, Body.id, Body.name)
        .join(Body, col(Body.id) == ObjectiveBody.body_id)
        .where(col(ObjectiveBody.objective_id).in_(ids))
        .order_by(Body.name)
    ).all()
    for objective_id, body_id, name in rows:
        views[objective_id].bodies.append((body_id or 0, name))


def covering(session: Session, body_id: int, year: int) -> Strategy | None:
    """The plenary's strategy whose period covers the year (the latest adopted, if several)."""
    stmt = (
        select(Strategy)
        .where(Strategy.body_id == body_id, Strategy.starts_year <= year, Strategy.ends_year >= year)
        .order_by(col(Strategy.starts_year).desc(), col(Strategy.id).desc())
    )
    return session.exec(stmt).first()
