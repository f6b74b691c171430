"""HTML pages of activity figures: an organisation's month × year tables with their charts and
exports, the monthly entry grid (each cell saved by htmx as it is typed, or the whole grid by
its button), and the list of its series. Who may do what: ``veille.activity.series``."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille import exports
from veille.access import PageViewer, Viewer
from veille.activity import counts, series, tables
from veille.activity.models import SeriesIn
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.models import Organisation
from veille.errors import InvalidInput, NotFound
from veille.i18n import N_, translate
from veille.types import MAX_PERIOD_YEARS, PERIOD_TOO_LONG, Id, parse_id, parse_int
from veille.web import Form, download, is_htmx, parse_form, redirect, render, run_change

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
GRID = "activity/grid.html"
SERIES = "activity/series.html"
SAVED = N_("The figures are saved.")


def _language(viewer: Viewer) -> str:
    return str(viewer.user.language)


def _common(organisation: Organisation, viewer: Viewer, tab: str) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "tab": tab,
        "staff": viewer.staff,
        "nav_active": "activity",
    }


@router.get("/activity")
def activity_home(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    """A member goes straight to their organisation's figures; the staff choose one."""
    if not viewer.staff:
        return redirect(request, f"/activity/{viewer.organisation_id}")
    try:
        chosen: int | None = parse_id(request.query_params.get("organisation_id"))
    except ValueError:
        chosen = None  # none chosen yet
    if chosen is not None:
        return redirect(request, f"/activity/{chosen}")
    context = {
        "rows": series.overview(session, viewer),
        "organisations": directory.list_organisations(session),
        "nav_active": "activity",
    }
    return render(request, "activity/index.html", context)


# The month × year tables


def _year(raw: str | None, today: date) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    return parse_int(text, minimum=counts.MIN_YEAR, maximum=today.year)


def _tables(
    request: Request, session: Session, organisation: Organisation, today: date
) -> tuple[tables.YearTables, dict[str, str]]:
    params = request.query_params
    try:
        since, until = _year(params.get("since"), today), _year(params.get("until"), today)
        errors = {}
    except ValueError:
        since, until, errors = None, None, {"__all__": N_("Check the filters.")}
    if since is not None and until is not None and abs(until - since) >= MAX_PERIOD_YEARS:
        since, until, errors = None, None, {"__all__": PERIOD_TOO_LONG}
    return tables.year_tables(session, organisation, since=since, until=until, today=today), errors


@router.get("/activity/{organisation_id}")
def figures_page(
    organisation_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    organisation = series.get_organisation(session, viewer, organisation_id)
    today = settings.today()
    found, errors = _tables(request, session, organisation, today)
    language = _language(viewer)
    period = f"since={found.years[0]}&until={found.years[-1]}"
    sections = [(s, s.table(language), s.chart(language)) for s in found.series]
    context = _common(organisation, viewer, "tables") | {
        "tables": found,
        "sections": sections,
        "period": period,
        "errors": {field: translate(message, language) for field, message in errors.items()},
        "year_choices": list(range(min(found.first_year or today.year, found.years[0]), today.year + 1)),
    }
    return render(request, "activity/tables.html", context)


@router.get("/activity/{organisation_id}/export")
def export(
    organisation_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """One series (``series=<id>``) or all of them: CSV (all: one long table) or XLSX (one sheet
    per series). Its validator is made of the figures it holds (a few hundred cells): a second
    download of unchanged figures answers 304 without writing the file."""
    organisation = series.get_organisation(session, viewer, organisation_id)
    found, _errors = _tables(request, session, organisation, settings.today())
    language = _language(viewer)
    wanted = request.query_params.get("series", "")
    chosen = [s for s in found.series if not wanted or str(s.series.id) == wanted]
    if not chosen:
        raise NotFound()
    years = f"{found.years[0]}-{found.years[-1]}"
    part = f"{exports.slug(chosen[0].series.name, limit=40)}-" if wanted else ""
    name = f"indicateurs-{exports.slug(organisation.name, 'organisation', 40)}-{part}{years}"
    if request.query_params.get("format") == "xlsx":
        sheets = [s.table(language, export=True) for s in chosen]
        return exports.validated(
            request,
            ("xlsx", name, [(t.title, t.columns, t.rows, t.footer) for t in sheets]),
            lambda: download(exports.to_xlsx(sheets), XLSX, f"{name}.xlsx"),
        )
    table = chosen[0].table(language, export=True) if wanted else tables.long_table(found, language)
    return exports.validated(
        request,
        ("csv", name, table.title, table.columns, table.rows, table.footer),
        lambda: download(exports.to_csv(table), CSV, f"{name}.csv"),
    )


# The entry grid


def _grid_context(
    session: Session, viewer: Viewer, organisation: Organisation, year: int, today: date, **extra: Any
) -> dict[str, Any]:
    grid = counts.grid(session, organisation, year, today)
    language = _language(viewer)
    return (
        _common(organisation, viewer, "grid")
        | {
            "grid": grid,
            "month_names": [m.capitalize() for m in tables.month_names(language)],
            "month_labels": [tables.month_label(m, language) for m in grid.months],
            "cell_name": counts.cell_name,
            "years": list(range(today.year, counts.MIN_YEAR - 1, -1)),
            "values": {},
            "errors": {},
            "cell": None,
        }
        | extra
    )


@router.get("/activity/{organisation_id}/grid")
def grid_page(
    organisation_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    organisation = series.get_organisation(session, viewer, organisation_id)
    today = settings.today()
    year = counts.clamp_year(request.query_params.get("year"), today)
    return render(request, GRID, _grid_context(session, viewer, organisation, year, today))


def _cells(form: Form) -> dict[str, str]:
    return {k: v for k, v in form.items() if k.startswith("c-") and isinstance(v, str)}


@router.post("/activity/{organisation_id}/grid")
def save_grid(
    organisation_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """The whole grid at once (its button, or Enter in a cell): every cell saved, or none."""
    organisation = series.get_organisation(session, viewer, organisation_id)
    today = settings.today()
    year = counts.clamp_year(str(form.get("year", "")), today)
    values = _cells(form)

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _grid_context(session, viewer, organisation, year, today, values=values, errors=errors)
        return render(request, GRID, context, status_code=status)

    return run_change(
        session,
        lambda: counts.save_counts(
            session, user=viewer.user, organisation=organisation, values=values, today=today
        ),
        done=lambda: redirect(request, f"/activity/{organisation_id}/grid?year={year}", flash=SAVED),
        refused=refused,
    )


@router.post("/activity/{organisation_id}/grid/cell")
def save_cell(
    organisation_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """One cell, as htmx sends it when typing pauses: its status (saved, or the error) comes
    back into the cell and into the grid's live region (the grid's ``cell`` block); without
    htmx, the grid again."""
    organisation = series.get_organisation(session, viewer, organisation_id)
    today = settings.today()
    values = _cells(form)
    parsed = counts.parse_cell_name(next(iter(values))) if len(values) == 1 else None
    if parsed is None:
        raise InvalidInput({"__all__": N_("Check this value.")})
    found = series.get_series(session, organisation, parsed[0])
    name = next(iter(values))
    year = parsed[1].year
    label = f"{found.name}, {tables.month_label(parsed[1], _language(viewer))}"

    # htmx replaces the cell's status and the grid's live region (the grid's ``cell`` block);
    # without htmx (no script), the answer is the whole grid: a redirect to it once saved, the
    # grid with the error otherwise. The check stays: a block cannot answer a redirect.
    htmx = is_htmx(request)

    def answer(errors: dict[str, str], status: int) -> Response:
        session.rollback()
        error = errors.get(name) or errors.get("__all__")
        cell = {"name": name, "label": label, "error": error} if htmx else None
        context = _grid_context(
            session, viewer, organisation, year, today, values=values, errors=errors, cell=cell
        )
        return render(request, GRID, context, status_code=status, block="cell")

    def done() -> Response:
        if not htmx:
            return redirect(request, f"/activity/{organisation_id}/grid?year={year}", flash=SAVED)
        return answer({}, 200)

    return run_change(
        session,
        lambda: counts.save_counts(
            session, user=viewer.user, organisation=organisation, values=values, today=today
        ),
        done=done,
        refused=answer,
    )


# Series


def _series_context(
    session: Session, viewer: Viewer, organisation: Organisation, **extra: Any
) -> dict[str, Any]:
    return (
        _common(organisation, viewer, "series")
        | {
            "series": series.list_series(session, organisation.id or 0),
            "values": {"position": "", "active": True},
            "errors": {},
            "row_errors": {},
            "typed": {},
        }
        | extra
    )


@router.get("/activity/{organisation_id}/series")
def series_page(organisation_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    organisation = series.get_organisation(session, viewer, organisation_id)
    return render(request, SERIES, _series_context(session, viewer, organisation))


def _series_values(form: Form) -> dict[str, Any]:
    """An unticked box sends nothing: inactive; a blank order is 0."""
    return {
        "name": form.get("name", ""),
        "position": form.get("position", ""),
        "active": form.get("active") == "1",
    }


@router.post("/activity/{organisation_id}/series")
def create_series(
    organisation_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    organisation = series.get_organisation(session, viewer, organisation_id)
    values = _series_values(form)
    created: list[int | None] = []

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _series_context(session, viewer, organisation, values=values, errors=errors)
        return render(request, SERIES, context, status_code=status)

    return run_change(
        session,
        lambda: created.append(
            series.create_series(
                session, user=viewer.user, organisation=organisation, data=parse_form(SeriesIn, values)
            ).id
        ),
        done=lambda: redirect(
            request,
            f"/activity/{organisation_id}/series#series-{created[0]}",
            flash=N_("The series is added: its column is in the monthly grid."),
        ),
        refused=refused,
    )


@router.post("/activity/{organisation_id}/series/{series_id}")
def update_series(
    organisation_id: Id, series_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    organisation = series.get_organisation(session, viewer, organisation_id)
    found = series.get_series(session, organisation, series_id)
    values = _series_values(form)

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _series_context(
            session,
            viewer,
            organisation,
            row_errors={series_id: " ".join(errors.values())},
            typed={series_id: values},
        )
        return render(request, SERIES, context, status_code=status)

    return run_change(
        session,
        lambda: series.update_series(
            session,
            user=viewer.user,
            organisation=organisation,
            series=found,
            data=parse_form(SeriesIn, values),
        ),
        done=lambda: redirect(
            request,
            f"/activity/{organisation_id}/series#series-{series_id}",
            flash=N_("The series is saved."),
        ),
        refused=refused,
    )
