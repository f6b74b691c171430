"""The rules of the local strategy: who reads and edits it, and every change to it (the strategy,
its axes, objectives, indicators and their yearly values, the actions and bodies attached to an
objective). Each change checks the permission, writes the audit record and commits.

A strategy belongs to a plenary council. Its members (charter accepted, not guests) read it,
the staff too; its chair and secretaries, and the staff who oversee the plenary, edit it (a
coordinator limited to some communes oversees only a plenary within them: elsewhere they are a
member like any other); anyone else gets 404, a member who may not edit 403, and a closed
plenary's strategy is read-only (409)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, delete, select

from veille.access import Viewer
from veille.actions.lists import visible
from veille.actions.models import Action
from veille.audit import service as audit
from veille.audit.kinds import Entity, Verb
from veille.bodies.enums import BodyKind, BodyStatus
from veille.bodies.models import Body
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.orm import utcnow
from veille.strategy.models import (
    MAX_YEARS,
    AxisInput,
    IndicatorInput,
    IndicatorValue,
    LinksInput,
    ObjectiveAction,
    ObjectiveBody,
    ObjectiveInput,
    Strategy,
    StrategyAxis,
    StrategyCreate,
    StrategyIndicator,
    StrategyObjective,
    StrategyUpdate,
    ValueInput,
)
from veille.versions import bump, lock_version

CLOSED = N_("The plenary council is closed: its strategy can no longer be changed.")
STALE = N_("The strategy was changed by someone else: reload the page and try again.")
CHOOSE_PLENARY = N_("Choose a plenary council you chair or keep the minutes of.")
PERIOD_REVERSED = N_("The last year comes before the first.")
PERIOD_TOO_LONG = N_("A strategy spans ten years at most.")
YEAR_OUTSIDE = N_("Choose a year of the strategy's period.")
CHOOSE_ACTIONS = N_("Choose actions you may read.")
CHOOSE_BODIES = N_("Choose existing bodies.")
MAX_ATTACHABLE = 500  # the actions an objective's form offers: the newest the editor reads


@dataclass(frozen=True)
class StrategyAccess:
    """What one person may do with one strategy; built only for someone who may read it."""

    strategy: Strategy
    body: Body
    viewer: Viewer

    @property
    def id(self) -> int:
        return self.strategy.id or 0

    @property
    def can_edit(self) -> bool:
        return self.viewer.manages(self.strategy.body_id)

    @property
    def years(self) -> list[int]:
        return list(range(self.strategy.starts_year, self.strategy.ends_year + 1))

    def require_edit(self) -> None:
        if not self.can_edit:
            raise Forbidden()
        if self.body.status == BodyStatus.closed:
            raise Conflict(CLOSED)


def readable(viewer: Viewer, body_id: int) -> bool:
    """The plenary's members whose content is open to them, and the staff."""
    return viewer.sees_body(body_id)


def get_access(session: Session, viewer: Viewer, strategy_id: int) -> StrategyAccess:
    """404 for whoever may not read the strategy: its existence is not confirmed."""
    row = session.exec(
        select(Strategy, Body).join(Body, col(Body.id) == Strategy.body_id).where(Strategy.id == strategy_id)
    ).first()
    if row is None or not readable(viewer, row[0].body_id):
        raise NotFound()
    return StrategyAccess(strategy=row[0], body=row[1], viewer=viewer)


def list_strategies(session: Session, viewer: Viewer) -> list[tuple[Strategy, Body]]:
    """The strategies the person reads, the newest period first."""
    stmt = select(Strategy, Body).join(Body, col(Body.id) == Strategy.body_id)
    if viewer.content_ids is not None:
        stmt = stmt.where(col(Strategy.body_id).in_(sorted(viewer.content_ids)))
    stmt = stmt.order_by(col(Strategy.starts_year).desc(), col(Strategy.id).desc())
    return [(s, b) for s, b in session.exec(stmt).all()]


def plenaries(session: Session, viewer: Viewer) -> list[Body]:
    """The open plenary councils the person may adopt a strategy for: those they chair or keep
    the minutes of, and those they oversee as staff (every one for an admin or a coordinator not
    limited to some communes)."""
    stmt = select(Body).where(Body.kind == BodyKind.plenary, Body.status == BodyStatus.active)
    if not _oversees_all(viewer):
        stmt = stmt.where(col(Body.id).in_(sorted(viewer.in_charge_ids)))
    return list(session.exec(stmt.order_by(Body.name)).all())


def _oversees_all(viewer: Viewer) -> bool:
    return viewer.staff and not viewer.limited


def may_adopt(session: Session, viewer: Viewer) -> bool:
    """Whether the person may adopt a strategy at all (the form, the list's link): a plenary
    to choose, or every plenary overseen (an admin's or a coordinator's, before any exists)."""
    return _oversees_all(viewer) or bool(plenaries(session, viewer))


def _check_period(starts: int, ends: int) -> None:
    if ends < starts:
        raise InvalidInput({"ends_year": PERIOD_REVERSED})
    if ends - starts >= MAX_YEARS:
        raise InvalidInput({"ends_year": PERIOD_TOO_LONG})


def _record(
    session: Session, viewer: Viewer, verb: Verb, entity: Entity, entity_id: int | None, **detail: object
) -> None:
    audit.record(session, user_id=viewer.user.id, verb=verb, entity=entity, entity_id=entity_id, **detail)


def _touch(session: Session, access: StrategyAccess) -> None:
    """Every change to a part of the strategy is a new version of it (the page's validators)."""
    strategy = access.strategy
    strategy.updated_at = utcnow()
    bump(strategy)
    session.add(strategy)


def create_strategy(session: Session, viewer: Viewer, data: StrategyCreate) -> Strategy:
    """For a plenary council the person chairs or keeps the minutes of, or oversees as staff
    (``plenaries``); 403 for someone who has none to choose."""
    choices = {b.id for b in plenaries(session, viewer)}
    if not choices and not _oversees_all(viewer):
        raise Forbidden()
    if data.body_id not in choices:
        raise InvalidInput({"body_id": CHOOSE_PLENARY})
    _check_period(data.starts_year, data.ends_year)
    strategy = Strategy(**data.model_dump(), created_by=viewer.user.id)
    session.add(strategy)
    session.flush()
    _record(session, viewer, "create", "strategy", strategy.id, body_id=data.body_id, title=data.title)
    session.commit()
    return strategy


def update_strategy(session: Session, access: StrategyAccess, data: StrategyUpdate) -> Strategy:
    access.require_edit()
    strategy = lock_version(session, access.strategy, data.version, STALE)
    _check_period(data.starts_year, data.ends_year)
    fields = data.model_dump(exclude={"version"})
    changed = sorted(name for name, value in fields.items() if getattr(strategy, name) != value)
    strategy.sqlmodel_update(fields)
    _touch(session, access)
    _record(session, access.viewer, "update", "strategy", strategy.id, fields=changed)
    session.commit()
    return strategy


def delete_strategy(session: Session, access: StrategyAccess) -> None:
    access.require_edit()
    strategy = access.strategy
    _record(session, access.viewer, "delete", "strategy", strategy.id, title=strategy.title)
    session.delete(strategy)
    session.commit()


# Axes and objectives


def axes_of(session: Session, strategy_id: int) -> list[StrategyAxis]:
    stmt = select(StrategyAxis).where(StrategyAxis.strategy_id == strategy_id)
    return list(session.exec(stmt.order_by(col(StrategyAxis.position), col(StrategyAxis.id))).all())


def objectives_of(session: Session, axis_ids: Iterable[int]) -> list[StrategyObjective]:
    stmt = select(StrategyObjective).where(col(StrategyObjective.axis_id).in_(sorted(set(axis_ids))))
    return list(session.exec(stmt.order_by(col(StrategyObjective.position), col(StrategyObjective.id))).all())


def get_axis(session: Session, access: StrategyAccess, axis_id: int) -> StrategyAxis:
    axis = session.get(StrategyAxis, axis_id)
    if axis is None or axis.strategy_id != access.id:
        raise NotFound()
    return axis


def get_objective(session: Session, access: StrategyAccess, objective_id: int) -> StrategyObjective:
    row = session.exec(
        select(StrategyObjective, StrategyAxis)
        .join(StrategyAxis, col(StrategyAxis.id) == StrategyObjective.axis_id)
        .where(StrategyObjective.id == objective_id)
    ).first()
    if row is None or row[1].strategy_id != access.id:
        raise NotFound()
    return row[0]


def get_indicator(session: Session, access: StrategyAccess, indicator_id: int) -> StrategyIndicator:
    row = session.exec(
        select(StrategyIndicator, StrategyAxis.strategy_id)
        .join(StrategyObjective, col(StrategyObjective.id) == StrategyIndicator.objective_id)
        .join(StrategyAxis, col(StrategyAxis.id) == StrategyObjective.axis_id)
        .where(StrategyIndicator.id == indicator_id)
    ).first()
    if row is None or row[1] != access.id:
        raise NotFound()
    return row[0]


def _next_position(session: Session, column: Any, where: ColumnElement[bool]) -> int:
    found = session.exec(select(func.max(column)).where(where)).first()
    return int(found or 0) + 1


Part = TypeVar("Part", StrategyAxis, StrategyObjective, StrategyIndicator)
_ENTITIES: dict[type[StrategyAxis | StrategyObjective | StrategyIndicator], Entity] = {
    StrategyAxis: "strategy_axis",
    StrategyObjective: "strategy_objective",
    StrategyIndicator: "strategy_indicator",
}


def _save(session: Session, access: StrategyAccess, part: Part, verb: Verb, **detail: object) -> Part:
    """The one step that writes a part of the strategy (an axis, an objective, an indicator)
    created, changed or deleted: with a new version of the strategy and the audit event, in
    one commit."""
    entity = _ENTITIES[type(part)]
    if verb == "delete":
        _record(session, access.viewer, verb, entity, part.id, strategy_id=access.id, **detail)
        session.delete(part)
    else:
        session.add(part)
        session.flush()
        _record(session, access.viewer, verb, entity, part.id, strategy_id=access.id, **detail)
    _touch(session, access)
    session.commit()
    return part


def add_axis(session: Session, access: StrategyAccess, data: AxisInput) -> StrategyAxis:
    access.require_edit()
    position = data.position or _next_position(
        session, StrategyAxis.position, col(StrategyAxis.strategy_id) == access.id
    )
    axis = StrategyAxis(
        strategy_id=access.id, position=position, title=data.title, description=data.description
    )
    return _save(session, access, axis, "create", title=axis.title)


def add_objective(
    session: Session, access: StrategyAccess, axis: StrategyAxis, data: ObjectiveInput
) -> StrategyObjective:
    access.require_edit()
    position = data.position or _next_position(
        session, StrategyObjective.position, col(StrategyObjective.axis_id) == axis.id
    )
    objective = StrategyObjective(
        axis_id=axis.id or 0, position=position, title=data.title, description=data.description
    )
    return _save(session, access, objective, "create", title=data.title)


Heading = TypeVar("Heading", StrategyAxis, StrategyObjective)


def update_heading(session: Session, access: StrategyAccess, part: Heading, data: AxisInput) -> Heading:
    """An axis's or an objective's title, description and (when given) position."""
    access.require_edit()
    part.title, part.description = data.title, data.description
    if data.position is not None:
        part.position = data.position
    return _save(session, access, part, "update")


def delete_part(session: Session, access: StrategyAccess, part: Part) -> None:
    """An axis (with its objectives), an objective (with its indicators) or an indicator."""
    access.require_edit()
    title = part.name if isinstance(part, StrategyIndicator) else part.title
    _save(session, access, part, "delete", title=title)


# Indicators and their values


def add_indicator(
    session: Session, access: StrategyAccess, objective: StrategyObjective, data: IndicatorInput
) -> StrategyIndicator:
    access.require_edit()
    indicator = StrategyIndicator(objective_id=objective.id or 0, **data.model_dump())
    return _save(session, access, indicator, "create")


def update_indicator(
    session: Session,
    access: StrategyAccess,
    indicator: StrategyIndicator,
    data: IndicatorInput,
    values: Sequence[ValueInput] = (),
) -> StrategyIndicator:
    """The indicator's name, unit and target, and the yearly values given (a value of None
    removes that year's)."""
    access.require_edit()
    for value in values:
        if value.year not in access.years:
            raise InvalidInput({f"value_{value.year}": YEAR_OUTSIDE})
    indicator.sqlmodel_update(data.model_dump())
    _write_values(session, indicator, values)
    return _save(session, access, indicator, "update")


def _write_values(session: Session, indicator: StrategyIndicator, values: Iterable[ValueInput]) -> None:
    chosen = {v.year: v.value for v in values}
    if not chosen:
        return
    session.exec(
        delete(IndicatorValue).where(
            col(IndicatorValue.indicator_id) == indicator.id, col(IndicatorValue.year).in_(sorted(chosen))
        )
    )
    for year, value in sorted(chosen.items()):
        if value is not None:
            session.add(IndicatorValue(indicator_id=indicator.id or 0, year=year, value=value))


def set_value(
    session: Session, access: StrategyAccess, indicator: StrategyIndicator, data: ValueInput
) -> None:
    access.require_edit()
    if data.year not in access.years:
        raise InvalidInput({"year": YEAR_OUTSIDE})
    _write_values(session, indicator, [data])
    _save(session, access, indicator, "update", year=data.year)


# What an objective links


def attachable_actions(session: Session, viewer: Viewer, attached: Iterable[int] = ()) -> list[Action]:
    """The actions an editor may attach: the newest they read, and those already attached that
    they read (so that saving the form keeps them)."""
    stmt = select(Action).where(visible(viewer)).order_by(col(Action.id).desc()).limit(MAX_ATTACHABLE)
    newest = list(session.exec(stmt).all())
    missing = sorted(set(attached) - {a.id for a in newest})
    if missing:
        stmt = (
            select(Action).where(col(Action.id).in_(missing), visible(viewer)).order_by(col(Action.id).desc())
        )
        newest += session.exec(stmt).all()
    return newest


def attachable_bodies(session: Session) -> list[Body]:
    """Every body (names only): the plenary's strategy spans them all."""
    return list(session.exec(select(Body).order_by(Body.status, Body.name)).all())


def links_of(session: Session, objective_id: int) -> tuple[list[int], list[int]]:
    actions = session.exec(
        select(ObjectiveAction.action_id).where(ObjectiveAction.objective_id == objective_id)
    )
    found = session.exec(select(ObjectiveBody.body_id).where(ObjectiveBody.objective_id == objective_id))
    return sorted(actions.all()), sorted(found.all())


def set_links(
    session: Session, access: StrategyAccess, objective: StrategyObjective, data: LinksInput
) -> None:
    """The objective's actions and bodies become those given. An editor attaches only actions
    they read; those attached by someone else that they do not read stay attached."""
    access.require_edit()
    wanted = set(data.action_ids)
    readable_ids: set[int | None] = set(
        session.exec(
            select(Action.id).where(col(Action.id).in_(sorted(wanted)), visible(access.viewer))
        ).all()
    )
    if wanted - readable_ids:
        raise InvalidInput({"action_ids": CHOOSE_ACTIONS})
    body_ids = set(data.body_ids)
    if body_ids and len(session.exec(select(Body.id).where(col(Body.id).in_(sorted(body_ids)))).all()) != len(
        body_ids
    ):
        raise InvalidInput({"body_ids": CHOOSE_BODIES})
    current_actions, _bodies = links_of(session, objective.id or 0)
    unseen: set[int | None] = set(
        session.exec(
            select(Action.id).where(col(Action.id).in_(current_actions), ~visible(access.viewer))
        ).all()
    )
    actions = wanted | {a for a in unseen if a is not None}
    oid = objective.id or 0
    session.exec(delete(ObjectiveAction).where(col(ObjectiveAction.objective_id) == oid))
    session.exec(delete(ObjectiveBody).where(col(ObjectiveBody.objective_id) == oid))
    session.add_all(ObjectiveAction(objective_id=oid, action_id=a) for a in sorted(actions))
    session.add_all(ObjectiveBody(objective_id=oid, body_id=b) for b in sorted(body_ids))
    _touch(session, access)
    _record(
        session,
        access.viewer,
        "link",
        "strategy_objective",
        oid,
        strategy_id=access.id,
        added=sorted(actions - set(current_actions)),
        removed=sorted(set(current_actions) - actions),
        bodies=sorted(body_ids),
    )
    session.commit()
