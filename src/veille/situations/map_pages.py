"""The map of reports: ``/map`` shows the reports a person reads whole that match the feed's
filters (a sector's with its outline, through ``sector_id``) on a map, with the table of the
same reports beside it for those who do not use the map; ``/map/data`` is what the page's
script draws (JSON, same filters, or a venue's reports with ``venue_id``). Both come from
``mapping.map_data``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from veille.access import PageViewer
from veille.deps import SessionDep, SettingsDep
from veille.errors import InvalidInput
from veille.situations import mapping
from veille.situations.enums import SituationStatus
from veille.situations.feed_pages import offered_filters, read_filters
from veille.web import render, validation_errors

router = APIRouter()
MAP = "situations/map.html"


@router.get("/map")
def map_page(request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep) -> Response:
    visible, sectors, kinds, offered = offered_filters(session, viewer)
    filters, values, errors = read_filters(request, offered)
    chosen = mapping.MapFilters.model_validate(filters.model_dump())
    data = mapping.map_data(session, viewer, chosen, settings.tz, via="map")
    query = urlencode({k: v for k, v in values.items() if v and not errors})
    context: dict[str, Any] = {
        "data": data,
        "data_url": "/map/data" + (f"?{query}" if query else ""),
        "feed_url": "/situations" + (f"?{query}" if query else ""),
        "filters": values,
        "errors": errors,
        "sector": next((s for s in sectors if s.id == filters.sector_id), None),
        "sectors": sectors,
        "categories": kinds,
        "bodies": visible,
        "statuses": list(SituationStatus),
        "limit": mapping.MAP_LIMIT,
        "nav_active": "situations",
    }
    return render(request, MAP, context)


@router.get("/map/data")
def map_data(request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep) -> Response:
    """The points of the map (``mapping.MapPublic``) for the page's script; 422 for filters
    that are not ones."""
    given = {k: v.strip() for k, v in request.query_params.items() if v.strip()}
    try:
        filters = mapping.MapFilters.model_validate(given)
    except ValidationError as exc:
        raise InvalidInput(validation_errors(exc)) from exc
    period = filters.period_errors(settings.today())
    if period:
        raise InvalidInput(period)
    data = mapping.map_data(session, viewer, filters, settings.tz, via="map")
    return JSONResponse(data.public.model_dump(mode="json"))
