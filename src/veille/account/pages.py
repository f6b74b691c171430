"""'Mon compte': a person's own name, language and password, the mail of each of their bodies,
their calendar address and their API tokens, on one page; each form posts to its own route and
comes back to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer, Viewer
from veille.account import service
from veille.config import Settings
from veille.deps import SESSION_COOKIE, SessionDep, SettingsDep
from veille.directory import profile
from veille.errors import NotFound
from veille.i18n import N_
from veille.meetings import feeds
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter(prefix="/account")
PAGE = "account/account.html"
CHANGED = N_("Your password is changed; your other sessions and API tokens ended.")
NEW_ADDRESS = N_("Your calendar has a new address; the old one no longer works.")


def _context(
    session: Session, settings: Settings, viewer: Viewer, form: str = "", **extra: Any
) -> dict[str, Any]:
    """The whole page; ``form`` names the form whose errors and values ``extra`` holds."""
    user = viewer.user
    return {
        "values": {"name": user.name, "language": str(user.language)},
        "mail_choices": service.mail_choices(session, viewer),
        "calendar_url": feeds.feed_url(settings, feeds.feed(session, user=user)),
        "tokens": profile.api_tokens(session, user),
        "form": form,
        "nav_active": "account",
    } | extra


def _refused(
    request: Request, session: Session, settings: Settings, viewer: Viewer, form: str, values: dict[str, Any]
) -> Callable[[dict[str, str], int], Response]:
    """The page again with the refused form's errors (and what was typed, but never a password)."""

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _context(session, settings, viewer, form, errors=errors)
        context["values"] |= values
        return render(request, PAGE, context, status_code=status)

    return refused


@router.get("")
def account(request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep) -> Response:
    return render(request, PAGE, _context(session, settings, viewer))


@router.post("/profile")
def save_profile(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    return run_change(
        session,
        lambda: profile.update_profile(
            session, user=viewer.user, data=parse_form(profile.ProfileUpdate, form)
        ),
        done=lambda: redirect(request, "/account", flash=N_("Your account is saved.")),
        refused=_refused(request, session, settings, viewer, "profile", form),
    )


@router.post("/password")
def change_password(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    """The current password asked first; the other sessions and the API tokens end, this one stays."""
    ip = request.client.host if request.client else "unknown"
    keep = request.cookies.get(SESSION_COOKIE, "")
    return run_change(
        session,
        lambda: profile.change_password(
            session,
            settings,
            user=viewer.user,
            data=parse_form(profile.PasswordChange, form),
            keep=keep,
            ip=ip,
        ),
        done=lambda: redirect(
            request,
            "/account",
            flash=N_("Your password is changed; your other sessions and API tokens ended."),
        ),
        refused=_refused(request, session, settings, viewer, "password", {}),
    )


@router.post("/mail")
def save_mail(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    """Each body's choice of mail about new reports, in one form (``mode-<body id>`` fields)."""
    modes = {
        int(key.removeprefix("mode-")): str(value)
        for key, value in form.items()
        if key.startswith("mode-") and key.removeprefix("mode-").isdigit() and len(key) < 20
    }
    return run_change(
        session,
        lambda: service.set_mail_choices(session, viewer, modes),
        done=lambda: redirect(request, "/account#mail", flash=N_("Your choices of mail are saved.")),
        refused=_refused(request, session, settings, viewer, "mail", {}),
    )


@router.post("/calendar")
def new_calendar_address(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    feeds.revoke_feed(session, user=viewer.user)
    return redirect(
        request,
        "/account#calendar",
        flash=N_("Your calendar has a new address; the old one no longer works."),
    )


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    """Only one's own tokens: another person's, or none, is 404."""
    if not profile.revoke_api_token(session, viewer.user, token_id):
        raise NotFound()
    return redirect(request, "/account#tokens", flash=N_("The API token is revoked."))
