"""HTML pages of a crime-treatment group's life: the days left and the period gone by, the
actions at risk, the chair's mid-term review, final conclusions, renewal and closing, and the
final report as a PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.actions import groups
from veille.actions.enums import ActionKind, ActionStatus, ReviewKind
from veille.actions.models import RenewIn, ReviewIn
from veille.bodies import service as bodies
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import PageUser
from veille.directory.models import User
from veille.errors import InvalidInput, ServiceError
from veille.i18n import N_
from veille.pdf import render_pdf
from veille.types import Id
from veille.web import PDF, Form, download, parse_form, redirect, render, translated

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


def _refused(
    request: Request,
    session: Session,
    user: User,
    body_id: Id,
    settings: Settings,
    exc: ServiceError,
    form_name: str,
    values: Form,
) -> Response:
    """The page again, the refused form showing its values and why (nothing was written)."""
    if exc.status_code in (403, 404):
        raise exc
    session.rollback()
    errors = exc.errors if isinstance(exc, InvalidInput) else {"__all__": exc.message}
    access = bodies.get_body_access(session, user, body_id)
    context = _context(
        session, access, _today(settings), form=form_name, values=values, errors=translated(errors)
    )
    return render(request, PAGE, context, status_code=exc.status_code)


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
    try:
        kind = ReviewKind(raw) if raw in (ReviewKind.mid_term, ReviewKind.final) else None
        if kind is None:
            raise InvalidInput({"kind": groups.REVIEW_KIND})
        data = parse_form(ReviewIn, {"text": form.get("text", "")})
        groups.record_review(session, access, kind, data.text, today=_today(settings))
    except ServiceError as exc:
        return _refused(request, session, user, body_id, settings, exc, raw, form)
    return redirect(request, f"/bodies/{body_id}/group", flash=REVIEW_SAVED[kind])


@router.post("/bodies/{body_id}/group/renew")
def renew_group(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    try:
        data = parse_form(RenewIn, {"ends_on": form.get("ends_on", ""), "text": form.get("text", "")})
        groups.renew(session, access, data, today=_today(settings))
    except ServiceError as exc:
        return _refused(request, session, user, body_id, settings, exc, "renewal", form)
    return redirect(
        request, f"/bodies/{body_id}/group", flash=N_("The group is renewed until its new end date.")
    )


@router.post("/bodies/{body_id}/group/close")
def close_group(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    groups.close(session, access)
    return redirect(
        request, f"/bodies/{body_id}/group", flash=N_("The group is closed: it is now read-only.")
    )


@router.get("/bodies/{body_id}/group/report.pdf")
def group_report(body_id: Id, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    """The final report, for every member of the group (a draft while it is still active)."""
    access = bodies.get_body_access(session, user, body_id)
    report = groups.final_report(session, access, _today(settings))
    context = {
        "report": report,
        "body": access.body,
        "kinds": list(ActionKind),
        "statuses": list(ActionStatus),
        "review_names": REVIEW_NAMES,
        "settings": settings,
    }
    return download(
        render_pdf("actions/group_report.html", context, str(user.language)),
        PDF,
        f"rapport-gltd-{body_id}.pdf",
    )
