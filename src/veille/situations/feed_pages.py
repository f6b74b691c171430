"""HTML pages of the report feed: every report the person may see, and one body's, filtered by
the query string. htmx replaces the list alone (the page's ``feed`` block) as the filters
change."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from veille.access import PageViewer, Viewer, may_contribute
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.i18n import N_, translate
from veille.situations import feed
from veille.situations.categories import categories
from veille.situations.enums import SituationStatus
from veille.types import PERIOD_BOUNDS, Id, parse_int
from veille.web import redirect, render, translated, validation_errors

router = APIRouter()
FEED = "situations/feed.html"
# Said above the results too, beside a refused period: they are not filtered, and htmx redraws
# them alone, not the filters with their messages.
NOT_APPLIED = N_("The filters are not applied: check the period.")
NOT_APPLIED_CHOICE = N_("The filters are not applied: check the ones marked.")
NOT_OFFERED = N_("Choose one of the proposed values.")


def read_filters(
    request: Request, offered: Mapping[str, Collection[object]]
) -> tuple[feed.Filters, dict[str, str], dict[str, str]]:
    """The feed's filters from the page's query string (a blank field is no filter, a long search
    is cut), the values as typed, and the errors to show next to them. A value its list does not
    offer (``offered``: a body one left, in an old bookmark) is refused: applied, it showed no
    report under a list that said "all"."""
    values = {k: v for k, v in request.query_params.items() if k != "page"}
    given = {k: v for k, v in values.items() if v.strip()}
    if "q" in given:
        given["q"] = given["q"].strip()[: feed.Q_MAX]
    try:
        filters = feed.Filters.model_validate(given)
    except ValidationError as exc:
        refused = validation_errors(exc)
        # A day beyond the type's years is beyond Veille's period too: say the period's bounds.
        bounds = ("greater_than_equal", "less_than_equal")
        beyond = {str(e["loc"][0]) for e in exc.errors() if e["loc"] and e["type"] in bounds}
        refused |= {field: translate(PERIOD_BOUNDS) for field in beyond & {"since", "until"}}
    else:
        refused = translated(filters.period_errors(request.app.state.settings.today()))
        chosen = filters.model_dump()
        refused |= {
            field: translate(NOT_OFFERED)
            for field, choices in offered.items()
            if chosen.get(field) is not None and chosen[field] not in choices
        }
        if not refused:
            return filters, values, {}
    only_period = refused.keys() <= {"since", "until"}
    return (
        feed.Filters(),
        values,
        {**refused, "__all__": translate(NOT_APPLIED if only_period else NOT_APPLIED_CHOICE)},
    )


def offered_filters(
    session: Session, viewer: Viewer, *, body_choice: bool = True
) -> tuple[list[Any], list[Any], list[Any], dict[str, set[object]]]:
    """The lists the filters offer (one's bodies, the sectors, the categories) and, by field,
    the values they hold."""
    visible = bodies.visible_bodies(session, viewer.user)
    sectors = directory.list_sectors(session)
    kinds = categories(session, active_only=False)
    offered: dict[str, set[object]] = {
        "sector_id": {s.id for s in sectors},
        "category": {c.code for c in kinds},
    }
    if body_choice:
        offered["body_id"] = {b.id for b in visible}
    return visible, sectors, kinds, offered


def _page(request: Request) -> int:
    try:
        return parse_int(request.query_params.get("page", "1"), minimum=1, maximum=100_000)
    except ValueError:
        return 1


def _context(
    request: Request, session: Session, viewer: Viewer, tz: object, body_id: Id | None
) -> dict[str, Any]:
    # First: the rows find their bodies loaded.
    visible_bodies, sectors, kinds, offered = offered_filters(session, viewer, body_choice=body_id is None)
    filters, values, errors = read_filters(request, offered)
    if body_id is not None:
        filters = filters.model_copy(update={"body_id": body_id})
    page, rows = feed.feed(session, viewer, filters, page=_page(request), tz=tz)
    query = urlencode({k: v for k, v in values.items() if v})
    on_map = {k: v for k, v in values.items() if v and not errors} | (
        {"body_id": str(body_id)} if body_id else {}
    )
    return {
        "rows": rows,
        "page": page,
        "filters": values,
        "errors": errors,
        "categories": kinds,
        "sectors": sectors,
        "bodies": visible_bodies,
        "statuses": list(SituationStatus),
        "base_url": request.url.path + (f"?{query}" if query else ""),
        "map_query": f"?{urlencode(on_map)}" if on_map else "",
        "nav_active": "situations",
    }


@router.get("/situations")
def my_feed(request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep) -> Response:
    context = _context(request, session, viewer, settings.tz, None)
    can_post = any(may_contribute(viewer, b) for b in context["bodies"])
    return render(request, FEED, context | {"body": None, "can_post": can_post}, block="feed")


@router.get("/bodies/{body_id}/situations")
def body_feed(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    access.require_members()
    context = _context(request, session, viewer, settings.tz, body_id)
    can_group = access.can_manage and access.body.status == BodyStatus.active
    can_post = may_contribute(viewer, access.body)
    context |= {"body": access.body, "access": access, "can_group": can_group, "can_post": can_post}
    return render(request, FEED, context, block="feed")
