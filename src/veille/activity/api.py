"""JSON API of activity figures (docs/api.md ``/activity-figures``): the monthly counts of the
organisations, one ``{organisation_id, series, month: "YYYY-MM", count}`` each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from veille.access import ApiViewer
from veille.activity import counts
from veille.activity.models import ActivityFigureIn, ActivityFigurePublic
from veille.deps import SessionDep, SettingsDep
from veille.pagination import Cursor, CursorParam, Limit, Paged
from veille.types import MONTH_PATTERN, Id

router = APIRouter(tags=["activity figures"])
MonthParam = Annotated[
    str | None, Query(pattern=MONTH_PATTERN, description="A month, `YYYY-MM` (included), 1900 to 2199")
]


@router.get("/activity-figures", response_model=Paged[ActivityFigurePublic])
def list_figures(
    viewer: ApiViewer,
    session: SessionDep,
    organisation_id: Id | None = None,
    series: Annotated[str | None, Query(max_length=120, description="A series' name")] = None,
    since: MonthParam = None,
    until: MonthParam = None,
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> Paged[ActivityFigurePublic]:
    """The counts you may read: your organisation's (every organisation's for admins and
    coordinators), in the order they were first entered. Another organisation's
    ``organisation_id``: 404."""
    items, next_cursor = counts.figures(
        session,
        viewer,
        organisation_id=organisation_id,
        series=series,
        since=counts.parse_month(since) if since else None,
        until=counts.parse_month(until) if until else None,
        limit=limit,
        cursor=Cursor.parse(cursor),
    )
    return Paged(items=items, next_cursor=next_cursor)


@router.post(
    "/activity-figures",
    status_code=201,
    response_model=ActivityFigurePublic,
    responses={200: {"description": "An existing count, replaced", "model": ActivityFigurePublic}},
)
def put_figure(
    data: ActivityFigureIn, viewer: ApiViewer, session: SessionDep, settings: SettingsDep, response: Response
) -> ActivityFigurePublic:
    """Sets one month's count of a series of your organisation (201 when new, 200 when it
    replaces the month's count); admins and coordinators set any organisation's. The series must
    exist (defined on the activity-figures pages): an unknown name is refused (422) rather than
    created from a typo. A month that has not begun: 422."""
    figure, created = counts.set_figure(session, viewer=viewer, data=data, today=settings.today())
    if not created:
        response.status_code = 200
    return figure
