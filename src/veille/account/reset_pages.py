"""Pages of the forgotten password: asking for a link by mail, and setting the new password
from it. Both are open to visitors who are not logged in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import Engine
from starlette.background import BackgroundTask

from veille.account import service
from veille.deps import SessionDep, SettingsDep
from veille.directory.profile import DIFFER, NewPassword
from veille.errors import InvalidInput, TooManyAttempts
from veille.i18n import N_, translate
from veille.notifications import service as outbox
from veille.web import Form, form_error_response, parse_form, redirect, render, run_change

router = APIRouter(prefix="/password")
FORGOT = "account/forgot.html"
RESET = "account/reset.html"


class LinkRequest(BaseModel):
    """The request for a link: an address, checked for its form only (a mistyped one is told so
    rather than promised a mail); whether it has an account is never said."""

    email: EmailStr = Field(max_length=254)


@router.get("/forgot")
def forgot_page(request: Request) -> Response:
    return render(request, FORGOT, {"email": "", "sent": False})


@router.post("/forgot")
def forgot(request: Request, session: SessionDep, settings: SettingsDep, form: Form) -> Response:
    """The same answer whether the address has an account or not; 429 after too many requests."""
    email = str(form.get("email", "")).strip()
    context = {"email": email, "sent": False}
    try:
        email = parse_form(LinkRequest, {"email": email}).email
    except InvalidInput as exc:
        return form_error_response(request, FORGOT, context, exc)
    ip = request.client.host if request.client else "unknown"
    try:
        service.request_reset(session, settings, email=email, ip=ip)
    except TooManyAttempts as exc:
        errors = {
            "__all__": translate(
                N_("Too many requests for a link. Try again in %(minutes)s minutes."),
                minutes=exc.retry_after // 60,
            )
        }
        headers = {"Retry-After": str(exc.retry_after)}
        return render(request, FORGOT, {**context, "errors": errors}, status_code=429, headers=headers)
    answer = render(request, FORGOT, {"email": email, "sent": True})
    # Whether a link was queued or not: the sender is woken once the answer has gone.
    answer.background = BackgroundTask(_wake_sender, request.app.state.engine)
    return answer


async def _wake_sender(engine: Engine) -> None:
    """Run on the event loop, not in the thread pool, where it would wait behind requests on a
    busy server: waking is setting one flag."""
    outbox.wake_sender(engine)


@router.get("/reset/{token}")
def reset_page(token: str, request: Request, session: SessionDep) -> Response:
    """The form (a newcomer's first password is welcomed as such), or (a spent, expired or
    unknown link: 404) the way to ask for another."""
    holder = service.link_account(session, token)
    if holder is None:
        return render(request, RESET, {"token": None}, status_code=404)
    return render(request, RESET, {"token": token, "first": holder.password_hash is None})


@router.post("/reset/{token}")
def reset(token: str, request: Request, session: SessionDep, form: Form) -> Response:
    holder = service.link_account(session, token)
    first = holder is not None and holder.password_hash is None

    def change() -> None:
        data = parse_form(NewPassword, form)
        if data.password != data.confirm:
            raise InvalidInput({"confirm": DIFFER})
        service.reset_password(session, raw=token, password=data.password)

    def refused(errors: dict[str, str], status: int) -> Response:
        still = service.link_account(session, token)
        context = {"token": token if still else None, "first": first, "errors": errors}
        return render(request, RESET, context, status_code=status if still else 404)

    def done() -> Response:
        message = (
            N_("Your password is set: sign in with it.")
            if first
            else N_("Your new password is set: sign in with it.")
        )
        return redirect(request, "/login", flash=message)

    return run_change(session, change, done=done, refused=refused)
