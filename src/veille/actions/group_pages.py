"""HTML pages of a crime-treatment group's life: the days left and the period gone by, the
actions at risk, the chair's mid-term review, final conclusions, renewal and closing, and the
final report as a PDF.

The group's access in its body is all these pages ask of the person (``PageUser``); only the
final report, which counts the linked reports the reader may open, takes the viewer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer
from veille.actions import groups
from veille.actions.enums import ActionKind, ActionStatus, ReviewKind
from veille.actions.models import RenewIn, ReviewIn
from veille.bodies import service as bodies
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import PageUser
from veille.directory.models import User
from veille.errors import Forbidden, InvalidInput
from veille.i18n import N_
from veille.pdf import pdf_download
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter()
PAGE = "actions/group.html"
REVIEW_NAMES = {
    ReviewKind.mid_term: N_("Mid-term review"),
    ReviewKind.final: N_("Final conclusions"),
    ReviewKind.renewal: N_("Renewal"),
}
REVIEW_SAVED = {
    ReviewKind.mid_term: N_("The mid-term review is recorded."),
    ReviewKind.final: N_("The final conclusions are recorded."),
}


def _today(settings: Settings) -> date:
    return datetime.now(settings.tz).date()


def _context(session: Session, access: bodies.BodyAccess, today: date, **extra: Any) -> dict[str, Any]:
    return {
        "state": groups.group_state(session, access, today),
        "body": access.body,
        "access": access,
        "kinds": list(ActionKind),
        "statuses": list(ActionStatus),
        "review_names": REVIEW_NAMES,
        "form": None,
        "values": {},
        "errors": {},
        "nav_active": "bodies",
    } | extra


def _answer(
    request: Request,
    session: Session,
    user: User,
    body_id: Id,
    settings: Settings,
    form_name: str,
    values: Form,
    flash: str,
) -> tuple[Callable[[], Response], Callable[[dict[str, str], int], Response]]:
    """What a form of the group's page answers: back to the page with ``flash``, or the page
    again with the refused form showing its values and why (nothing was written)."""

    def refused(errors: dict[str, str], status_code: int) -> Response:
        if status_code == 403:
            raise Forbidden(errors.get("__all__", Forbidden().message))
        access = bodies.get_body_access(session, user, body_id)
        context = _context(session, access, _today(settings), form=form_name, values=values, errors=errors)
        return render(request, PAGE, context, status_code=status_code)

    return (lambda: redirect(request, f"/bodies/{body_id}/group", flash=flash)), refused


@router.get("/bodies/{body_id}/group")
def group_page(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    return render(request, PAGE, _context(session, access, _today(settings)))


@router.post("/bodies/{body_id}/group/reviews")
def record_review(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    raw = str(form.get("kind", ""))
    kind = ReviewKind(raw) if raw in (ReviewKind.mid_term, ReviewKind.final) else None

    def change() -> None:
        if kind is None:
            raise InvalidInput({"kind": groups.REVIEW_KIND})
        data = parse_form(ReviewIn, {"text": form.get("text", "")})
        groups.record_review(session, access, kind, data.text, today=_today(settings))

    flash = REVIEW_SAVED[kind] if kind is not None else ""
    done, refused = _answer(request, session, user, body_id, settings, raw, form, flash)
    return run_change(session, change, done=done, refused=refused)


@router.post("/bodies/{body_id}/group/renew")
def renew_group(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)

    def change() -> None:
        data = parse_form(RenewIn, {"ends_on": form.get("ends_on", ""), "text": form.get("text", "")})
        groups.renew(session, access, data, today=_today(settings))

    flash = N_("The group is renewed until its new end date.")
    done, refused = _answer(request, session, user, body_id, settings, "renewal", form, flash)
    return run_change(session, change, done=done, refused=refused)


@router.post("/bodies/{body_id}/group/close")
def close_group(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    groups.close(session, access)
    return redirect(
        request, f"/bodies/{body_id}/group", flash=N_("The group is closed: it is now read-only.")
    )


@router.get("/bodies/{body_id}/group/report.pdf")
def group_report(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """The final report, for every member of the group (a draft while it is still active); 304
    when the reader holds it already (``pdf.pdf_download``)."""
    access = bodies.get_body_access(session, viewer.user, body_id)
    report = groups.final_report(session, viewer, access, _today(settings))
    context = {
        "report": report,
        "body": access.body,
        "kinds": list(ActionKind),
        "statuses": list(ActionStatus),
        "review_names": REVIEW_NAMES,
        "settings": settings,
    }
    language, name = str(viewer.user.language), f"rapport-gltd-{body_id}.pdf"
    return pdf_download(request, "actions/group_report.html", context, language, name)
