"""Login and logout pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.deps import SESSION_COOKIE, SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import OptionalPageUser
from veille.errors import InvalidInput, TooManyAttempts
from veille.i18n import N_, translate
from veille.web import Form, form_error_response, redirect, render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another one (a browser drops a tab or
    a line break inside an address: "/", a tab, then "/evil.example" would lead there)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, user: OptionalPageUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(request, _safe_next(next))
    return render(request, "auth/login.html", {"next": _safe_next(next), "email": ""})


@router.post("/login")
async def login(request: Request, session: SessionDep, settings: SettingsDep, form: Form) -> Response:
    email = str(form.get("email", ""))
    target = _safe_next(str(form.get("next") or "/"))
    context = {"next": target, "email": email}
    ip = request.client.host if request.client else "unknown"
    try:
        # Argon2 and the throttling delay run off the event loop.
        user = await run_in_threadpool(
            directory.authenticate,
            session,
            settings,
            email=email,
            password=str(form.get("password", "")),
            ip=ip,
        )
        raw, _token = await run_in_threadpool(
            auth.issue_token, session, settings, user=user, kind=TokenKind.session
        )
    except InvalidInput as exc:
        return form_error_response(request, "auth/login.html", context, exc)
    except TooManyAttempts as exc:
        message = (
            N_(
                "Too many failed attempts on this account. Try again in %(minutes)s minutes, "
                "or ask an administrator to release it."
            )
            if isinstance(exc, auth.AccountLocked)
            else N_("Too many failed attempts. Try again in %(minutes)s minutes.")
        )
        errors = {"__all__": translate(message, minutes=exc.retry_after // 60)}
        return render(
            request,
            "auth/login.html",
            {**context, "errors": errors},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    response = redirect(request, target)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        path="/",
        secure=settings.base_url.startswith("https://"),
        max_age=settings.session_absolute_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        auth.revoke_token(session, raw=raw)
    response = redirect(request, "/login", flash=N_("You are logged out."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
