"""HTML pages of one report: the posting form (with its personal-data check), the report with
its timeline and attachments, its edit form, its status and its deletion. htmx posts an update
and gets the timeline back (the page's ``timeline`` block)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session
from starlette.datastructures import UploadFile

from veille.access import PageViewer, Viewer, may_contribute
from veille.bodies import roster
from veille.bodies import service as bodies
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.errors import InvalidInput, NotFound
from veille.i18n import N_, translate
from veille.situations import feed, files, mapping, problems, referrals, reports
from veille.situations.categories import categories, category_codes
from veille.situations.enums import STATUS_MOVES, Confidentiality, SituationStatus
from veille.situations.models import Attachment, SituationCreate, SituationUpdate, SituationUpdateIn
from veille.situations.privacy import HINTS, personal_data_hints
from veille.situations.visibility import SituationAccess, get_situation
from veille.types import Day, Id, parse_int
from veille.venues import service as venues
from veille.web import DOWNLOAD, Form, download, is_htmx, parse_form, redirect, render, run_change

router = APIRouter()
DETAIL = "situations/detail.html"
FORM = "situations/form.html"
UPDATE_POSTED = N_("Your update is posted.")


class When(BaseModel):
    occurred_on: Day
    occurred_time: time | None = None


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
FILES_NOT_KEPT = N_("Your files were not kept with the form refused: choose them again.")


# Posting


def _form_context(session: Session, viewer: Viewer, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    postable = [b for b in bodies.visible_bodies(session, viewer.user) if may_contribute(viewer, b)]
    body_id = values.get("body_id")
    chosen = next((b for b in postable if str(b.id) == str(body_id)), None)
    # Only the body's members read its reports: its members' organisations, and any the report
    # is already shared with (shown so that unticking it is a choice, not a side effect).
    organisations = roster.member_organisations(session, chosen.id) if chosen and chosen.id else []
    shared = {str(i) for i in values.get("shared_with_organisation_ids") or []}
    kept = shared - {str(o.id) for o in organisations}
    if kept:
        organisations += [o for o in directory.list_organisations(session) if str(o.id) in kept]
    return {
        "values": values,
        "postable": postable,
        "chosen": chosen,
        "categories": categories(session),
        "sectors": chosen.sectors if chosen and chosen.sectors else directory.list_sectors(session),
        "venues": venues.body_venues(session, chosen.id) if chosen and chosen.id else [],
        "organisations": organisations,
        "confidentialities": list(Confidentiality),
        "hints": [],
        "map_bounds": mapping.outline_bounds(session),
        "situation": None,
        "nav_active": "situations",
    } | extra


@router.get("/situations/new")
def new_situation_form(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    return _new_form(request, session, viewer, settings, {"body_id": request.query_params.get("body_id", "")})


@router.post("/situations/new/form")
def new_situation_form_again(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    """Choosing another body asks for the form again (htmx), with what was typed: it comes back
    as it was, but for what the body decides (its sectors, venues, organisations). Posted, so
    that a report's text is never in an address (servers and proxies log them); it saves
    nothing."""
    return _new_form(request, session, viewer, settings, {k: v for k, v in form.items() if k != "csrf_token"})


def _new_form(
    request: Request, session: Session, viewer: Viewer, settings: Settings, given: dict[str, Any]
) -> Response:
    now = datetime.now(settings.tz)
    values: dict[str, Any] = {
        "occurred_on": now.date().isoformat(),
        "occurred_time": now.strftime("%H:%M"),
        "severity": "2",
        "confidentiality": "body",
    }
    context = _form_context(session, viewer, values | given)
    if not context["postable"]:
        raise NotFound()
    return render(request, FORM, context, block="situation_form")


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


def _checked(model: type[Any], form: Form, settings: Settings) -> Any:
    """The report typed, refused while the whole body would read personal data in it that the
    person has not confirmed is none."""
    data = _parse(model, form, settings)
    if (
        data.confidentiality == Confidentiality.body
        and not data.names_person
        and form.get("confirm_no_person") != "1"
        and personal_data_hints(data.title, data.description, data.place)
    ):
        raise InvalidInput(
            {
                "confirm_no_person": N_(
                    "The text seems to hold personal data. Remove it, choose “restricted” or “social”, "
                    "or confirm that it names nobody."
                )
            }
        )
    return data


def _form_hints(form: Form) -> list[str]:
    """The personal-data hints of the typed texts, in the person's language."""
    found = personal_data_hints(*(str(form.get(k, "")) for k in ("title", "description", "place")))
    return [translate(HINTS[h]) for h in found]


def _form_refused(
    request: Request, session: Session, viewer: Viewer, values: dict[str, Any], form: Form, **extra: Any
) -> Callable[[dict[str, str], int], Response]:
    """The form again, with what was typed and why it was refused."""

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _form_context(session, viewer, values, hints=_form_hints(form), **extra)
        return render(request, FORM, context | {"errors": errors}, status_code=status)

    return refused


@router.post("/situations/check")
def check_personal_data(request: Request, viewer: PageViewer, form: Form) -> Response:
    """The warning shown while the report is typed (htmx), before it is posted."""
    return render(request, "situations/_privacy.html", {"hints": _form_hints(form)})


@router.post("/situations/new")
def create_situation(
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
    uploads: Uploads,
) -> Response:
    posted: list[int] = []

    def post() -> None:
        data: SituationCreate = _checked(SituationCreate, form, settings)
        situation = reports.post_report(session, viewer=viewer, data=data, settings=settings, uploads=uploads)
        posted.append(situation.id or 0)

    form_again = _form_refused(request, session, viewer, form, form)

    def refused(errors: dict[str, str], status: int) -> Response:
        # A browser never fills a file field again: the files chosen are said to be chosen again.
        if uploads and "file" not in errors:
            errors = errors | {"file": translate(FILES_NOT_KEPT)}
        return form_again(errors, status)

    return run_change(
        session,
        post,
        done=lambda: redirect(request, f"/situations/{posted[0]}", flash=N_("The report is posted.")),
        refused=refused,
    )


# One report


def _on_field(errors: dict[str, str], field: str) -> dict[str, str]:
    """A refusal of the whole change, shown next to the one field of a small form."""
    general = errors.get("__all__")
    return (
        errors if general is None else {field: general} | {k: v for k, v in errors.items() if k != "__all__"}
    )


def _detail_context(session: Session, access: SituationAccess, **extra: Any) -> dict[str, Any]:
    situation = access.situation
    context: dict[str, Any] = {
        "access": access,
        "situation": situation,
        "body": access.body,
        "row": None,
        "updates": [],
        "attachments": [],
        "authors": {},
        "shared_with": [],
        "problem": None,
        "venue": None,
        "moves": sorted(STATUS_MOVES[situation.status]),
        "referrals": [],
        "can_refer": False,
        "errors": {},
        "values": {},
        "notice": None,
        "nav_active": "situations",
    }
    updates = reports.updates(session, access=access) if access.full else []
    # What the page's one row needs besides is known here: whether it is read whole, its updates.
    known = {situation.id or 0: (access.full, len(updates))}
    context["row"] = feed.rows(session, access.viewer, [situation], "page", known)[0]
    if access.full:
        context["updates"] = updates
        context["attachments"] = files.attachments_of(session, situation.id or 0)
        context["authors"] = feed.people(session, {u.author_id for u in updates if u.author_id})
        shares = reports.shares_of(session, [situation.id or 0])[situation.id or 0]
        context["shared_with"] = [o for o in directory.list_organisations(session) if o.id in shares]
        context["problem"] = problems.problem_of(session, situation)
        context["referrals"] = referrals.referrals_of(session, access)
        context["can_refer"] = referrals.can_refer(access)
        context["venue"] = (
            next(
                (v for v in venues.body_venues(session, situation.body_id) if v.id == situation.venue_id),
                None,
            )
            if situation.venue_id is not None
            else None
        )
    return context | extra


@router.get("/situations/{situation_id}")
def situation_page(situation_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = get_situation(session, viewer, situation_id)
    return render(request, DETAIL, _detail_context(session, access))


@router.post("/situations/{situation_id}/updates")
def post_update(
    situation_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """An update; htmx gets the timeline back (the page's ``timeline`` block). Without htmx the
    answer is a redirect once posted, which a block cannot be: that check stays."""
    access = get_situation(session, viewer, situation_id)

    def timeline(errors: dict[str, str], status: int, **extra: Any) -> Response:
        session.rollback()
        again = get_situation(session, viewer, situation_id)
        context = _detail_context(session, again, errors=errors, **extra)
        return render(request, DETAIL, context, status_code=status, block="timeline")

    def done() -> Response:
        if not is_htmx(request):
            return redirect(request, f"/situations/{situation_id}#timeline", flash=UPDATE_POSTED)
        return timeline({}, 200, notice=translate(UPDATE_POSTED))

    return run_change(
        session,
        lambda: reports.post_update(
            session, access=access, data=parse_form(SituationUpdateIn, form), settings=settings
        ),
        done=done,
        refused=lambda errors, status: timeline(_on_field(errors, "text"), status, values=form),
    )


@router.post("/situations/{situation_id}/status")
def change_status(
    situation_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = get_situation(session, viewer, situation_id)
    try:
        status = SituationStatus(str(form.get("status", "")))
        version = parse_int(form.get("version", ""))
    except ValueError as exc:
        raise InvalidInput({"status": N_("Choose one of the proposed values.")}) from exc
    reports.set_status(session, access=access, status=status, version=version)
    return redirect(request, f"/situations/{situation_id}", flash=N_("The status of the report is changed."))


@router.get("/situations/{situation_id}/edit")
def edit_situation_form(
    situation_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = get_situation(session, viewer, situation_id)
    access.require_edit()
    situation = access.situation
    local = situation.occurred_at.astimezone(settings.tz)
    values: dict[str, Any] = {
        "body_id": situation.body_id,
        "title": situation.title,
        "description": situation.description,
        "category": category_codes(session).get(situation.category_id, ""),
        "sector_id": situation.sector_id or "",
        "venue_id": situation.venue_id or "",
        "place": situation.place,
        "latitude": "" if situation.latitude is None else situation.latitude,
        "longitude": "" if situation.longitude is None else situation.longitude,
        "occurred_on": local.date().isoformat(),
        "occurred_time": local.strftime("%H:%M"),
        "severity": situation.severity,
        "confidentiality": situation.confidentiality,
        "shared_with_organisation_ids": reports.shares_of(session, [situation_id])[situation_id],
        "names_person": "1" if situation.names_person else "",
        "status": situation.status,
        "version": situation.version,
    }
    return render(request, FORM, _form_context(session, viewer, values, situation=situation))


@router.post("/situations/{situation_id}/edit")
def edit_situation(
    situation_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    access = get_situation(session, viewer, situation_id)
    access.require_edit()
    situation = access.situation
    values = dict(form) | {"body_id": situation.body_id}
    values.setdefault("status", situation.status)
    refused = _form_refused(request, session, viewer, values, form, situation=situation)

    def save() -> None:
        data: SituationUpdate = _checked(SituationUpdate, values, settings)
        reports.update_situation(session, access=access, data=data, settings=settings)

    return run_change(
        session,
        save,
        done=lambda: redirect(request, f"/situations/{situation_id}", flash=N_("The report is saved.")),
        refused=refused,
    )


@router.post("/situations/{situation_id}/delete")
def delete_situation(
    situation_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = get_situation(session, viewer, situation_id)
    body_id = access.situation.body_id
    reports.delete_situation(session, access=access, settings=settings)
    return redirect(request, f"/bodies/{body_id}/situations", flash=N_("The report is deleted."))


# Attachments


@router.post("/situations/{situation_id}/attachments")
def add_attachments(
    situation_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    uploads: Uploads,
) -> Response:
    access = get_situation(session, viewer, situation_id)

    def refused(errors: dict[str, str], status: int) -> Response:
        again = get_situation(session, viewer, situation_id)
        context = _detail_context(session, again, errors=_on_field(errors, "file"))
        return render(request, DETAIL, context, status_code=status)

    return run_change(
        session,
        lambda: files.attach(session, access=access, uploads=uploads, settings=settings),
        done=lambda: redirect(
            request, f"/situations/{situation_id}#attachments", flash=N_("The file is attached.")
        ),
        refused=refused,
    )


def _attachment(
    session: Session, viewer: Viewer, situation_id: Id, attachment_id: Id
) -> tuple[SituationAccess, Attachment]:
    access = get_situation(session, viewer, situation_id, audit_via="attachment")
    return access, files.of_report(access, session.get(Attachment, attachment_id))


@router.get("/situations/{situation_id}/attachments/{attachment_id}", tags=[DOWNLOAD])
def get_attachment(
    situation_id: Id,
    attachment_id: Id,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    _, attachment = _attachment(session, viewer, situation_id, attachment_id)
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
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    access, attachment = _attachment(session, viewer, situation_id, attachment_id)
    files.delete(session, access=access, attachment=attachment, settings=settings)
    return redirect(request, f"/situations/{situation_id}#attachments", flash=N_("The file is removed."))
