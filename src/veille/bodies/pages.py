"""HTML pages of bodies: lists, body page, forms, members (htmx fragment), charter."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.actions.enums import ActionKind, ActionStatus
from veille.bodies import service
from veille.bodies.enums import BodyKind, Cadence, MemberRole
from veille.bodies.models import Body, BodyUpdate, CharterIn
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.errors import Conflict, InvalidInput, ServiceError
from veille.i18n import N_, translate
from veille.stats import dashboards
from veille.types import Id, parse_id
from veille.web import Form, form_error_response, parse_form, redirect, render, translated

router = APIRouter()


@router.get("/")
def home(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    dashboard = dashboards.home(session, user, settings.today())
    roles = service.roles_of(session, user)
    bodies = service.visible_bodies(session, user, member_only=True)
    return render(
        request,
        "bodies/home.html",
        {
            "home": dashboard,
            "bodies": bodies,
            "body": None,
            "roles": roles,
            "counts": service.member_counts(session, user, bodies, roles),
            "nav_active": "home",
        },
    )


@router.get("/bodies")
def bodies_list(request: Request, user: PageUser, session: SessionDep) -> Response:
    bodies = service.visible_bodies(session, user)
    roles = service.roles_of(session, user)
    return render(
        request,
        "bodies/list.html",
        {
            "bodies": bodies,
            "roles": roles,
            "counts": service.member_counts(session, user, bodies, roles),
            "can_create": directory.is_staff(user),
            "nav_active": "bodies",
        },
    )


def _form_context(session: SessionDep, body: Body | None, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "body": body,
        "values": values,
        "kinds": list(BodyKind),
        "cadences": list(Cadence),
        "sectors": directory.list_sectors(session),
        "nav_active": "bodies",
    }


def _values(body: Body) -> dict[str, Any]:
    return body.model_dump() | {"sector_ids": [str(i) for i in service.sector_ids(body)]}


def _body_form(form: Form, body: Body | None = None) -> BodyUpdate:
    """The edit form does not offer the kind (fixed at creation): the body's own is assumed, and
    the service refuses any other one posted."""
    kind = {"kind": body.kind} if body is not None and not form.get("kind") else {}
    return parse_form(BodyUpdate, form, charter_required=form.get("charter_required") == "1", **kind)


@router.get("/bodies/new")
def new_body_form(request: Request, user: PageUser, session: SessionDep) -> Response:
    directory.require_staff(user)
    return render(request, "bodies/form.html", _form_context(session, None, {"sector_ids": []}))


@router.post("/bodies/new")
def create_body(request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    directory.require_staff(user)
    try:
        body = service.create_body(session, actor=user, data=_body_form(form))
    except InvalidInput as exc:
        session.rollback()
        return form_error_response(request, "bodies/form.html", _form_context(session, None, form), exc)
    return redirect(request, f"/bodies/{body.id}", flash=N_("The body was created."))


@router.get("/bodies/{body_id}")
def body_page(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    return render(request, "bodies/detail.html", _detail_context(session, access))


@router.get("/bodies/{body_id}/dashboard")
def body_dashboard(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    dashboard = dashboards.body_dashboard(session, access, settings.today(), settings.tz)
    return render(
        request,
        "stats/body_dashboard.html",
        {
            "dash": dashboard,
            "access": access,
            "body": access.body,
            "kinds": list(ActionKind),
            "statuses": list(ActionStatus),
            "nav_active": "bodies",
        },
    )


def _detail_context(session: SessionDep, access: service.BodyAccess, **extra: Any) -> dict[str, Any]:
    members = service.list_members(session, access=access) if access.can_see_members else []
    member_ids = {m.user_id for m in members}
    candidates = (
        [u for u in directory.active_users(session) if u.id not in member_ids] if access.can_manage else []
    )
    return {
        "access": access,
        "body": access.body,
        "members": members,
        "candidates": candidates,
        "roles": list(MemberRole),
        "nav_active": "bodies",
        "errors": {},
        "notice": None,
    } | extra


@router.get("/bodies/{body_id}/edit")
def edit_body_form(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    access.require_manage()
    return render(request, "bodies/form.html", _form_context(session, access.body, _values(access.body)))


@router.post("/bodies/{body_id}/edit")
def edit_body(body_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    access = service.get_body_access(session, user, body_id)
    access.require_manage()
    try:
        service.update_body(session, access=access, data=_body_form(form, access.body))
    except InvalidInput as exc:
        session.rollback()
        return form_error_response(
            request, "bodies/form.html", _form_context(session, access.body, form), exc
        )
    except Conflict as exc:
        # Someone saved in between: the form again, with what this person typed.
        session.rollback()
        return form_error_response(
            request,
            "bodies/form.html",
            _form_context(session, access.body, form),
            InvalidInput({"__all__": exc.message}),
            status_code=409,
        )
    return redirect(request, f"/bodies/{body_id}", flash=N_("The body was saved."))


@router.post("/bodies/{body_id}/close")
def close_body(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    service.close_body(session, access=access)
    return redirect(request, f"/bodies/{body_id}", flash=N_("The body is closed: it is now read-only."))


# Members: each change answers the refreshed members fragment.


def _members_response(
    request: Request,
    session: SessionDep,
    user: PageUser,
    body_id: Id,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Response:
    session.rollback()
    access = service.get_body_access(session, user, body_id)
    context = _detail_context(
        session, access, errors=translated(errors or {}), notice=translate(notice) if notice else None
    )
    return render(
        request,
        "bodies/detail.html",
        context,
        fragment="bodies/_members.html",
        status_code=status_code,
    )


def _member_change(
    request: Request, session: SessionDep, user: PageUser, body_id: Id, change: Any, done: str
) -> Response:
    """Runs a change of the members and answers the fragment, with the error in it if refused."""
    access = service.get_body_access(session, user, body_id)
    try:
        change(access)
    except InvalidInput as exc:
        return _members_response(request, session, user, body_id, exc.errors, status_code=422)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        return _members_response(request, session, user, body_id, {"__all__": exc.message}, exc.status_code)
    return _members_response(request, session, user, body_id, notice=done)


def _role(form: Form) -> MemberRole:
    try:
        return MemberRole(str(form.get("role", "")))
    except ValueError as exc:
        raise InvalidInput({"role": N_("Choose one of the proposed values.")}) from exc


def _user_id(form: Form) -> int:
    try:
        return parse_id(form.get("user_id", ""))
    except ValueError as exc:
        raise InvalidInput({"user_id": N_("Choose an active person.")}) from exc


@router.post("/bodies/{body_id}/members")
def add_member(body_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    return _member_change(
        request,
        session,
        user,
        body_id,
        lambda access: service.set_member(session, access=access, user_id=_user_id(form), role=_role(form)),
        N_("The member was added."),
    )


@router.post("/bodies/{body_id}/members/{member_id}/role")
def change_member_role(
    body_id: Id, member_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    return _member_change(
        request,
        session,
        user,
        body_id,
        lambda access: service.set_member(session, access=access, user_id=member_id, role=_role(form)),
        N_("The role was changed."),
    )


@router.post("/bodies/{body_id}/members/{member_id}/remove")
def remove_member(
    body_id: Id, member_id: Id, request: Request, user: PageUser, session: SessionDep
) -> Response:
    return _member_change(
        request,
        session,
        user,
        body_id,
        lambda access: service.remove_member(session, access=access, user_id=member_id),
        N_("The member was removed from the body."),
    )


@router.post("/bodies/{body_id}/members/{member_id}/exclude")
def exclude_member(
    body_id: Id, member_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    return _member_change(
        request,
        session,
        user,
        body_id,
        lambda access: service.exclude_member(
            session, access=access, user_id=member_id, reason=str(form.get("reason", ""))
        ),
        N_("The member was excluded from the body."),
    )


# Charter


@router.get("/bodies/{body_id}/charter")
def charter_page(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    return render(
        request,
        "bodies/charter.html",
        {"access": access, "body": access.body, "nav_active": "bodies"},
    )


@router.post("/bodies/{body_id}/charter/accept")
def accept_charter(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    service.accept_charter(session, access=access)
    return redirect(
        request,
        f"/bodies/{body_id}",
        flash=N_("Thank you: your acceptance of the charter is recorded."),
    )


@router.get("/bodies/{body_id}/charter/edit")
def edit_charter_form(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    access.require_chair()
    text = access.charter.text if access.charter else ""
    version = access.charter.version if access.charter else 0
    return render(
        request,
        "bodies/charter_form.html",
        {
            "access": access,
            "body": access.body,
            "text": text,
            "version": version,
            "nav_active": "bodies",
        },
    )


@router.post("/bodies/{body_id}/charter/edit")
def edit_charter(body_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    access = service.get_body_access(session, user, body_id)
    access.require_chair()
    context = {
        "access": access,
        "body": access.body,
        "text": form.get("text", ""),
        "version": form.get("version"),
        "nav_active": "bodies",
    }
    try:
        data = parse_form(CharterIn, form)
        service.set_charter(session, access=access, text=data.text, version=data.version)
    except InvalidInput as exc:
        return form_error_response(request, "bodies/charter_form.html", context, exc)
    return redirect(request, f"/bodies/{body_id}/charter", flash=N_("The charter was saved."))
