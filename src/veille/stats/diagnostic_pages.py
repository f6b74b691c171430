"""HTML pages of the local security diagnostics (the list, the form, the document with its
conclusions saved by htmx, the PDF) and of the plenary's annual report (page and PDF)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille import charts
from veille.access import PageViewer, Viewer
from veille.actions.enums import ActionKind, ActionStatus
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.directory.models import User
from veille.errors import InvalidInput
from veille.exports import Table
from veille.i18n import N_, format_day, translate
from veille.pdf import pdf_download
from veille.stats import annual, diagnostics
from veille.stats.models import ConclusionsIn, DiagnosticIn
from veille.types import Id
from veille.web import (
    Form,
    form_error_response,
    is_htmx,
    parse_form,
    redirect,
    render,
    run_change,
)

router = APIRouter()
PAGE = "stats/diagnostic.html"
SAVED = N_("The conclusions are saved.")
EFFECT_NAMES = {
    "positive": N_("Positive effect"),
    "mixed": N_("Mixed effect"),
    "none": N_("No effect observed"),
    "negative": N_("Negative effect"),
}
STUBS = N_("Social coordination (category not shared)")


def _short(day: date, language: str) -> str:
    return format_day(day, "d MMM y", language)


def _span(window: diagnostics.Window, language: str) -> str:
    return f"{_short(window.since, language)} – {_short(window.until, language)}"


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _change(trend: diagnostics.Trend) -> str:
    percent = f" ({_signed(trend.percent)} %)" if trend.percent is not None else ""
    return _signed(trend.change) + percent


def _trend_chart(doc: diagnostics.Document, language: str) -> tuple[charts.Chart, Table]:
    """Reports by category, the previous period beside this one, and the table under it."""
    names = [t.category.name if t.category else translate(STUBS, language) for t in doc.trends]
    before, now = _span(doc.previous, language), _span(doc.window, language)
    summary = translate(
        N_("%(now)s reports in the period against %(before)s in the previous one."),
        language,
        now=doc.reports,
        before=doc.reports_before,
    )
    chart = charts.grouped_bars(
        translate(N_("Reports by category"), language),
        summary,
        names,
        {before: [t.previous for t in doc.trends], now: [t.current for t in doc.trends]},
    )
    total = diagnostics.Trend(category=None, current=doc.reports, previous=doc.reports_before)
    table = Table(
        title=translate(N_("Reports by category"), language),
        columns=[
            translate(N_("Category"), language),
            translate(N_("Previous period"), language),
            translate(N_("This period"), language),
            translate(N_("Trend"), language),
        ],
        rows=[[name, t.previous, t.current, _change(t)] for name, t in zip(names, doc.trends, strict=True)],
        footer=[[translate(N_("Total"), language), total.previous, total.current, _change(total)]]
        if doc.trends
        else [],
    )
    return chart, table


def _diagnostic_context(
    session: Session, access: diagnostics.DiagnosticAccess, settings: Settings, viewer: Viewer, **extra: Any
) -> dict[str, Any]:
    doc = diagnostics.document(session, access, today=settings.today(), tz=settings.tz)
    chart, table = _trend_chart(doc, str(viewer.user.language))
    return {
        "doc": doc,
        "diagnostic": access.diagnostic,
        "chart": chart,
        "chart_table": table,
        "kinds": list(ActionKind),
        "statuses": list(ActionStatus),
        "effect_names": EFFECT_NAMES,
        "conclusions": access.diagnostic.conclusions,
        "version": access.diagnostic.version,
        "error": None,
        "status_error": None,
        "saved_now": False,
        "nav_active": "diagnostics",
    } | extra


# The list and the form


@router.get("/diagnostics")
def diagnostics_list(
    request: Request, viewer: PageViewer, session: SessionDep, commune: Id | None = None
) -> Response:
    """The diagnostics one may read; ``commune`` keeps those of its sectors (offered once there
    are two communes, a limited coordinator's own only)."""
    communes = [
        c for c in directory.list_communes(session) if not viewer.limited or c.id in (viewer.communes or ())
    ]
    context = {
        "rows": diagnostics.list_diagnostics(session, viewer, commune),
        "communes": communes if len(directory.list_communes(session)) > 1 else [],
        "commune": commune,
        "can_create": diagnostics.may_write_any(session, viewer),
        "nav_active": "diagnostics",
    }
    return render(request, "stats/diagnostics.html", context)


def _form_context(session: Session, viewer: Viewer, values: dict[str, Any]) -> dict[str, Any]:
    sectors = diagnostics.author_sectors(session, viewer)
    return {
        "sectors": [(s.id, s.name) for s in sectors],
        "values": values,
        "nav_active": "diagnostics",
    }


@router.get("/diagnostics/new")
def new_diagnostic_form(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    today = settings.today()
    # By default, the twelve months to today.
    values = {"since": (today - timedelta(days=364)).isoformat(), "until": today.isoformat()}
    return render(request, "stats/diagnostic_form.html", _form_context(session, viewer, values))


@router.post("/diagnostics/new")
def create_diagnostic(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    context = _form_context(session, viewer, dict(form))
    try:
        data = parse_form(
            DiagnosticIn, {k: form.get(k, "") for k in ("sector_id", "since", "until", "title")}
        )
        diagnostic = diagnostics.create_diagnostic(session, viewer=viewer, data=data, today=settings.today())
    except InvalidInput as exc:
        session.rollback()
        return form_error_response(request, "stats/diagnostic_form.html", context, exc)
    return redirect(
        request,
        f"/diagnostics/{diagnostic.id}",
        flash=N_("The diagnostic is drawn up: write its conclusions."),
    )


# One diagnostic
# The PDF's route comes first: "/diagnostics/{id}" would otherwise take "3.pdf" for an id.


@router.get("/diagnostics/{diagnostic_id}.pdf")
def diagnostic_pdf(
    diagnostic_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """The diagnostic as PDF; 304 when the reader holds it already (``pdf.pdf_download``)."""
    access = diagnostics.get_diagnostic(session, viewer, diagnostic_id)
    context = _diagnostic_context(session, access, settings, viewer) | {"settings": settings}
    language, name = str(viewer.user.language), f"diagnostic-{diagnostic_id}.pdf"
    return pdf_download(request, "stats/diagnostic_report.html", context, language, name)


@router.get("/diagnostics/{diagnostic_id}")
def diagnostic_page(
    diagnostic_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = diagnostics.get_diagnostic(session, viewer, diagnostic_id)
    return render(request, PAGE, _diagnostic_context(session, access, settings, viewer))


@router.post("/diagnostics/{diagnostic_id}/conclusions")
def save_conclusions(
    diagnostic_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """To htmx: the page's ``conclusions_status`` block (the save's status and the new version),
    so that the text being typed stays as it is. A save made on an older version is refused
    (409) and the text typed is kept."""
    access = diagnostics.get_diagnostic(session, viewer, diagnostic_id)
    typed = str(form.get("conclusions", ""))
    # The check stays: without htmx, a save answers a redirect (no block can), and the whole
    # page again costs the document's queries, which the status alone does not need.
    htmx = is_htmx(request)

    def save() -> None:
        data = parse_form(ConclusionsIn, {"conclusions": typed, "version": form.get("version", "")})
        diagnostics.save_conclusions(session, access=access, data=data)

    def refused(errors: dict[str, str], status: int) -> Response:
        message = errors.get("__all__") or next(iter(errors.values()))
        if htmx:
            context = {"diagnostic": access.diagnostic, "status_error": message, "saved_now": False}
        else:
            # The page again, with the text typed and the version it was typed on: saving again
            # is refused until the page is reloaded.
            context = _diagnostic_context(
                session,
                access,
                settings,
                viewer,
                conclusions=typed,
                error=message,
                version=form.get("version", ""),
            )
        return render(request, PAGE, context, status_code=status, block="conclusions_status")

    def done() -> Response:
        if not htmx:
            return redirect(request, f"/diagnostics/{diagnostic_id}#conclusions", flash=SAVED)
        context = {"diagnostic": access.diagnostic, "status_error": None, "saved_now": True}
        return render(request, PAGE, context, block="conclusions_status")

    return run_change(session, save, done=done, refused=refused)


# The annual report of the plenary: aggregates over every body for its chair and the staff,
# whose access is the plenary's own (the person, not their viewer: no membership list needed).


def _annual_context(
    session: Session,
    user: User,
    body_id: Id,
    year: int | None,
    settings: Settings,
    commune: int | None = None,
) -> dict[str, Any]:
    access = annual.annual_access(session, user, body_id)
    today = settings.today()
    year = year or today.year
    report = annual.annual_report(session, access, year=year, today=today, tz=settings.tz, commune_id=commune)
    communes = directory.list_communes(session)
    language = str(user.language)
    months = [format_date(month, "MMM", locale=language) for month, _ in report.months]
    chart = charts.grouped_bars(
        translate(N_("Reports by month"), language),
        translate(N_("%(num)s reports in %(year)s."), language, num=report.reports, year=year),
        months,
        {translate(N_("Reports"), language): [n for _, n in report.months]},
    )
    table = Table(
        title=translate(N_("Reports by month"), language),
        columns=[translate(N_("Month"), language), translate(N_("Reports"), language)],
        rows=[[name, n] for name, (_, n) in zip(months, report.months, strict=True)],
        footer=[[translate(N_("Total"), language), report.reports]],
    )
    return {
        "report": report,
        "body": access.body,
        "year": year,
        "years": annual.report_years(today),
        # The commune cut, offered once there are two communes or more.
        "communes": communes if len(communes) > 1 else [],
        "chart": chart,
        "chart_table": table,
        "kinds": list(ActionKind),
        "statuses": list(ActionStatus),
        "effect_names": EFFECT_NAMES,
        "nav_active": "bodies",
    }


YEAR = Query(default=None, ge=2000, le=2100)


@router.get("/bodies/{body_id}/annual-report.pdf")
def annual_report_pdf(
    body_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    year: int | None = YEAR,
    commune: Id | None = None,
) -> Response:
    """The annual report as PDF, cut to a commune if asked; 304 when the reader holds it
    already (``pdf.pdf_download``)."""
    context = _annual_context(session, user, body_id, year, settings, commune) | {"settings": settings}
    name = f"rapport-annuel-{context['year']}.pdf"
    return pdf_download(request, "stats/annual_report_pdf.html", context, str(user.language), name)


@router.get("/bodies/{body_id}/annual-report")
def annual_report_page(
    body_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    year: int | None = YEAR,
    commune: Id | None = None,
) -> Response:
    return render(
        request, "stats/annual_report.html", _annual_context(session, user, body_id, year, settings, commune)
    )
