"""JSON API of situation reports, their updates and problem files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session, SQLModel

from veille.deps import SessionDep, SettingsDep
from veille.directory.current import ApiUser
from veille.directory.models import User
from veille.errors import InvalidInput
from veille.pagination import Cursor, CursorParam, Limit, Paged, keyset_page
from veille.situations import service
from veille.situations.enums import Confidentiality, ProblemStatus, SituationStatus
from veille.situations.models import (
    CategoryPublic,
    Problem,
    ProblemCreate,
    ProblemPublic,
    ProblemUpdate,
    Situation,
    SituationCreate,
    SituationPublic,
    SituationStub,
    SituationUpdate,
    SituationUpdateIn,
    SituationUpdatePublic,
)
from veille.types import Day, Id, IdList, Int, Moment, check_period
from veille.web import validate

router = APIRouter(tags=["situations"])


class SituationPatch(SQLModel):
    """Only the fields sent change; ``version`` is the one read."""

    version: Int
    title: str | None = None
    description: str | None = None
    category: str | None = None
    sector_id: Id | None = None
    venue_id: Id | None = None
    place: str | None = None
    occurred_at: Moment | None = None
    severity: Int | None = None
    status: SituationStatus | None = None
    confidentiality: Confidentiality | None = None
    shared_with_organisation_ids: IdList | None = None
    names_person: bool | None = None


class ProblemPatch(SQLModel):
    version: Int
    title: str | None = None
    analysis: str | None = None
    status: ProblemStatus | None = None
    situation_ids: IdList | None = None


def _public(
    session: Session, situations: list[Situation], full: set[int]
) -> list[SituationPublic | SituationStub]:
    codes = service.category_codes(session)
    shares = service.shares_of(session, [s.id for s in situations if s.id in full])
    result: list[SituationPublic | SituationStub] = []
    for s in situations:
        if s.id in full:
            result.append(
                SituationPublic.model_validate(
                    s,
                    update={
                        "category": codes.get(s.category_id, ""),
                        "shared_with_organisation_ids": sorted(shares.get(s.id or 0, [])),
                    },
                )
            )
        else:
            result.append(SituationStub.model_validate(s))
    return result


@router.get("/situations", response_model=Paged[SituationPublic | SituationStub])
def list_situations(
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    body_id: Id | None = None,
    sector_id: Id | None = None,
    category: str | None = None,
    status: SituationStatus | None = None,
    severity: Annotated[int | None, Query(ge=1, le=4)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    since: Day | None = None,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Paged[Any]:
    """Newest first. A `social` report that you may not read comes as a stub; filters on what a
    stub does not show (category, status, severity, q) leave stubs out. ``since``: from 2000 to
    next year (422 otherwise)."""
    period = check_period(since, None, settings.today(), max_years=None)
    if period:
        raise InvalidInput(period)
    viewer = service.viewer_for(session, user)
    filters = service.Filters(
        body_id=body_id,
        sector_id=sector_id,
        category=category,
        severity=severity,
        status=status,
        since=since,
        q=(q or "").strip() or None,
    )
    items, full, next_cursor = service.api_feed(session, viewer, filters, limit=limit, cursor=cursor)
    return Paged(items=_public(session, items, full), next_cursor=next_cursor)


def _one(session: Session, access: service.SituationAccess) -> SituationPublic | SituationStub:
    return _public(session, [access.situation], {access.situation.id or 0} if access.full else set())[0]


@router.post("/situations", status_code=201, response_model=SituationPublic)
def create_situation(
    data: SituationCreate, user: ApiUser, session: SessionDep, settings: SettingsDep
) -> SituationPublic | SituationStub:
    situation = service.post_report(session, user=user, data=data, settings=settings)
    return _one(session, service.get_situation(session, service.viewer_for(session, user), situation.id or 0))


@router.get("/situations/{situation_id}", response_model=SituationPublic | SituationStub)
def get_situation(situation_id: Id, user: ApiUser, session: SessionDep) -> SituationPublic | SituationStub:
    viewer = service.viewer_for(session, user)
    return _one(session, service.get_situation(session, viewer, situation_id, audit_via="api"))


@router.patch("/situations/{situation_id}", response_model=SituationPublic)
def patch_situation(
    situation_id: Id, patch: SituationPatch, user: ApiUser, session: SessionDep
) -> SituationPublic | SituationStub:
    viewer = service.viewer_for(session, user)
    access = service.get_situation(session, viewer, situation_id)
    access.require_edit()
    current = _one(session, access).model_dump()
    data = validate(SituationUpdate, current | patch.model_dump(exclude_unset=True))
    service.update_situation(session, access=access, data=data)
    return _one(session, service.get_situation(session, viewer, situation_id))


@router.get("/situations/{situation_id}/updates", response_model=list[SituationUpdatePublic])
def list_updates(situation_id: Id, user: ApiUser, session: SessionDep) -> list[Any]:
    access = service.get_situation(session, service.viewer_for(session, user), situation_id, audit_via="api")
    return service.updates(session, access=access)


@router.post(
    "/situations/{situation_id}/updates",
    status_code=201,
    response_model=SituationUpdatePublic,
)
def post_update(
    situation_id: Id, data: SituationUpdateIn, user: ApiUser, session: SessionDep, settings: SettingsDep
) -> Any:
    access = service.get_situation(session, service.viewer_for(session, user), situation_id)
    return service.post_update(session, access=access, data=data, settings=settings)


@router.get("/situation-categories", response_model=list[CategoryPublic])
def list_categories(user: ApiUser, session: SessionDep) -> list[Any]:
    return service.categories(session, active_only=False)


def _problem(session: Session, user: User, problem: Problem) -> ProblemPublic:
    viewer = service.viewer_for(session, user)
    return ProblemPublic.model_validate(
        problem, update={"situation_ids": service.problem_situation_ids(session, viewer, problem)}
    )


@router.get("/problems", response_model=Paged[ProblemPublic])
def list_problems(
    user: ApiUser,
    session: SessionDep,
    body_id: Id | None = None,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Paged[ProblemPublic]:
    stmt = service.visible_problems_query(session, service.viewer_for(session, user))
    if body_id is not None:
        stmt = stmt.where(Problem.body_id == body_id)
    items, next_cursor = keyset_page(session, stmt, Problem, Cursor.parse(cursor), limit, newest_first=True)
    return Paged(items=[_problem(session, user, p) for p in items], next_cursor=next_cursor)


@router.post("/problems", status_code=201, response_model=ProblemPublic)
def create_problem(data: ProblemCreate, user: ApiUser, session: SessionDep) -> ProblemPublic:
    problem = service.create_problem(session, user=user, data=data)
    return _problem(session, user, problem)


@router.get("/problems/{problem_id}", response_model=ProblemPublic)
def get_problem(problem_id: Id, user: ApiUser, session: SessionDep) -> ProblemPublic:
    return _problem(session, user, service.get_problem(session, user, problem_id).problem)


@router.patch("/problems/{problem_id}", response_model=ProblemPublic)
def patch_problem(problem_id: Id, patch: ProblemPatch, user: ApiUser, session: SessionDep) -> ProblemPublic:
    access = service.get_problem(session, user, problem_id)
    access.body_access.require_manage()
    current = _problem(session, user, access.problem).model_dump()
    data = validate(ProblemUpdate, current | patch.model_dump(exclude_unset=True))
    service.update_problem(session, access=access, data=data)
    return _problem(session, user, access.problem)
