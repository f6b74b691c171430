"""The strategy's forms: adopt a strategy and change it, its axes and their objectives (the
"structure" page), an objective with its indicators, their yearly values and the actions and
bodies attached to it. Every form posts without JavaScript; a refused form comes back with what
was typed and the messages beside the fields (in the reader's language), the others untouched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from veille.access import PageViewer, Viewer
from veille.deps import SessionDep
from veille.errors import Forbidden, InvalidInput
from veille.i18n import N_
from veille.strategy import service
from veille.strategy.models import (
    AxisInput,
    IndicatorInput,
    LinksInput,
    ObjectiveInput,
    StrategyCreate,
    StrategyIndicator,
    StrategyObjective,
    StrategyUpdate,
    ValueInput,
)
from veille.strategy.report import indicators_of
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change, validation_errors

router = APIRouter()
FORM = "strategy/form.html"
STRUCTURE = "strategy/structure.html"
OBJECTIVE = "strategy/objective.html"


def _editable(session: Session, viewer: Viewer, strategy_id: int) -> service.StrategyAccess:
    access = service.get_access(session, viewer, strategy_id)
    if not access.can_edit:
        raise Forbidden()
    return access


# The strategy itself


def _form(
    request: Request,
    session: Session,
    viewer: Viewer,
    access: service.StrategyAccess | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "access": access,
        "plenary_options": [(b.id, b.name) for b in service.plenaries(session, viewer)]
        if access is None
        else [],
        "values": values,
        "errors": errors or {},
        "nav_active": "strategies",
    }
    return render(request, FORM, context, status_code=status)


@router.get("/strategies/new")
def new_strategy_form(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    if not service.may_adopt(session, viewer):
        raise Forbidden()
    return _form(request, session, viewer, None, {})


@router.post("/strategies/new")
def create_strategy(request: Request, viewer: PageViewer, session: SessionDep, form: Form) -> Response:
    if not service.may_adopt(session, viewer):
        raise Forbidden()
    made: list[int] = []

    def refused(errors: dict[str, str], status: int) -> Response:
        return _form(request, session, viewer, None, form, errors, status)

    return run_change(
        session,
        lambda: made.append(
            service.create_strategy(session, viewer, parse_form(StrategyCreate, form)).id or 0
        ),
        done=lambda: redirect(
            request, f"/strategies/{made[0]}/structure", flash=N_("The strategy was adopted.")
        ),
        refused=refused,
    )


@router.get("/strategies/{strategy_id}/edit")
def edit_strategy_form(
    strategy_id: Id, request: Request, viewer: PageViewer, session: SessionDep
) -> Response:
    access = _editable(session, viewer, strategy_id)
    return _form(request, session, viewer, access, access.strategy.model_dump())


@router.post("/strategies/{strategy_id}/edit")
def edit_strategy(
    strategy_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)

    def refused(errors: dict[str, str], status: int) -> Response:
        return _form(request, session, viewer, access, form, errors, status)

    return run_change(
        session,
        lambda: service.update_strategy(session, access, parse_form(StrategyUpdate, form)),
        done=lambda: redirect(request, f"/strategies/{strategy_id}", flash=N_("The strategy was saved.")),
        refused=refused,
    )


@router.post("/strategies/{strategy_id}/delete")
def delete_strategy(strategy_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = _editable(session, viewer, strategy_id)

    def refused(errors: dict[str, str], status: int) -> Response:
        return _form(request, session, viewer, access, access.strategy.model_dump(), errors, status)

    return run_change(
        session,
        lambda: service.delete_strategy(session, access),
        done=lambda: redirect(request, "/strategies", flash=N_("The strategy was deleted.")),
        refused=refused,
    )


# Axes and objectives: the structure page


def _structure(
    request: Request,
    session: Session,
    access: service.StrategyAccess,
    *,
    failed: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    axes = service.axes_of(session, access.id)
    objectives: dict[int, list[StrategyObjective]] = {}
    for objective in service.objectives_of(session, [a.id or 0 for a in axes]):
        objectives.setdefault(objective.axis_id, []).append(objective)
    context = {
        "access": access,
        "strategy": access.strategy,
        "axes": axes,
        "objectives": objectives,
        "failed": failed,
        "values": values or {},
        "errors": errors or {},
        "nav_active": "strategies",
    }
    return render(request, STRUCTURE, context, status_code=status)


def _structure_change(
    request: Request,
    session: Session,
    access: service.StrategyAccess,
    failed: str,
    form: dict[str, Any],
    change: Callable[[], object],
    flash: str,
) -> Response:
    def refused(errors: dict[str, str], status: int) -> Response:
        return _structure(request, session, access, failed=failed, values=form, errors=errors, status=status)

    return run_change(
        session,
        change,
        done=lambda: redirect(request, f"/strategies/{access.id}/structure", flash=flash),
        refused=refused,
    )


@router.get("/strategies/{strategy_id}/structure")
def structure_page(strategy_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    return _structure(request, session, _editable(session, viewer, strategy_id))


@router.post("/strategies/{strategy_id}/axes")
def add_axis(
    strategy_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)
    return _structure_change(
        request,
        session,
        access,
        "axis-new",
        form,
        lambda: service.add_axis(session, access, parse_form(AxisInput, form)),
        N_("The axis was added."),
    )


@router.post("/strategies/{strategy_id}/axes/{axis_id}")
def edit_axis(
    strategy_id: Id, axis_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)
    axis = service.get_axis(session, access, axis_id)
    return _structure_change(
        request,
        session,
        access,
        f"axis-{axis_id}",
        form,
        lambda: service.update_heading(session, access, axis, parse_form(AxisInput, form)),
        N_("The axis was saved."),
    )


@router.post("/strategies/{strategy_id}/axes/{axis_id}/delete")
def delete_axis(
    strategy_id: Id, axis_id: Id, request: Request, viewer: PageViewer, session: SessionDep
) -> Response:
    access = _editable(session, viewer, strategy_id)
    axis = service.get_axis(session, access, axis_id)
    return _structure_change(
        request,
        session,
        access,
        f"axis-{axis_id}",
        {},
        lambda: service.delete_part(session, access, axis),
        N_("The axis was deleted."),
    )


@router.post("/strategies/{strategy_id}/axes/{axis_id}/objectives")
def add_objective(
    strategy_id: Id, axis_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)
    axis = service.get_axis(session, access, axis_id)
    return _structure_change(
        request,
        session,
        access,
        f"objective-new-{axis_id}",
        form,
        lambda: service.add_objective(session, access, axis, parse_form(ObjectiveInput, form)),
        N_("The objective was added."),
    )


# An objective: its fields, indicators and values, attached actions and bodies


def _objective(
    request: Request,
    session: Session,
    access: service.StrategyAccess,
    objective: StrategyObjective,
    *,
    failed: str = "",
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    action_ids, body_ids = service.links_of(session, objective.id or 0)
    indicators = indicators_of(session, [objective.id or 0]).get(objective.id or 0, [])
    context = {
        "access": access,
        "strategy": access.strategy,
        "objective": objective,
        "indicators": indicators,
        "indicator_names": ["name", "unit", "target"] + [f"value_{year}" for year in access.years],
        "action_options": [
            (a.id, a.title) for a in service.attachable_actions(session, access.viewer, action_ids)
        ],
        "body_options": [(b.id, b.name) for b in service.attachable_bodies(session)],
        "action_ids": action_ids,
        "body_ids": body_ids,
        "failed": failed,
        "values": values or {},
        "errors": errors or {},
        "nav_active": "strategies",
    }
    return render(request, OBJECTIVE, context, status_code=status)


def _objective_change(
    request: Request,
    session: Session,
    access: service.StrategyAccess,
    objective: StrategyObjective,
    failed: str,
    form: dict[str, Any],
    change: Callable[[], object],
    flash: str,
    *,
    done_url: str | None = None,
) -> Response:
    def refused(errors: dict[str, str], status: int) -> Response:
        return _objective(
            request, session, access, objective, failed=failed, values=form, errors=errors, status=status
        )

    url = done_url or f"/strategies/{access.id}/objectives/{objective.id}"
    return run_change(session, change, done=lambda: redirect(request, url, flash=flash), refused=refused)


@router.get("/strategies/{strategy_id}/objectives/{objective_id}")
def objective_page(
    strategy_id: Id, objective_id: Id, request: Request, viewer: PageViewer, session: SessionDep
) -> Response:
    access = _editable(session, viewer, strategy_id)
    return _objective(request, session, access, service.get_objective(session, access, objective_id))


@router.post("/strategies/{strategy_id}/objectives/{objective_id}")
def edit_objective(
    strategy_id: Id, objective_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)
    objective = service.get_objective(session, access, objective_id)
    return _objective_change(
        request,
        session,
        access,
        objective,
        "objective",
        form,
        lambda: service.update_heading(session, access, objective, parse_form(ObjectiveInput, form)),
        N_("The objective was saved."),
    )


@router.post("/strategies/{strategy_id}/objectives/{objective_id}/delete")
def delete_objective(
    strategy_id: Id, objective_id: Id, request: Request, viewer: PageViewer, session: SessionDep
) -> Response:
    access = _editable(session, viewer, strategy_id)
    objective = service.get_objective(session, access, objective_id)
    return _objective_change(
        request,
        session,
        access,
        objective,
        "objective",
        {},
        lambda: service.delete_part(session, access, objective),
        N_("The objective was deleted."),
        done_url=f"/strategies/{strategy_id}/structure",
    )


@router.post("/strategies/{strategy_id}/objectives/{objective_id}/links")
def set_links(
    strategy_id: Id, objective_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)
    objective = service.get_objective(session, access, objective_id)
    data = {k: form.get(k, []) for k in ("action_ids", "body_ids")}
    return _objective_change(
        request,
        session,
        access,
        objective,
        "links",
        form,
        lambda: service.set_links(session, access, objective, parse_form(LinksInput, data)),
        N_("The attached actions and bodies were saved."),
    )


@router.post("/strategies/{strategy_id}/objectives/{objective_id}/indicators")
def add_indicator(
    strategy_id: Id, objective_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)
    objective = service.get_objective(session, access, objective_id)
    return _objective_change(
        request,
        session,
        access,
        objective,
        "indicator-new",
        form,
        lambda: service.add_indicator(session, access, objective, _indicator_input(form)),
        N_("The indicator was added."),
    )


def _number(raw: object) -> object:
    """A number typed the French way ("12,5") or the English one."""
    return (
        raw.strip().replace(",", ".").replace("\u202f", "").replace(" ", "") if isinstance(raw, str) else raw
    )


def _indicator_input(form: dict[str, Any]) -> IndicatorInput:
    return parse_form(IndicatorInput, form | {"target": _number(form.get("target", ""))})


def _values(access: service.StrategyAccess, form: dict[str, Any]) -> list[ValueInput]:
    """The yearly values of the indicator's form (``value_2025``…); a blank one removes it."""
    found: list[ValueInput] = []
    errors: dict[str, str] = {}
    for year in access.years:
        raw = _number(form.get(f"value_{year}", ""))
        try:
            found.append(ValueInput.model_validate({"year": year, "value": raw if raw != "" else None}))
        except ValidationError as exc:
            errors[f"value_{year}"] = next(iter(validation_errors(exc).values()))
    if errors:
        raise InvalidInput(errors)
    return found


def _indicator(
    session: Session, access: service.StrategyAccess, indicator_id: int
) -> tuple[StrategyIndicator, StrategyObjective]:
    indicator = service.get_indicator(session, access, indicator_id)
    return indicator, service.get_objective(session, access, indicator.objective_id)


@router.post("/strategies/{strategy_id}/indicators/{indicator_id}")
def edit_indicator(
    strategy_id: Id, indicator_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = _editable(session, viewer, strategy_id)
    indicator, objective = _indicator(session, access, indicator_id)

    def change() -> None:
        data = _indicator_input(form)
        service.update_indicator(session, access, indicator, data, _values(access, form))

    return _objective_change(
        request,
        session,
        access,
        objective,
        f"indicator-{indicator_id}",
        form,
        change,
        N_("The indicator was saved."),
    )


@router.post("/strategies/{strategy_id}/indicators/{indicator_id}/delete")
def delete_indicator(
    strategy_id: Id, indicator_id: Id, request: Request, viewer: PageViewer, session: SessionDep
) -> Response:
    access = _editable(session, viewer, strategy_id)
    indicator, objective = _indicator(session, access, indicator_id)
    return _objective_change(
        request,
        session,
        access,
        objective,
        f"indicator-{indicator_id}",
        {},
        lambda: service.delete_part(session, access, indicator),
        N_("The indicator was deleted."),
    )
