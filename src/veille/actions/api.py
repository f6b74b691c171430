"""JSON API of actions, their updates, evaluation and referral."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlmodel import Session, SQLModel

from veille.actions import service
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
from veille.directory.current import ApiUser
from veille.directory.models import User
from veille.pagination import Cursor, CursorParam, Limit, Paged, keyset_page
from veille.situations import service as situations
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


def public(session: Session, viewer: service.Viewer, actions: list[Action]) -> list[ActionPublic]:
    """The actions as the API gives them; only the linked reports the reader may open."""
    ids = [a.id for a in actions if a.id is not None]
    partners = service.partners_of(session, ids)
    linked = service.situations_of(session, ids)
    readable = situations.full_ids(session, viewer, {s for found in linked.values() for s in found})
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
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    body_id: Id | None = None,
    status: ActionStatus | None = None,
    kind: ActionKind | None = None,
    lead_organisation_id: Id | None = None,
    owner_id: Id | None = None,
    overdue: bool = False,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Paged[ActionPublic]:
    """Newest first; ``overdue=true``: open actions past their due date (in the city's time zone)."""
    filters = service.Filters(
        body_id=body_id,
        status=status,
        kind=kind,
        lead_organisation_id=lead_organisation_id,
        owner_id=owner_id,
        overdue=overdue,
    )
    viewer = service.viewer_for(session, user)
    stmt = service.query(viewer, filters, settings.today())
    items, next_cursor = keyset_page(session, stmt, Action, Cursor.parse(cursor), limit, newest_first=True)
    return Paged(items=public(session, viewer, items), next_cursor=next_cursor)


def _one(session: Session, user: User, action: Action) -> ActionPublic:
    return public(session, service.viewer_for(session, user), [action])[0]


@router.post("/actions", status_code=201, response_model=ActionPublic)
def create_action(
    data: ActionCreate, user: ApiUser, session: SessionDep, settings: SettingsDep
) -> ActionPublic:
    action = service.record_action(session, user=user, data=data, settings=settings)
    return _one(session, user, action)


def _access(session: Session, user: ApiUser, action_id: Id) -> service.ActionAccess:
    return service.get_action(session, service.viewer_for(session, user), action_id)


@router.get("/actions/{action_id}", response_model=ActionPublic)
def get_action(action_id: Id, user: ApiUser, session: SessionDep) -> ActionPublic:
    return _one(session, user, _access(session, user, action_id).action)


@router.patch("/actions/{action_id}", response_model=ActionPublic)
def patch_action(
    action_id: Id, patch: ActionPatch, user: ApiUser, session: SessionDep, settings: SettingsDep
) -> ActionPublic:
    access = _access(session, user, action_id)
    access.require_change()
    current = _one(session, user, access.action).model_dump()
    data = validate(ActionUpdate, current | patch.model_dump(exclude_unset=True))
    action = service.update_action(session, access=access, data=data, settings=settings)
    return _one(session, user, action)


@router.post("/actions/{action_id}/refer", response_model=ActionPublic)
def refer_action(action_id: Id, data: ReferIn, user: ApiUser, session: SessionDep) -> ActionPublic:
    action = service.refer(session, access=_access(session, user, action_id), data=data)
    return _one(session, user, action)


@router.get("/actions/{action_id}/updates", response_model=list[ActionEntryPublic])
def list_updates(action_id: Id, user: ApiUser, session: SessionDep) -> list[Any]:
    return service.history(session, access=_access(session, user, action_id))


@router.post("/actions/{action_id}/updates", status_code=201, response_model=ActionEntryPublic)
def post_update(action_id: Id, data: ActionEntryIn, user: ApiUser, session: SessionDep) -> Any:
    entry = service.add_update(session, access=_access(session, user, action_id), data=data)
    return ActionEntryPublic.model_validate(entry)


@router.put("/actions/{action_id}/evaluation", response_model=ActionPublic)
def put_evaluation(action_id: Id, data: EvaluationIn, user: ApiUser, session: SessionDep) -> ActionPublic:
    action = service.evaluate(session, access=_access(session, user, action_id), data=data)
    return _one(session, user, action)
