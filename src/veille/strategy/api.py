"""JSON API of the local strategy: the strategies, their axes, objectives, indicators and yearly
values, and the actions and bodies attached to objectives. Reading: the plenary's members and
the staff (404 for anyone else); changes: its chair and secretaries, and the staff who oversee
it (a coordinator limited to some communes: a plenary within them) (403 for its other
members). Counts cover every attached action; ids are only those the caller reads."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response
from sqlmodel import Session

from veille.access import ApiViewer
from veille.deps import SessionDep, SettingsDep
from veille.strategy import report, service
from veille.strategy.models import (
    AxisInput,
    AxisPublic,
    IndicatorInput,
    IndicatorPublic,
    LinksInput,
    ObjectiveInput,
    ObjectivePublic,
    StrategyCreate,
    StrategyDetail,
    StrategyPublic,
    StrategyUpdate,
    ValueInput,
)
from veille.types import Id

router = APIRouter(tags=["strategy"])


def _detail(session: Session, access: service.StrategyAccess, today: date) -> StrategyDetail:
    shown = report.view(session, access, today)
    axes = [
        AxisPublic(
            id=a.axis.id or 0,
            position=a.axis.position,
            title=a.axis.title,
            description=a.axis.description,
            objectives=[
                ObjectivePublic(
                    id=o.objective.id or 0,
                    position=o.objective.position,
                    title=o.objective.title,
                    description=o.objective.description,
                    indicators=[
                        IndicatorPublic(
                            id=i.indicator.id or 0,
                            name=i.indicator.name,
                            unit=i.indicator.unit,
                            target=i.indicator.target,
                            values=i.values,
                        )
                        for i in o.indicators
                    ],
                    action_ids=sorted(line.id for line in o.actions),
                    body_ids=[b for b, _ in o.bodies],
                    actions_by_status={str(k): n for k, n in o.by_status.items()},
                    actions_by_kind={str(k): n for k, n in o.by_kind.items()},
                    effects={str(k): n for k, n in o.effects.items()},
                    overdue=o.overdue,
                )
                for o in a.objectives
            ],
        )
        for a in shown.axes
    ]
    return StrategyDetail.model_validate(access.strategy, update={"axes": axes})


@router.get("/strategies", response_model=list[StrategyPublic])
def list_strategies(viewer: ApiViewer, session: SessionDep) -> list[StrategyPublic]:
    """The strategies of the plenary councils the caller belongs to (every one for the staff),
    the newest period first."""
    return [StrategyPublic.model_validate(s) for s, _ in service.list_strategies(session, viewer)]


@router.post("/strategies", status_code=201, response_model=StrategyPublic)
def create_strategy(data: StrategyCreate, viewer: ApiViewer, session: SessionDep) -> StrategyPublic:
    """Adopts a strategy for a plenary council the caller chairs or keeps the minutes of, or
    oversees as staff (any for an admin or a coordinator not limited to some communes), for a
    period of at most ten years."""
    return StrategyPublic.model_validate(service.create_strategy(session, viewer, data))


@router.get("/strategies/{strategy_id}", response_model=StrategyDetail)
def get_strategy(
    strategy_id: Id, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> StrategyDetail:
    """The strategy with its axes, objectives and indicators (values by year); per objective,
    the attached actions counted by status, kind and evaluated effect, the overdue ones, and the
    ids of those the caller reads."""
    return _detail(session, service.get_access(session, viewer, strategy_id), settings.today())


@router.put("/strategies/{strategy_id}", response_model=StrategyPublic)
def update_strategy(
    strategy_id: Id, data: StrategyUpdate, viewer: ApiViewer, session: SessionDep
) -> StrategyPublic:
    """Changes the title, description, period and adoption day, from the version read (409 if
    it changed since)."""
    access = service.get_access(session, viewer, strategy_id)
    return StrategyPublic.model_validate(service.update_strategy(session, access, data))


@router.delete("/strategies/{strategy_id}", status_code=204)
def delete_strategy(strategy_id: Id, viewer: ApiViewer, session: SessionDep) -> Response:
    """Deletes the strategy with its axes, objectives and indicators (the actions stay)."""
    service.delete_strategy(session, service.get_access(session, viewer, strategy_id))
    return Response(status_code=204)


@router.post("/strategies/{strategy_id}/axes", status_code=201, response_model=AxisPublic)
def add_axis(strategy_id: Id, data: AxisInput, viewer: ApiViewer, session: SessionDep) -> AxisPublic:
    """Adds an axis, last unless a position is given."""
    axis = service.add_axis(session, service.get_access(session, viewer, strategy_id), data)
    return AxisPublic.model_validate(axis, update={"objectives": []})


@router.put("/strategies/{strategy_id}/axes/{axis_id}", response_model=AxisPublic)
def update_axis(
    strategy_id: Id, axis_id: Id, data: AxisInput, viewer: ApiViewer, session: SessionDep
) -> AxisPublic:
    """Changes an axis's title, description and position."""
    access = service.get_access(session, viewer, strategy_id)
    axis = service.update_heading(session, access, service.get_axis(session, access, axis_id), data)
    return AxisPublic.model_validate(axis, update={"objectives": []})


@router.delete("/strategies/{strategy_id}/axes/{axis_id}", status_code=204)
def delete_axis(strategy_id: Id, axis_id: Id, viewer: ApiViewer, session: SessionDep) -> Response:
    """Deletes an axis with its objectives and their indicators."""
    access = service.get_access(session, viewer, strategy_id)
    service.delete_part(session, access, service.get_axis(session, access, axis_id))
    return Response(status_code=204)


def _objective(o: object) -> ObjectivePublic:
    return ObjectivePublic.model_validate(
        o,
        update={
            "indicators": [],
            "action_ids": [],
            "body_ids": [],
            "actions_by_status": {},
            "actions_by_kind": {},
            "effects": {},
            "overdue": 0,
        },
    )


@router.post(
    "/strategies/{strategy_id}/axes/{axis_id}/objectives", status_code=201, response_model=ObjectivePublic
)
def add_objective(
    strategy_id: Id, axis_id: Id, data: ObjectiveInput, viewer: ApiViewer, session: SessionDep
) -> ObjectivePublic:
    """Adds an objective to the axis, last unless a position is given."""
    access = service.get_access(session, viewer, strategy_id)
    return _objective(
        service.add_objective(session, access, service.get_axis(session, access, axis_id), data)
    )


@router.put("/strategies/{strategy_id}/objectives/{objective_id}", response_model=ObjectivePublic)
def update_objective(
    strategy_id: Id, objective_id: Id, data: ObjectiveInput, viewer: ApiViewer, session: SessionDep
) -> ObjectivePublic:
    """Changes an objective's title, description and position (its links and indicators stay;
    the strategy's detail gives them)."""
    access = service.get_access(session, viewer, strategy_id)
    objective = service.get_objective(session, access, objective_id)
    return _objective(service.update_heading(session, access, objective, data))


@router.delete("/strategies/{strategy_id}/objectives/{objective_id}", status_code=204)
def delete_objective(strategy_id: Id, objective_id: Id, viewer: ApiViewer, session: SessionDep) -> Response:
    """Deletes an objective with its indicators (the attached actions and bodies stay)."""
    access = service.get_access(session, viewer, strategy_id)
    service.delete_part(session, access, service.get_objective(session, access, objective_id))
    return Response(status_code=204)


@router.put("/strategies/{strategy_id}/objectives/{objective_id}/links", response_model=LinksInput)
def set_links(
    strategy_id: Id, objective_id: Id, data: LinksInput, viewer: ApiViewer, session: SessionDep
) -> LinksInput:
    """Attaches these actions and bodies to the objective, replacing those attached. Only
    actions the caller reads may be attached; those someone else attached that the caller does
    not read stay attached (and are not listed back)."""
    access = service.get_access(session, viewer, strategy_id)
    objective = service.get_objective(session, access, objective_id)
    service.set_links(session, access, objective, data)
    action_ids, body_ids = service.links_of(session, objective.id or 0)
    return LinksInput(action_ids=sorted(set(action_ids) & set(data.action_ids)), body_ids=body_ids)


@router.post(
    "/strategies/{strategy_id}/objectives/{objective_id}/indicators",
    status_code=201,
    response_model=IndicatorPublic,
)
def add_indicator(
    strategy_id: Id, objective_id: Id, data: IndicatorInput, viewer: ApiViewer, session: SessionDep
) -> IndicatorPublic:
    """Adds an indicator (name, unit, target) to the objective."""
    access = service.get_access(session, viewer, strategy_id)
    objective = service.get_objective(session, access, objective_id)
    indicator = service.add_indicator(session, access, objective, data)
    return IndicatorPublic.model_validate(indicator, update={"values": {}})


def _indicator_public(session: Session, indicator_id: int, objective_id: int) -> IndicatorPublic:
    shown = report.indicators_of(session, [objective_id]).get(objective_id, [])
    found = next(i for i in shown if i.indicator.id == indicator_id)
    return IndicatorPublic.model_validate(found.indicator, update={"values": found.values})


@router.put("/strategies/{strategy_id}/indicators/{indicator_id}", response_model=IndicatorPublic)
def update_indicator(
    strategy_id: Id, indicator_id: Id, data: IndicatorInput, viewer: ApiViewer, session: SessionDep
) -> IndicatorPublic:
    """Changes an indicator's name, unit and target."""
    access = service.get_access(session, viewer, strategy_id)
    indicator = service.update_indicator(
        session, access, service.get_indicator(session, access, indicator_id), data
    )
    return _indicator_public(session, indicator_id, indicator.objective_id)


@router.put("/strategies/{strategy_id}/indicators/{indicator_id}/values", response_model=IndicatorPublic)
def set_value(
    strategy_id: Id, indicator_id: Id, data: ValueInput, viewer: ApiViewer, session: SessionDep
) -> IndicatorPublic:
    """Sets the indicator's value for a year of the strategy's period (``value: null`` removes
    it)."""
    access = service.get_access(session, viewer, strategy_id)
    indicator = service.get_indicator(session, access, indicator_id)
    service.set_value(session, access, indicator, data)
    return _indicator_public(session, indicator_id, indicator.objective_id)


@router.delete("/strategies/{strategy_id}/indicators/{indicator_id}", status_code=204)
def delete_indicator(strategy_id: Id, indicator_id: Id, viewer: ApiViewer, session: SessionDep) -> Response:
    """Deletes an indicator and its values."""
    access = service.get_access(session, viewer, strategy_id)
    service.delete_part(session, access, service.get_indicator(session, access, indicator_id))
    return Response(status_code=204)
