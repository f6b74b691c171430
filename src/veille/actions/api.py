"""JSON API of actions, their updates, evaluation and referral."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session, SQLModel

from veille.access import ApiViewer, Viewer
from veille.actions import lists, service
from veille.actions.enums import ActionKind, ActionStatus
from veille.actions.models import (
    Action,
    ActionCreate,
    ActionEntryIn,
    ActionEntryPublic,
    ActionPublic,
    ActionUpdate,
    EvaluationIn,
    EvaluationPublic,
    ReferIn,
)
from veille.deps import SessionDep, SettingsDep
from veille.pagination import Cursor, CursorParam, Limit, Paged, keyset_page
from veille.situations import visibility
from veille.types import Day, Id, IdList, Int
from veille.web import validate

router = APIRouter(tags=["actions"])


class ActionPatch(SQLModel):
    """Only the fields sent change; ``version`` is the one read. ``reopen`` moves a done or
    abandoned action back to work (in progress, or planned)."""

    version: Int
    title: str | None = None
    description: str | None = None
    kind: ActionKind | None = None
    lead_organisation_id: Id | None = None
    owner_id: Id | None = None
    partner_organisation_ids: IdList | None = None
    due_on: Day | None = None
    status: ActionStatus | None = None
    progress: Int | None = None
    situation_ids: IdList | None = None
    problem_id: Id | None = None
    reopen: bool = False


def public(session: Session, viewer: Viewer, actions: list[Action]) -> list[ActionPublic]:
    """The actions as the API gives them; only the linked reports the reader may open."""
    ids = [a.id for a in actions if a.id is not None]
    partners = lists.partners_of(session, ids)
    linked = lists.situations_of(session, ids)
    readable = visibility.full_ids(session, viewer, {s for found in linked.values() for s in found})
    return [
        ActionPublic.model_validate(
            a,
            update={
                "partner_organisation_ids": sorted(partners[a.id or 0]),
                "situation_ids": sorted(set(linked[a.id or 0]) & readable),
                "evaluation": EvaluationPublic(
                    summary=a.evaluation,
                    effect=a.effect,
                    indicator=a.indicator,
                    evaluated_at=a.evaluated_at,
                    evaluated_by=a.evaluated_by,
                )
                if a.effect is not None
                else None,
            },
        )
        for a in actions
    ]


@router.get("/actions", response_model=Paged[ActionPublic])
def list_actions(
    viewer: ApiViewer,
    session: SessionDep,
    settings: SettingsDep,
    filters: Annotated[lists.Filters, Query()],
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Paged[ActionPublic]:
    """The actions the caller sees (those of their bodies, and those handed over from them),
    newest first; ``overdue=true``: open actions past their due date (in the city's time zone)."""
    stmt = lists.query(viewer, filters, settings.today())
    items, next_cursor = keyset_page(session, stmt, Action, Cursor.parse(cursor), limit, newest_first=True)
    return Paged(items=public(session, viewer, items), next_cursor=next_cursor)


@router.post("/actions", status_code=201, response_model=ActionPublic)
def create_action(
    data: ActionCreate, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> ActionPublic:
    """Records an action in one of the caller's bodies (not as a guest); a member who is not its
    chair or a secretary records only actions their organisation leads."""
    action = service.record_action(session, viewer=viewer, data=data, settings=settings)
    return public(session, viewer, [action])[0]


@router.get("/actions/{action_id}", response_model=ActionPublic)
def get_action(action_id: Id, viewer: ApiViewer, session: SessionDep) -> ActionPublic:
    """One action, for the members of its body and of the bodies it was handed over from."""
    return public(session, viewer, [service.get_action(session, viewer, action_id).action])[0]


@router.patch("/actions/{action_id}", response_model=ActionPublic)
def patch_action(
    action_id: Id, patch: ActionPatch, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> ActionPublic:
    """Changes the fields sent (its status included, along the allowed moves), from the version
    read; for the lead organisation, the body's chair and secretaries, and the staff."""
    access = service.get_action(session, viewer, action_id)
    access.require_change()
    current = public(session, viewer, [access.action])[0].model_dump()
    data = validate(ActionUpdate, current | patch.model_dump(exclude_unset=True))
    action = service.update_action(session, access=access, data=data, settings=settings)
    return public(session, viewer, [action])[0]


@router.post("/actions/{action_id}/refer", response_model=ActionPublic)
def refer_action(action_id: Id, data: ReferIn, viewer: ApiViewer, session: SessionDep) -> ActionPublic:
    """Hands the action and its reports over to another open body the caller sees; for the
    body's chair, its secretaries and the staff."""
    handover = service.refer(session, access=service.get_action(session, viewer, action_id), data=data)
    return public(session, viewer, [handover.action])[0]


@router.get("/actions/{action_id}/updates", response_model=list[ActionEntryPublic])
def list_updates(action_id: Id, viewer: ApiViewer, session: SessionDep) -> list[Any]:
    """The action's history, oldest first, for whoever sees the action."""
    return service.history(session, access=service.get_action(session, viewer, action_id))


@router.post("/actions/{action_id}/updates", status_code=201, response_model=ActionEntryPublic)
def post_update(action_id: Id, data: ActionEntryIn, viewer: ApiViewer, session: SessionDep) -> Any:
    """Posts a dated update (its progress becomes the action's while it is open); for the lead
    and partner organisations, the body's chair and secretaries, and the staff."""
    entry = service.add_update(session, access=service.get_action(session, viewer, action_id), data=data)
    return ActionEntryPublic.model_validate(entry)


@router.put("/actions/{action_id}/evaluation", response_model=ActionPublic)
def put_evaluation(action_id: Id, data: EvaluationIn, viewer: ApiViewer, session: SessionDep) -> ActionPublic:
    """Records the evaluation of a done action; for those who may change it."""
    action = service.evaluate(session, access=service.get_action(session, viewer, action_id), data=data)
    return public(session, viewer, [action])[0]
