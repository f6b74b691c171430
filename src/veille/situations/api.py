"""JSON API of situation reports, their updates and problem files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session, SQLModel

from veille.access import ApiViewer, Viewer
from veille.deps import SessionDep, SettingsDep
from veille.errors import InvalidInput
from veille.pagination import Cursor, CursorParam, Limit, Paged, keyset_page
from veille.situations import feed, mapping, problems, reports, visibility
from veille.situations.categories import categories, category_codes
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
from veille.types import Id, IdList, Int, Moment
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
    latitude: float | None = None
    longitude: float | None = None
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
    codes = category_codes(session)
    shares = reports.shares_of(session, [s.id for s in situations if s.id in full])
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
    filters: Annotated[feed.Filters, Query()],
    viewer: ApiViewer,
    session: SessionDep,
    settings: SettingsDep,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Paged[Any]:
    """The reports you may see, newest first; a `social` report that you may not read comes as a
    stub, and filters on what a stub does not show (category, status, severity, q) leave stubs
    out. ``since`` and ``until``: from 2000 to next year (422 otherwise). Any signed-in person."""
    period = filters.period_errors(settings.today())
    if period:
        raise InvalidInput(period)
    items, full, next_cursor = feed.api_feed(session, viewer, filters.typed(), limit=limit, cursor=cursor)
    return Paged(items=_public(session, items, full), next_cursor=next_cursor)


@router.get("/map/situations", response_model=mapping.MapPublic)
def map_situations(
    filters: Annotated[mapping.MapFilters, Query()],
    viewer: ApiViewer,
    session: SessionDep,
    settings: SettingsDep,
) -> mapping.MapPublic:
    """The reports you read whole that have a point and match the feed's filters (or name the
    venue ``venue_id``), newest first, at most 500 (``total`` counts every match), with the
    sectors' outlines. Never a report you may not read, never a social report (none has a
    point). Any signed-in person; reads of restricted reports are audited."""
    period = filters.period_errors(settings.today())
    if period:
        raise InvalidInput(period)
    return mapping.map_data(session, viewer, filters, settings.tz, via="api").public


def _one(session: Session, access: visibility.SituationAccess) -> SituationPublic | SituationStub:
    return _public(session, [access.situation], {access.situation.id or 0} if access.full else set())[0]


@router.post("/situations", status_code=201, response_model=SituationPublic)
def create_situation(
    data: SituationCreate, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> SituationPublic | SituationStub:
    """Posts a report in one of your bodies, with the mail of the members who want one. A member
    who sees the body's content (not a guest), while the body is open. Its point on the map is
    the ``latitude`` and ``longitude`` sent (both or neither, in range: 422 otherwise), else the
    geocoder's for its ``place`` when one is configured and finds it; a social report keeps
    none."""
    situation = reports.post_report(session, viewer=viewer, data=data, settings=settings)
    return _one(session, visibility.get_situation(session, viewer, situation.id or 0))


@router.get("/situations/{situation_id}", response_model=SituationPublic | SituationStub)
def get_situation(
    situation_id: Id, viewer: ApiViewer, session: SessionDep
) -> SituationPublic | SituationStub:
    """One report, whole or as a stub; 404 if you may not see it. A read of a restricted or social
    report is audited."""
    return _one(session, visibility.get_situation(session, viewer, situation_id, audit_via="api"))


@router.patch("/situations/{situation_id}", response_model=SituationPublic | SituationStub)
def patch_situation(
    situation_id: Id, patch: SituationPatch, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> SituationPublic | SituationStub:
    """Changes the fields sent, from the ``version`` read (409 if someone saved since). The
    author's organisation, the body's chair and secretaries, and the staff. A ``latitude`` and
    ``longitude`` (both or neither, in range: 422 otherwise) place the report on the map; a
    changed ``place`` without them is looked up by the geocoder; a social report keeps none.
    Answers the report as the caller now reads it: a stub once they made it social for
    organisations other than theirs."""
    access = visibility.get_situation(session, viewer, situation_id)
    access.require_edit()
    current = _one(session, access).model_dump()
    changes = patch.model_dump(exclude_unset=True)
    if (
        "place" in changes
        and changes["place"] != current.get("place")
        and not {"latitude", "longitude"} & set(changes)
    ):
        # A new place without a point: the old point goes, and the geocoder looks the place up.
        current |= {"latitude": None, "longitude": None}
    data = validate(SituationUpdate, current | changes)
    reports.update_situation(session, access=access, data=data, settings=settings)
    return _one(session, visibility.get_situation(session, viewer, situation_id))


@router.get("/situations/{situation_id}/updates", response_model=list[SituationUpdatePublic])
def list_updates(situation_id: Id, viewer: ApiViewer, session: SessionDep) -> list[Any]:
    """A report's updates, oldest first. Those who read the report whole."""
    access = visibility.get_situation(session, viewer, situation_id, audit_via="api")
    return reports.updates(session, access=access)


@router.post(
    "/situations/{situation_id}/updates",
    status_code=201,
    response_model=SituationUpdatePublic,
)
def post_update(
    situation_id: Id, data: SituationUpdateIn, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> Any:
    """Adds an update to a report, mailed to its author and the body's secretaries. Those who read
    the report whole, while its body is open."""
    access = visibility.get_situation(session, viewer, situation_id)
    return reports.post_update(session, access=access, data=data, settings=settings)


@router.get("/situation-categories", response_model=list[CategoryPublic])
def list_categories(viewer: ApiViewer, session: SessionDep) -> list[Any]:
    """Every category of reports, retired ones included. Any signed-in person."""
    return categories(session, active_only=False)


def _problem(session: Session, viewer: Viewer, problem: Problem) -> ProblemPublic:
    return ProblemPublic.model_validate(
        problem, update={"situation_ids": problems.problem_situation_ids(session, viewer, problem)}
    )


@router.get("/problems", response_model=Paged[ProblemPublic])
def list_problems(
    viewer: ApiViewer,
    session: SessionDep,
    body_id: Id | None = None,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Paged[ProblemPublic]:
    """The problem files of the bodies whose content you see, newest first; each lists the
    reports of it that you read whole."""
    stmt = problems.visible_problems_query(session, viewer)
    if body_id is not None:
        stmt = stmt.where(Problem.body_id == body_id)
    items, next_cursor = keyset_page(session, stmt, Problem, Cursor.parse(cursor), limit, newest_first=True)
    return Paged(items=[_problem(session, viewer, p) for p in items], next_cursor=next_cursor)


@router.post("/problems", status_code=201, response_model=ProblemPublic)
def create_problem(data: ProblemCreate, viewer: ApiViewer, session: SessionDep) -> ProblemPublic:
    """Opens a problem file grouping reports of the body that you read whole. The body's chair and
    secretaries, and the staff."""
    return _problem(session, viewer, problems.create_problem(session, viewer=viewer, data=data))


@router.get("/problems/{problem_id}", response_model=ProblemPublic)
def get_problem(problem_id: Id, viewer: ApiViewer, session: SessionDep) -> ProblemPublic:
    """One problem file. The members who see the body's content (404 for others)."""
    return _problem(session, viewer, problems.get_problem(session, viewer, problem_id).problem)


@router.patch("/problems/{problem_id}", response_model=ProblemPublic)
def patch_problem(
    problem_id: Id, patch: ProblemPatch, viewer: ApiViewer, session: SessionDep
) -> ProblemPublic:
    """Changes the fields sent, from the ``version`` read (409 if someone saved since). The body's
    chair and secretaries, and the staff."""
    access = problems.get_problem(session, viewer, problem_id)
    access.body_access.require_manage()
    current = _problem(session, viewer, access.problem).model_dump()
    data = validate(ProblemUpdate, current | patch.model_dump(exclude_unset=True))
    problems.update_problem(session, access=access, data=data)
    return _problem(session, viewer, access.problem)
