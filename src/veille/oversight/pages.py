"""Oversight pages: the audit trail for admins (search, pages, CSV export) and the charter
report of a body (page and PDF) for its chair, a plenary's chair and the staff."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session

from veille import exports
from veille.access import PageViewer
from veille.bodies import service as bodies
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.i18n import translate
from veille.oversight import charter, search
from veille.pagination import PAGE_SIZE
from veille.pdf import pdf_download
from veille.types import Id
from veille.web import download, render, validation_errors

router = APIRouter()
FIELDS = tuple(search.Filters.model_fields)


def _filters(request: Request) -> tuple[search.Filters | None, dict[str, str], dict[str, str]]:
    """The search of the query string, the values to show back in the form, and the errors
    (a French message beside each field; the period's under its end)."""
    values = {k: v.strip() for k in FIELDS if (v := request.query_params.get(k, "")).strip()}
    try:
        return search.Filters.model_validate(values), values, {}
    except ValidationError as exc:
        errors = validation_errors(exc)
        if "__all__" in errors:
            errors["until"] = translate(search.PERIOD_REVERSED)
            del errors["__all__"]
        return None, values, errors


@router.get("/admin/audit")
def audit_page(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The search form and a page of events, newest first; to htmx, the ``results`` block."""
    directory.require_admin(user)
    filters, values, errors = _filters(request)
    cursor = request.query_params.get("cursor") or None
    events: list[Any] = []
    next_cursor = None
    if filters is not None:
        events, next_cursor = search.search(
            session, user, filters, tz=settings.tz, via="page", limit=PAGE_SIZE, cursor=cursor
        )
    context = _context(session, values, errors) | {
        "events": events,
        "next_url": f"/admin/audit?{urlencode(values | {'cursor': next_cursor})}" if next_cursor else None,
        "first_url": f"/admin/audit?{urlencode(values)}" if cursor else None,
    }
    return render(
        request, "oversight/audit.html", context, status_code=422 if errors else 200, block="results"
    )


@router.get("/admin/audit/export")
def audit_export(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The current search as CSV (formula-like cells neutralised). Its validator is the latest
    matching event (the log only grows): a second download of the same search, nothing new
    since, answers 304 without building the file, its consultation audited all the same."""
    directory.require_admin(user)
    filters, _values, errors = _filters(request)
    if filters is None:
        return render(request, "oversight/audit.html", _context(session, _values, errors), status_code=422)
    language = str(user.language)
    made_of = (search.latest_match(session, filters, tz=settings.tz), filters, user.id, settings.today())

    def build() -> Response:
        table = search.export(session, user, filters, tz=settings.tz, language=language)
        return download(exports.to_csv(table), "text/csv; charset=utf-8", f"audit-{settings.today()}.csv")

    return exports.validated(
        request, made_of, build, held=lambda: search.record_export(session, user, filters)
    )


def _context(session: Session, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The form's choices and what it was given; no events (a refused search shows none)."""
    people = search.people(session)
    return {
        "events": [],
        "values": values,
        "errors": errors,
        "people": [(u.id, f"{u.name} ({o.name})") for u, o in people],
        "names": {u.id: (u.name, o.name) for u, o in people},
        "organisations": [(o.id, o.name) for o in directory.list_organisations(session)],
        "bodies": [(b.id, b.name) for b in bodies.all_bodies(session)],
        "detail_text": search.detail_text,
        "export_url": f"/admin/audit/export?{urlencode(values)}",
        "next_url": None,
        "first_url": None,
        "nav_active": "admin",
    }


YEAR = Query(default=None, ge=charter.FIRST_YEAR, le=charter.LAST_YEAR)


@router.get("/bodies/{body_id}/charter-report")
def charter_report_page(
    body_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    year: int | None = YEAR,
) -> Response:
    today = settings.today()
    report = charter.build(
        session, viewer, body_id, year=year or today.year, today=today, tz=settings.tz, via="page"
    )
    years = list(range(today.year, max(charter.FIRST_YEAR, report.body.created_at.year) - 1, -1))
    return render(
        request, "oversight/charter_report.html", {"report": report, "years": years, "nav_active": "bodies"}
    )


@router.get("/bodies/{body_id}/charter-report.pdf")
def charter_report_pdf(
    body_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    year: int | None = YEAR,
) -> Response:
    """The charter report as PDF (its consultation audited each time); 304 when the reader holds
    it already (``pdf.pdf_download``)."""
    today = settings.today()
    report = charter.build(
        session, viewer, body_id, year=year or today.year, today=today, tz=settings.tz, via="pdf"
    )
    context = {"report": report, "settings": settings}
    language, name = str(viewer.user.language), f"charte-{report.body.id}-{report.year}.pdf"
    return pdf_download(request, "oversight/charter_report_pdf.html", context, language, name)
