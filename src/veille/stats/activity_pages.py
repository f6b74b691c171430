"""HTML pages of activity figures: an organisation's month × year tables with their charts and
exports, the monthly entry grid (each cell saved by htmx as it is typed, or the whole grid by
its button), and the list of its series. Who may do what: ``veille.stats.activity``."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.directory.models import Organisation, User
from veille.directory.service import is_staff
from veille.errors import InvalidInput, NotFound
from veille.i18n import N_, translate
from veille.stats import activity
from veille.stats.exports import to_csv, to_xlsx
from veille.stats.models import SeriesIn
from veille.types import MAX_PERIOD_YEARS, PERIOD_TOO_LONG, Id, parse_id, parse_int
from veille.web import Form, download, is_htmx, parse_form, redirect, render

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
GRID = "stats/activity_grid.html"
CELL = "stats/_activity_cell.html"
SERIES = "stats/activity_series.html"


def _language(user: User) -> str:
    return str(user.language)


def _translated(errors: dict[str, str], user: User) -> dict[str, str]:
    """Messages in the person's language (the request's language is set only while rendering)."""
    language = _language(user)
    return {field: translate(message, language) for field, message in errors.items()}


def _common(organisation: Organisation, user: User, tab: str) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "tab": tab,
        "staff": is_staff(user),
        "nav_active": "activity",
    }


@router.get("/activity")
def activity_home(request: Request, user: PageUser, session: SessionDep) -> Response:
    """A member goes straight to their organisation's figures; the staff choose one."""
    if not is_staff(user):
        return redirect(request, f"/activity/{user.organisation_id}")
    try:
        chosen: int | None = parse_id(request.query_params.get("organisation_id"))
    except ValueError:
        chosen = None  # none chosen yet
    if chosen is not None:
        return redirect(request, f"/activity/{chosen}")
    context = {
        "rows": activity.overview(session, user),
        "organisations": directory.list_organisations(session),
        "nav_active": "activity",
    }
    return render(request, "stats/activity_index.html", context)


# The month × year tables


def _year(raw: str | None, today: date) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    return parse_int(text, minimum=activity.MIN_YEAR, maximum=today.year)


def _tables(
    request: Request, session: Session, organisation: Organisation, today: date
) -> tuple[activity.YearTables, dict[str, str]]:
    params = request.query_params
    try:
        since, until = _year(params.get("since"), today), _year(params.get("until"), today)
        errors = {}
    except ValueError:
        since, until, errors = None, None, {"__all__": N_("Check the filters.")}
    if since is not None and until is not None and abs(until - since) >= MAX_PERIOD_YEARS:
        since, until, errors = None, None, {"__all__": PERIOD_TOO_LONG}
    return activity.year_tables(session, organisation, since=since, until=until, today=today), errors


@router.get("/activity/{organisation_id}")
def figures_page(
    organisation_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    organisation = activity.get_organisation(session, user, organisation_id)
    today = settings.today()
    tables, errors = _tables(request, session, organisation, today)
    language = _language(user)
    period = f"since={tables.years[0]}&until={tables.years[-1]}"
    sections = [(s, s.table(language), s.chart(language)) for s in tables.series]
    context = _common(organisation, user, "tables") | {
        "tables": tables,
        "sections": sections,
        "period": period,
        "errors": _translated(errors, user),
        "year_choices": list(range(min(tables.first_year or today.year, tables.years[0]), today.year + 1)),
    }
    return render(request, "stats/activity.html", context)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:40] or "organisation"


@router.get("/activity/{organisation_id}/export")
def export(
    organisation_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """One series (``series=<id>``) or all of them: CSV (all: one long table) or XLSX (one sheet
    per series)."""
    organisation = activity.get_organisation(session, user, organisation_id)
    tables, _errors = _tables(request, session, organisation, settings.today())
    language = _language(user)
    wanted = request.query_params.get("series", "")
    chosen = [s for s in tables.series if not wanted or str(s.series.id) == wanted]
    if not chosen:
        raise NotFound()
    years = f"{tables.years[0]}-{tables.years[-1]}"
    part = f"{_slug(chosen[0].series.name)}-" if wanted else ""
    name = f"indicateurs-{_slug(organisation.name)}-{part}{years}"
    if request.query_params.get("format") == "xlsx":
        return download(to_xlsx([s.table(language, export=True) for s in chosen]), XLSX, f"{name}.xlsx")
    table = chosen[0].table(language, export=True) if wanted else activity.long_table(tables, language)
    return download(to_csv(table), CSV, f"{name}.csv")


# The entry grid


def _grid_context(
    session: Session, user: User, organisation: Organisation, year: int, today: date, **extra: Any
) -> dict[str, Any]:
    grid = activity.grid(session, organisation, year, today)
    language = _language(user)
    return (
        _common(organisation, user, "grid")
        | {
            "grid": grid,
            "month_names": [m.capitalize() for m in activity.month_names(language)],
            "month_labels": [activity.month_label(m, language) for m in grid.months],
            "cell_name": activity.cell_name,
            "years": list(range(today.year, activity.MIN_YEAR - 1, -1)),
            "values": {},
            "errors": {},
        }
        | extra
    )


@router.get("/activity/{organisation_id}/grid")
def grid_page(
    organisation_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    organisation = activity.get_organisation(session, user, organisation_id)
    today = settings.today()
    year = activity.clamp_year(request.query_params.get("year"), today)
    return render(request, GRID, _grid_context(session, user, organisation, year, today))


def _cells(form: Form) -> dict[str, str]:
    return {k: v for k, v in form.items() if k.startswith("c-") and isinstance(v, str)}


@router.post("/activity/{organisation_id}/grid")
def save_grid(
    organisation_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """The whole grid at once (its button, or Enter in a cell): every cell saved, or none."""
    organisation = activity.get_organisation(session, user, organisation_id)
    today = settings.today()
    year = activity.clamp_year(str(form.get("year", "")), today)
    values = _cells(form)
    try:
        activity.save_counts(session, user=user, organisation=organisation, values=values, today=today)
    except InvalidInput as exc:
        session.rollback()
        context = _grid_context(
            session, user, organisation, year, today, values=values, errors=_translated(exc.errors, user)
        )
        return render(request, GRID, context, status_code=422)
    return redirect(
        request, f"/activity/{organisation_id}/grid?year={year}", flash=N_("The figures are saved.")
    )


@router.post("/activity/{organisation_id}/grid/cell")
def save_cell(
    organisation_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """One cell, as htmx sends it when typing pauses: its status (saved, or the error) comes
    back into the cell and into the grid's live region."""
    organisation = activity.get_organisation(session, user, organisation_id)
    today = settings.today()
    values = _cells(form)
    parsed = activity.parse_cell_name(next(iter(values))) if len(values) == 1 else None
    if parsed is None:
        raise InvalidInput({"__all__": N_("Check this value.")})
    series = activity.get_series(session, organisation, parsed[0])
    name, raw = next(iter(values.items()))
    error = None
    try:
        activity.save_counts(session, user=user, organisation=organisation, values=values, today=today)
    except InvalidInput as exc:
        session.rollback()
        error = translate(exc.errors[name], _language(user))
    year = parsed[1].year
    if not is_htmx(request):
        if error is None:
            return redirect(
                request, f"/activity/{organisation_id}/grid?year={year}", flash=N_("The figures are saved.")
            )
        context = _grid_context(session, user, organisation, year, today, values=values, errors={name: error})
        return render(request, GRID, context, status_code=422)
    context = {
        "name": name,
        "label": f"{series.name}, {activity.month_label(parsed[1], _language(user))}",
        "value": raw.strip(),
        "error": error,
    }
    return render(request, CELL, context, status_code=422 if error else 200)


# Series


def _series_context(session: Session, user: User, organisation: Organisation, **extra: Any) -> dict[str, Any]:
    return (
        _common(organisation, user, "series")
        | {
            "series": activity.list_series(session, organisation.id or 0),
            "values": {"position": "", "active": True},
            "errors": {},
            "row_errors": {},
            "typed": {},
        }
        | extra
    )


@router.get("/activity/{organisation_id}/series")
def series_page(organisation_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    organisation = activity.get_organisation(session, user, organisation_id)
    return render(request, SERIES, _series_context(session, user, organisation))


def _series_values(form: Form) -> dict[str, Any]:
    """An unticked box sends nothing: inactive; a blank order is 0."""
    return {
        "name": form.get("name", ""),
        "position": form.get("position", ""),
        "active": form.get("active") == "1",
    }


@router.post("/activity/{organisation_id}/series")
def create_series(
    organisation_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    organisation = activity.get_organisation(session, user, organisation_id)
    values = _series_values(form)
    try:
        series = activity.create_series(
            session, user=user, organisation=organisation, data=parse_form(SeriesIn, values)
        )
    except InvalidInput as exc:
        session.rollback()
        context = _series_context(
            session, user, organisation, values=values, errors=_translated(exc.errors, user)
        )
        return render(request, SERIES, context, status_code=422)
    return redirect(
        request,
        f"/activity/{organisation_id}/series#series-{series.id}",
        flash=N_("The series is added: its column is in the monthly grid."),
    )


@router.post("/activity/{organisation_id}/series/{series_id}")
def update_series(
    organisation_id: Id, series_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    organisation = activity.get_organisation(session, user, organisation_id)
    series = activity.get_series(session, organisation, series_id)
    values = _series_values(form)
    try:
        activity.update_series(
            session, user=user, organisation=organisation, series=series, data=parse_form(SeriesIn, values)
        )
    except InvalidInput as exc:
        session.rollback()
        message = " ".join(_translated(exc.errors, user).values())
        context = _series_context(
            session, user, organisation, row_errors={series_id: message}, typed={series_id: values}
        )
        return render(request, SERIES, context, status_code=422)
    return redirect(
        request, f"/activity/{organisation_id}/series#series-{series_id}", flash=N_("The series is saved.")
    )
