"""HTML pages of situation reports: feeds, the posting form, a report with its timeline and
attachments, problem files, the categories list."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session
from starlette.datastructures import UploadFile

from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.directory.models import User
from veille.errors import InvalidInput, NotFound, ServiceError
from veille.i18n import N_, translate
from veille.situations import files, service
from veille.situations.enums import STATUS_MOVES, Confidentiality, SituationStatus
from veille.situations.models import (
    Attachment,
    CategoryIn,
    ProblemCreate,
    ProblemUpdate,
    SituationCreate,
    SituationUpdate,
    SituationUpdateIn,
)
from veille.situations.privacy import HINTS, personal_data_hints
from veille.types import Day, Id, Int, check_period, parse_int
from veille.venues import service as venues
from veille.web import Form, download, form_error_response, is_htmx, parse_form, redirect, render, translated

router = APIRouter()
TIMELINE = "situations/_timeline.html"


class When(BaseModel):
    occurred_on: Day
    occurred_time: time | None = None


class FeedQuery(BaseModel):
    """The feed's filters as the page's query string gives them (blank means no filter)."""

    body_id: Id | None = None
    sector_id: Id | None = None
    category: str | None = None
    severity: Int | None = None
    status: SituationStatus | None = None
    since: date | None = None  # bounded by check_period
    until: date | None = None
    q: str | None = None


async def read_uploads(request: Request) -> list[files.Upload]:
    """The files of a multipart form, unread: ``files.store`` counts them before it reads any,
    each up to the size limit (a larger one is refused without being read whole)."""
    form = await request.form()
    return [
        files.Upload(filename=value.filename, content=value.file)
        for value in form.getlist("files")
        if isinstance(value, UploadFile) and value.filename
    ]


Uploads = Annotated[list[files.Upload], Depends(read_uploads)]


# Feeds


def _filters(request: Request) -> tuple[service.Filters, dict[str, str], dict[str, str]]:
    values = {k: v for k, v in request.query_params.items() if k != "page"}
    try:
        query = FeedQuery.model_validate({k: v for k, v in values.items() if v.strip()})
    except ValueError:
        return service.Filters(), values, {"__all__": translate(N_("Check the filters."))}
    today = request.app.state.settings.today()
    period = check_period(query.since, query.until, today, max_years=None)
    if period:
        return service.Filters(), values, {k: translate(v) for k, v in period.items()}
    q = (query.q or "").strip()[:200] or None
    return service.Filters(**(query.model_dump() | {"q": q})), values, {}


def _feed_context(
    request: Request, session: Session, user: User, settings: Settings, *, body_id: Id | None
) -> dict[str, Any]:
    viewer = service.viewer_for(session, user)
    filters, values, errors = _filters(request)
    if body_id is not None:
        filters = service.Filters(**(filters.__dict__ | {"body_id": body_id}))
    page, rows = service.feed(session, viewer, filters, page=_page(request), tz=settings.tz)
    query = urlencode({k: v for k, v in values.items() if v})
    return {
        "rows": rows,
        "page": page,
        "filters": values,
        "errors": errors,
        "categories": service.categories(session, active_only=False),
        "sectors": directory.list_sectors(session),
        "bodies": bodies.visible_bodies(session, user),
        "statuses": list(SituationStatus),
        "base_url": request.url.path + (f"?{query}" if query else ""),
        "nav_active": "situations",
    }


def _page(request: Request) -> int:
    try:
        return parse_int(request.query_params.get("page", "1"), minimum=1, maximum=100_000)
    except ValueError:
        return 1


@router.get("/situations")
def my_feed(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    context = _feed_context(request, session, user, settings, body_id=None)
    return render(request, "situations/feed.html", context | {"body": None}, fragment="situations/_feed.html")


@router.get("/bodies/{body_id}/situations")
def body_feed(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    access.require_members()
    context = _feed_context(request, session, user, settings, body_id=body_id)
    context |= {"body": access.body, "access": access, "can_group": access.can_manage and _open(access)}
    return render(request, "situations/feed.html", context, fragment="situations/_feed.html")


def _open(access: bodies.BodyAccess) -> bool:
    return access.body.status == BodyStatus.active


# Posting


def _form_context(session: Session, user: User, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    roles = bodies.roles_of(session, user)
    postable = [
        b
        for b in bodies.visible_bodies(session, user)
        if b.status == BodyStatus.active and roles.get(b.id or 0) != MemberRole.guest
    ]
    body_id = values.get("body_id")
    chosen = next((b for b in postable if str(b.id) == str(body_id)), None)
    return {
        "values": values,
        "postable": postable,
        "chosen": chosen,
        "categories": service.categories(session),
        "sectors": chosen.sectors if chosen and chosen.sectors else directory.list_sectors(session),
        "venues": venues.body_venues(session, chosen.id) if chosen and chosen.id else [],
        "organisations": directory.list_organisations(session, active_only=True),
        "confidentialities": list(Confidentiality),
        "hints": [],
        "situation": None,
        "nav_active": "situations",
    } | extra


@router.get("/situations/new")
def new_situation_form(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    now = datetime.now(settings.tz)
    values: dict[str, Any] = {
        "body_id": request.query_params.get("body_id", ""),
        "occurred_on": now.date().isoformat(),
        "occurred_time": now.strftime("%H:%M"),
        "severity": "2",
        "confidentiality": "body",
    }
    context = _form_context(session, user, values)
    if not context["postable"]:
        raise NotFound()
    return render(request, "situations/form.html", context)


def _occurred_at(form: Form, settings: Settings) -> datetime:
    """The day and time typed, in the city's time zone (noon when no time is given)."""
    when = parse_form(When, form)
    return datetime.combine(when.occurred_on, when.occurred_time or time(12), tzinfo=settings.tz)


def _parse(model: type[Any], form: Form, settings: Settings, **extra: Any) -> Any:
    """Both halves of the form are checked, so that every error shows at once."""
    errors: dict[str, str] = {}
    occurred_at = None
    try:
        occurred_at = _occurred_at(form, settings)
    except InvalidInput as exc:
        errors |= exc.errors
    values = dict(form) | {"names_person": form.get("names_person") == "1"}
    values.setdefault("shared_with_organisation_ids", [])
    try:
        data = parse_form(model, values, occurred_at=occurred_at or datetime.now(settings.tz), **extra)
    except InvalidInput as exc:
        errors = exc.errors | errors
        if "occurred_on" in errors:  # the date typed is the field to point at
            errors.pop("occurred_at", None)
        raise InvalidInput(errors) from exc
    if errors:
        raise InvalidInput(errors)
    return data


def _privacy_check(data: Any, form: Form) -> list[str]:
    """Hints of personal data in a report the whole body would read, not yet confirmed."""
    if (
        data.confidentiality != Confidentiality.body
        or data.names_person
        or form.get("confirm_no_person") == "1"
    ):
        return []
    return personal_data_hints(data.title, data.description, data.place)


def _privacy_error(hints: list[str]) -> InvalidInput:
    return InvalidInput(
        {
            "confirm_no_person": N_(
                "The text seems to hold personal data. Remove it, choose “restricted” or “social”, "
                "or confirm that it names nobody."
            )
        }
    )


def _form_hints(form: Form) -> list[str]:
    """The personal-data hints of the typed texts, in the person's language."""
    found = personal_data_hints(*(str(form.get(k, "")) for k in ("title", "description", "place")))
    return [translate(HINTS[h]) for h in found]


@router.post("/situations/check")
def check_personal_data(request: Request, user: PageUser, form: Form) -> Response:
    """The warning shown while the report is typed (htmx), before it is posted."""
    return render(request, "situations/_privacy.html", {"hints": _form_hints(form)})


@router.post("/situations/new")
def create_situation(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
    uploads: Uploads,
) -> Response:
    try:
        data: SituationCreate = _parse(SituationCreate, form, settings)
        hints = _privacy_check(data, form)
        if hints:
            raise _privacy_error(hints)
        situation = service.post_report(session, user=user, data=data, settings=settings, uploads=uploads)
    except InvalidInput as exc:
        session.rollback()
        context = _form_context(session, user, form, hints=_form_hints(form))
        return form_error_response(request, "situations/form.html", context, exc)
    return redirect(request, f"/situations/{situation.id}", flash=N_("The report is posted."))


# One report


def _access(
    session: Session, user: User, situation_id: Id, via: str | None = None
) -> service.SituationAccess:
    return service.get_situation(session, service.viewer_for(session, user), situation_id, audit_via=via)


def _detail_context(session: Session, access: service.SituationAccess, **extra: Any) -> dict[str, Any]:
    situation = access.situation
    context: dict[str, Any] = {
        "access": access,
        "situation": situation,
        "body": access.body,
        "row": service.rows(session, access.viewer, [situation], "page")[0],
        "updates": [],
        "attachments": [],
        "authors": {},
        "shared_with": [],
        "problem": None,
        "venue": None,
        "moves": sorted(STATUS_MOVES[situation.status]),
        "errors": {},
        "values": {},
        "notice": None,
        "nav_active": "situations",
    }
    if access.full:
        updates = service.updates(session, access=access)
        context["updates"] = updates
        context["attachments"] = service.attachments_of(session, situation.id or 0)
        context["authors"] = service.people(session, {u.author_id for u in updates if u.author_id})
        shares = service.shares_of(session, [situation.id or 0])[situation.id or 0]
        context["shared_with"] = [o for o in directory.list_organisations(session) if o.id in shares]
        context["problem"] = service.problem_of(session, situation)
        context["venue"] = next(
            (v for v in venues.body_venues(session, situation.body_id) if v.id == situation.venue_id), None
        )
    return context | extra


@router.get("/situations/{situation_id}")
def situation_page(situation_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = _access(session, user, situation_id)
    return render(request, "situations/detail.html", _detail_context(session, access))


@router.post("/situations/{situation_id}/updates")
def post_update(
    situation_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    access = _access(session, user, situation_id)
    try:
        data = parse_form(SituationUpdateIn, form)
        service.post_update(session, access=access, data=data, settings=settings)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        session.rollback()
        errors = exc.errors if isinstance(exc, InvalidInput) else {"text": exc.message}
        access = _access(session, user, situation_id)
        context = _detail_context(session, access, errors=translated(errors), values=form)
        return render(
            request, "situations/detail.html", context, fragment=TIMELINE, status_code=exc.status_code
        )
    if not is_htmx(request):
        return redirect(request, f"/situations/{situation_id}#timeline", flash=N_("Your update is posted."))
    access = _access(session, user, situation_id)
    context = _detail_context(session, access, notice=translate(N_("Your update is posted.")))
    return render(request, "situations/detail.html", context, fragment=TIMELINE)


@router.post("/situations/{situation_id}/status")
def change_status(
    situation_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    access = _access(session, user, situation_id)
    try:
        status = SituationStatus(str(form.get("status", "")))
        version = parse_int(form.get("version", ""))
    except ValueError as exc:
        raise InvalidInput({"status": N_("Choose one of the proposed values.")}) from exc
    service.set_status(session, access=access, status=status, version=version)
    return redirect(request, f"/situations/{situation_id}", flash=N_("The status of the report is changed."))


@router.get("/situations/{situation_id}/edit")
def edit_situation_form(
    situation_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = _access(session, user, situation_id)
    access.require_edit()
    situation = access.situation
    local = situation.occurred_at.astimezone(settings.tz)
    values: dict[str, Any] = {
        "body_id": situation.body_id,
        "title": situation.title,
        "description": situation.description,
        "category": service.category_codes(session).get(situation.category_id, ""),
        "sector_id": situation.sector_id or "",
        "venue_id": situation.venue_id or "",
        "place": situation.place,
        "occurred_on": local.date().isoformat(),
        "occurred_time": local.strftime("%H:%M"),
        "severity": situation.severity,
        "confidentiality": situation.confidentiality,
        "shared_with_organisation_ids": service.shares_of(session, [situation_id])[situation_id],
        "names_person": "1" if situation.names_person else "",
        "status": situation.status,
        "version": situation.version,
    }
    context = _form_context(session, user, values, situation=situation)
    return render(request, "situations/form.html", context)


@router.post("/situations/{situation_id}/edit")
def edit_situation(
    situation_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    access = _access(session, user, situation_id)
    access.require_edit()
    situation = access.situation
    values = dict(form) | {"body_id": situation.body_id}
    values.setdefault("status", situation.status)
    try:
        data: SituationUpdate = _parse(SituationUpdate, values, settings)
        hints = _privacy_check(data, form)
        if hints:
            raise _privacy_error(hints)
        service.update_situation(session, access=access, data=data)
    except (InvalidInput, ServiceError) as exc:
        if exc.status_code in (403, 404):
            raise
        session.rollback()
        error = exc if isinstance(exc, InvalidInput) else InvalidInput({"__all__": exc.message})
        context = _form_context(session, user, values, situation=situation, hints=_form_hints(form))
        return form_error_response(
            request, "situations/form.html", context, error, status_code=exc.status_code
        )
    return redirect(request, f"/situations/{situation_id}", flash=N_("The report is saved."))


@router.post("/situations/{situation_id}/delete")
def delete_situation(
    situation_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = _access(session, user, situation_id)
    body_id = access.situation.body_id
    service.delete_situation(session, access=access, settings=settings)
    return redirect(request, f"/bodies/{body_id}/situations", flash=N_("The report is deleted."))


# Attachments


@router.post("/situations/{situation_id}/attachments")
def add_attachments(
    situation_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    uploads: Uploads,
) -> Response:
    access = _access(session, user, situation_id)
    try:
        files.attach(session, access=access, uploads=uploads, settings=settings)
    except InvalidInput as exc:
        session.rollback()
        access = _access(session, user, situation_id)
        context = _detail_context(session, access, errors=translated(exc.errors))
        return render(request, "situations/detail.html", context, status_code=422)
    return redirect(request, f"/situations/{situation_id}#attachments", flash=N_("The file is attached."))


def _attachment(
    session: Session, user: User, situation_id: Id, attachment_id: Id
) -> tuple[service.SituationAccess, Attachment]:
    access = _access(session, user, situation_id, via="attachment")
    return access, files.of_report(access, session.get(Attachment, attachment_id))


@router.get("/situations/{situation_id}/attachments/{attachment_id}")
def get_attachment(
    situation_id: Id,
    attachment_id: Id,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    _, attachment = _attachment(session, user, situation_id, attachment_id)
    path = files.path_of(settings, attachment)
    if not path.exists():
        raise NotFound()
    inline = attachment.content_type.startswith("image/")
    response = download(
        path.read_bytes(), attachment.content_type, attachment.filename, "inline" if inline else "attachment"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.post("/situations/{situation_id}/attachments/{attachment_id}/delete")
def delete_attachment(
    situation_id: Id,
    attachment_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    access, attachment = _attachment(session, user, situation_id, attachment_id)
    files.delete(session, access=access, attachment=attachment, settings=settings)
    return redirect(request, f"/situations/{situation_id}#attachments", flash=N_("The file is removed."))


# Problem files


@router.get("/bodies/{body_id}/problems")
def body_problems(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    problems = service.body_problems(session, access)
    counts = service.problem_counts(
        session, service.viewer_for(session, user), [p.id for p in problems if p.id]
    )
    context = {
        "access": access,
        "body": access.body,
        "problems": problems,
        "counts": counts,
        "nav_active": "situations",
    }
    return render(request, "situations/problems.html", context)


def _problem_form_context(
    session: Session, access: bodies.BodyAccess, values: dict[str, Any], problem: Any = None
) -> dict[str, Any]:
    viewer = service.viewer_for(session, access.user)
    filters = service.Filters(body_id=access.body.id)
    candidates = service.groupable(session, viewer, filters, problem)
    return {
        "access": access,
        "body": access.body,
        "values": values,
        "problem": problem,
        "candidates": candidates,
        "nav_active": "situations",
    }


@router.get("/bodies/{body_id}/problems/new")
def new_problem_form(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    values = {"situation_ids": request.query_params.getlist("situation_ids"), "status": "scanning"}
    return render(request, "situations/problem_form.html", _problem_form_context(session, access, values))


@router.post("/bodies/{body_id}/problems/new")
def create_problem(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    try:
        problem = service.create_problem(
            session, user=user, data=parse_form(ProblemCreate, form | {"body_id": body_id})
        )
    except InvalidInput as exc:
        session.rollback()
        context = _problem_form_context(session, access, form)
        return form_error_response(request, "situations/problem_form.html", context, exc)
    return redirect(request, f"/problems/{problem.id}", flash=N_("The problem file is opened."))


@router.get("/problems/{problem_id}")
def problem_page(problem_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_problem(session, user, problem_id)
    viewer = service.viewer_for(session, user)
    context = {
        "access": access,
        "problem": access.problem,
        "body": access.body_access.body,
        "rows": service.problem_situations(session, viewer, access.problem),
        "nav_active": "situations",
    }
    return render(request, "situations/problem.html", context)


@router.get("/problems/{problem_id}/edit")
def edit_problem_form(problem_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_problem(session, user, problem_id)
    access.body_access.require_manage()
    problem = access.problem
    values = {
        "title": problem.title,
        "analysis": problem.analysis,
        "status": problem.status,
        "situation_ids": service.problem_situation_ids(session, service.viewer_for(session, user), problem),
        "version": problem.version,
    }
    context = _problem_form_context(session, access.body_access, values, problem)
    return render(request, "situations/problem_form.html", context)


@router.post("/problems/{problem_id}/edit")
def edit_problem(
    problem_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    access = service.get_problem(session, user, problem_id)
    access.body_access.require_manage()
    values: dict[str, Any] = {"situation_ids": [], **form}
    try:
        service.update_problem(session, access=access, data=parse_form(ProblemUpdate, values))
    except (InvalidInput, ServiceError) as exc:
        if exc.status_code in (403, 404):
            raise
        session.rollback()
        error = exc if isinstance(exc, InvalidInput) else InvalidInput({"__all__": exc.message})
        context = _problem_form_context(session, access.body_access, values, access.problem)
        return form_error_response(
            request, "situations/problem_form.html", context, error, status_code=exc.status_code
        )
    return redirect(request, f"/problems/{problem_id}", flash=N_("The problem file is saved."))


# Categories


@router.get("/categories")
def categories_page(request: Request, user: PageUser, session: SessionDep) -> Response:
    directory.require_staff(user)
    context = {
        "categories": service.categories(session, active_only=False),
        "values": {},
        "nav_active": "categories",
    }
    return render(request, "situations/categories.html", context)


def _save_category(
    request: Request, user: User, session: Session, form: Form, category_id: Id | None
) -> Response:
    directory.require_staff(user)
    values = form | {"active": form.get("active") == "1"}
    try:
        service.save_category(
            session, actor=user, data=parse_form(CategoryIn, values), category_id=category_id
        )
    except InvalidInput as exc:
        session.rollback()
        context = {
            "categories": service.categories(session, active_only=False),
            "values": form,
            "editing": category_id,
            "nav_active": "categories",
        }
        return form_error_response(request, "situations/categories.html", context, exc)
    return redirect(request, "/categories", flash=N_("The category is saved."))


@router.post("/categories")
def add_category(request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    return _save_category(request, user, session, form, None)


@router.post("/categories/{category_id}")
def edit_category(
    category_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    return _save_category(request, user, session, form, category_id)
