"""The statistics page: reports and actions over the bodies, sectors, categories and period
chosen, each table with its chart and its CSV and XLSX exports."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from veille import exports
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.directory.models import User
from veille.errors import NotFound
from veille.i18n import N_, translate
from veille.situations import service as situations
from veille.stats import service
from veille.types import IdList, check_period
from veille.web import download, render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatsQuery(BaseModel):
    body_id: IdList = []
    sector_id: IdList = []
    category_id: IdList = []
    since: date | None = None  # bounded by check_period
    until: date | None = None


def _filters(request: Request, today: date) -> tuple[service.Filters, dict[str, Any], dict[str, str]]:
    params = request.query_params
    raw = {
        key: [v for v in params.getlist(key) if v.strip()] for key in ("body_id", "sector_id", "category_id")
    }
    values: dict[str, Any] = raw | {k: params.get(k, "") for k in ("since", "until")}
    try:
        query = StatsQuery.model_validate(
            raw | {k: v for k in ("since", "until") if (v := params.get(k, "").strip())}
        )
    except ValidationError:
        return service.Filters(), values, {"__all__": translate(N_("Check the filters."))}
    if not query.since and not query.until:
        # Three calendar years side by side, this one included.
        query.since = date(today.year - 2, 1, 1)
        values["since"] = query.since.isoformat()
    errors = check_period(query.since, query.until, today)
    if errors:
        return service.Filters(), values, {field: translate(message) for field, message in errors.items()}
    filters = service.Filters(
        body_ids=tuple(query.body_id),
        sector_ids=tuple(query.sector_id),
        category_ids=tuple(query.category_id),
        since=query.since,
        until=query.until,
    )
    return filters, values, {}


def _sections(
    session: Session, user: User, request: Request, settings: Settings
) -> tuple[service.Scope, service.Filters, dict[str, Any], dict[str, str], list[service.Section], Any]:
    today = settings.today()
    filters, values, errors = _filters(request, today)
    scope = service.scope(session, user)
    reports = service.situation_sections(session, scope, filters, settings.tz, today)
    summary, actions = service.action_sections(session, scope, filters, settings.tz, today)
    return scope, filters, values, errors, reports + actions, summary


@router.get("/stats")
def stats_page(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    scope, _filters_used, values, errors, sections, summary = _sections(session, user, request, settings)
    query = urlencode(
        [
            (k, v)
            for k, vs in request.query_params.multi_items()
            for v in [vs]
            if k != "format" and k != "table"
        ]
    )
    context = {
        "sections": {s.key: s for s in sections},
        "summary": summary,
        "scope": scope,
        "values": values,
        "errors": errors,
        "bodies": scope.bodies,
        "sectors": directory.list_sectors(session),
        "categories": situations.categories(session, active_only=False),
        "query": query,
        "nav_active": "stats",
    }
    return render(request, "stats/page.html", context)


@router.get("/stats/export")
def export(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    """One table as CSV (``format=csv``), else one or every table (``table`` absent) as XLSX."""
    _scope, _f, _values, _errors, sections, _summary = _sections(session, user, request, settings)
    wanted = request.query_params.get("table")
    chosen = [s.table for s in sections if not wanted or s.key == wanted]
    if not chosen:
        raise NotFound()
    stamp = settings.today().isoformat()
    name = f"veille-statistiques-{wanted or 'toutes'}-{stamp}".replace("_", "-")
    if request.query_params.get("format") == "csv" and len(chosen) == 1:
        return download(exports.to_csv(chosen[0]), "text/csv; charset=utf-8", f"{name}.csv")
    return download(exports.to_xlsx(chosen), XLSX, f"{name}.xlsx")
