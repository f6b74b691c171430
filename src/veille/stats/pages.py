"""The statistics page: reports and actions over the bodies, sectors, categories and period
chosen, each table with its chart and its CSV and XLSX exports."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from veille import exports
from veille.access import PageViewer, Viewer
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.errors import NotFound
from veille.i18n import N_, translate
from veille.stats import service
from veille.types import check_period
from veille.web import download, render

# An export's file name, in the reader's language.
STATISTICS, ALL_TABLES = N_("statistics"), N_("all tables")
router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: Request, today: date) -> tuple[service.Filters, dict[str, Any], dict[str, str]]:
    """The filters of the query string, the values to show back in the form, and the errors."""
    params = request.query_params
    raw = {
        key: [v for v in params.getlist(key) if v.strip()]
        for key in ("body_id", "commune_id", "sector_id", "category_id")
    }
    values: dict[str, Any] = raw | {k: params.get(k, "") for k in ("since", "until")}
    try:
        filters = service.Filters.model_validate(
            raw | {k: v for k in ("since", "until") if (v := params.get(k, "").strip())}
        )
    except ValidationError:
        return service.Filters(), values, {"__all__": translate(N_("Check the filters."))}
    if not filters.since and not filters.until:
        # Three calendar years side by side, this one included.
        filters.since = date(today.year - 2, 1, 1)
        values["since"] = filters.since.isoformat()
    errors = check_period(filters.since, filters.until, today)
    if errors:
        return service.Filters(), values, {field: translate(message) for field, message in errors.items()}
    return filters, values, {}


def _sections(
    session: Session, viewer: Viewer, request: Request, settings: Settings
) -> tuple[service.Scope, service.Filters, dict[str, Any], dict[str, str], list[service.Section], Any]:
    today = settings.today()
    filters, values, errors = _filters(request, today)
    scope = service.scope(session, viewer)
    counted = service.counted(session, scope, filters, settings.tz, today)
    reports = service.situation_sections(scope, filters, counted, today)
    summary, actions = service.action_sections(session, counted)
    return scope, filters, values, errors, reports + actions, summary


@router.get("/stats")
def stats_page(request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep) -> Response:
    scope, _filters_used, values, errors, sections, summary = _sections(session, viewer, request, settings)
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
        "sectors": scope.sectors,
        "communes": scope.communes if len(scope.communes) > 1 else [],
        "categories": scope.categories,
        "query": query,
        "nav_active": "stats",
    }
    return render(request, "stats/page.html", context)


@router.get("/stats/export")
def export(request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep) -> Response:
    """One table as CSV (``format=csv``), else one or every table (``table`` absent) as XLSX;
    a second download of unchanged figures answers 304 (``exports.validated``)."""

    def build() -> Response:
        _scope, _f, _values, _errors, sections, _summary = _sections(session, viewer, request, settings)
        wanted = request.query_params.get("table")
        chosen = [s.table for s in sections if not wanted or s.key == wanted]
        if not chosen:
            raise NotFound()
        stamp = settings.today().isoformat()
        # In the reader's language, as the tables' titles are (they read "reports-by-category").
        what = chosen[0].title if wanted else translate(ALL_TABLES)
        name = f"veille-{exports.slug(translate(STATISTICS))}-{exports.slug(what)}-{stamp}"
        if request.query_params.get("format") == "csv" and len(chosen) == 1:
            return download(exports.to_csv(chosen[0]), "text/csv; charset=utf-8", f"{name}.csv")
        return download(exports.to_xlsx(chosen), XLSX, f"{name}.xlsx")

    made_of = service.fingerprint(session, viewer), sorted(request.query_params.multi_items())
    return exports.validated(request, (made_of, settings.today()), build)
