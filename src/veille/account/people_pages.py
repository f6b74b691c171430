"""The admin's pages of people's accounts: the list, a new account (with a password typed, or an
invitation by mail to choose it), an account's changes, release, deactivation and invitation
sent again. Here rather than in ``directory`` because an invitation is a mail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.account import service
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.directory.enums import Language, UserRole
from veille.directory.models import User, UserCreate, UserUpdate
from veille.errors import Conflict, InvalidInput
from veille.i18n import N_, translate
from veille.pagination import PageNumber
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter(prefix="/directory")
FORM = "directory/user_form.html"


@router.get("/users")
def users(request: Request, user: PageUser, session: SessionDep, page: PageNumber = 1) -> Response:
    return render(
        request,
        "directory/users.html",
        {"page": directory.list_users(session, actor=user, page=page), "nav_active": "directory"},
    )


def _user_form(session: SessionDep, actor: User, user_id: Id | None) -> dict[str, Any]:
    account = directory.get_user(session, actor=actor, user_id=user_id) if user_id else None
    return {
        "account": account,
        "values": account.model_dump(exclude={"password_hash"})
        if account
        else {"role": "member", "language": "fr"},
        "organisations": directory.list_organisations(session, active_only=True),
        "roles": list(UserRole),
        "languages": list(Language),
        "login": None,
        "communes": directory.list_communes(session),
        "limits": sorted(directory.commune_limits(session, account) or ()) if account else [],
        "nav_active": "directory",
    }


@router.get("/users/new")
@router.get("/users/{user_id}/edit")
def user_form(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, user_id: Id | None = None
) -> Response:
    directory.require_admin(user)
    context = _user_form(session, user, user_id)
    if context["account"] is not None:
        context["login"] = directory.login_state(session, settings, actor=user, user=context["account"])
    return render(request, FORM, context)


@router.post("/users/new")
@router.post("/users/{user_id}/edit")
def save_user(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
    user_id: Id | None = None,
) -> Response:
    """A new account without a password invites its holder by mail, in the same transaction."""
    directory.require_admin(user)
    context = _user_form(session, user, user_id)
    account: User | None = context["account"]
    saved: list[User] = []

    def change() -> None:
        if account is not None:
            saved.append(
                directory.update_user(session, actor=user, user=account, data=parse_form(UserUpdate, form))
            )
        else:
            saved.append(
                service.create_account(session, settings, actor=user, data=parse_form(UserCreate, form))
            )

    def done() -> Response:
        if account is None and saved[0].password_hash is None:
            message = translate(
                N_("The account was created; an invitation was mailed to %(email)s."), email=saved[0].email
            )
            return redirect(request, "/directory/users", flash=message)
        return redirect(request, "/directory/users", flash=N_("The account was saved."))

    def refused(errors: dict[str, str], status: int) -> Response:
        return render(request, FORM, {**context, "values": form, "errors": errors}, status_code=status)

    return run_change(session, change, done=done, refused=refused)


@router.post("/users/{user_id}/invite")
def invite(
    user_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """The invitation again, for an account still without a password (a new link, 7 days): back
    to the account's page, told it was sent or why not now; one not allowed stays a 403."""
    edit = f"/directory/users/{user_id}/edit"
    try:
        service.invite(session, settings, actor=user, user_id=user_id)
    except Conflict as exc:
        session.rollback()
        return redirect(request, edit, flash=exc.message, category="error")
    return redirect(request, edit, flash=N_("A new invitation was mailed."))


@router.post("/users/{user_id}/unlock")
def user_unlock(user_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    account = directory.get_user(session, actor=user, user_id=user_id)
    directory.release_login(session, actor=user, user=account)
    return redirect(
        request,
        f"/directory/users/{user_id}/edit",
        flash=N_("The account is released: its failed logins no longer count."),
    )


@router.post("/users/{user_id}/active")
def user_active(user_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    account = directory.get_user(session, actor=user, user_id=user_id)
    active = form.get("active") == "1"
    try:
        directory.set_user_active(session, actor=user, user=account, active=active)
    except InvalidInput as exc:
        return redirect(request, "/directory/users", flash=exc.errors["__all__"], category="error")
    message = (
        N_("The account was reactivated.")
        if active
        else N_("The account was deactivated: its sessions are ended.")
    )
    return redirect(request, "/directory/users", flash=message)
