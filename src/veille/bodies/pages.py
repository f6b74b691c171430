"""HTML pages of bodies: the list, the forms (the edit page ends with the danger zone that
closes the body), the members' page (each change answers its ``members`` block to htmx) and the
body's charter. A body's own page, which shows its meetings, reports and actions, is composed
above them all, in ``veille.home.body_page``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.bodies import charters, service
from veille.bodies.enums import BodyKind, Cadence, MemberRole
from veille.bodies.models import RULE_FIELDS, Body, BodyUpdate, CharterIn
from veille.deps import SessionDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.errors import InvalidInput
from veille.i18n import N_, translate
from veille.types import Id
from veille.web import Form, FormData, parse_form, redirect, render, run_change

router = APIRouter()


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
    communes = directory.list_communes(session)
    sectors = directory.list_sectors(session)
    if len(communes) > 1:  # each sector named with its commune
        names = {c.id: c.name for c in communes}
        sectors = sorted(sectors, key=lambda s: (names.get(s.commune_id, ""), s.name))
    return {
        "body": body,
        "values": values,
        "kinds": list(BodyKind),
        "cadences": list(Cadence),
        "sectors": sectors,
        "commune_names": {c.id: c.name for c in communes} if len(communes) > 1 else {},
        "nav_active": "bodies",
    }


def _values(body: Body) -> dict[str, Any]:
    return body.model_dump() | {"sector_ids": [str(i) for i in service.sector_ids(body)]}


def _body_form(form: Form, body: Body | None = None) -> BodyUpdate:
    """The edit form does not offer the kind (fixed at creation): the body's own is assumed, and
    the service refuses any other one posted. "No rule" as the week clears the meeting rule."""
    kind = {"kind": body.kind} if body is not None and not form.get("kind") else {}
    no_rule = dict.fromkeys(RULE_FIELDS) if not form.get("rule_ordinal") else {}
    return parse_form(
        BodyUpdate, form, charter_required=form.get("charter_required") == "1", **kind, **no_rule
    )


def _form_again(
    request: Request,
    session: SessionDep,
    access: service.BodyAccess | None,
    form: Form,
    errors: dict[str, str],
    status: int,
) -> Response:
    body = access.body if access is not None else None
    context = _form_context(session, body, form) | {"errors": errors, "access": access}
    return render(request, "bodies/form.html", context, status_code=status)


@router.get("/bodies/new")
def new_body_form(request: Request, user: PageUser, session: SessionDep) -> Response:
    directory.require_staff(user)
    return render(request, "bodies/form.html", _form_context(session, None, {"sector_ids": []}))


@router.post("/bodies/new")
def create_body(request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    directory.require_staff(user)
    created: list[Body] = []
    return run_change(
        session,
        lambda: created.append(service.create_body(session, actor=user, data=_body_form(form))),
        done=lambda: redirect(request, f"/bodies/{created[0].id}", flash=N_("The body was created.")),
        refused=lambda errors, status: _form_again(request, session, None, form, errors, status),
    )


MEMBERS = "bodies/members.html"


@router.get("/bodies/{body_id}/members")
def members_page(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    """Member management, a page of its own: the body's page shows what happens next."""
    access = service.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    access.require_members()
    return render(request, MEMBERS, _members_context(session, access))


def _members_context(
    session: SessionDep, access: service.BodyAccess, values: FormData | None = None, **extra: Any
) -> dict[str, Any]:
    """The members and, when the person typed in the add form matches several people (or the
    one matched was refused), those people to choose from."""
    members = service.list_members(session, access=access) if access.can_see_members else []
    values = values or {}
    typed = str(values.get("person") or "") if access.can_manage else ""
    return {
        "access": access,
        "body": access.body,
        "members": members,
        "values": values,
        "person_matches": directory.people_matching(session, typed, {m.user_id for m in members}),
        "roles": list(MemberRole),
        "tab": "members",
        "nav_active": "bodies",
        "errors": {},
        "notice": None,
    } | extra


@router.get("/bodies/{body_id}/edit")
def edit_body_form(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    access.require_manage()
    context = _form_context(session, access.body, _values(access.body)) | {"access": access}
    return render(request, "bodies/form.html", context)


@router.post("/bodies/{body_id}/edit")
def edit_body(body_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    access = service.get_body_access(session, user, body_id)
    access.require_manage()
    # Refused, or someone saved in between (409): the form again, with what this person typed.
    return run_change(
        session,
        lambda: service.update_body(session, access=access, data=_body_form(form, access.body)),
        done=lambda: redirect(request, f"/bodies/{body_id}", flash=N_("The body was saved.")),
        refused=lambda errors, status: _form_again(request, session, access, form, errors, status),
    )


@router.post("/bodies/{body_id}/close")
def close_body(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    service.close_body(session, access=access)
    return redirect(request, f"/bodies/{body_id}", flash=N_("The body is closed: it is now read-only."))


# Members: each change answers the page's refreshed ``members`` block, the refusal in it.


def _member_change(
    request: Request,
    session: SessionDep,
    user: PageUser,
    body_id: Id,
    change: Any,
    done: str,
    form: FormData | None = None,
) -> Response:
    """Runs a change of the members; answers the members, with the notice or the refusal (and
    what was typed in the add form)."""
    access = service.get_body_access(session, user, body_id)

    def members(errors: dict[str, str], status_code: int, notice: str | None = None) -> Response:
        session.rollback()
        fresh = service.get_body_access(session, user, body_id)
        shown = translate(notice) if notice else None
        values = form if errors else None
        context = _members_context(session, fresh, values, errors=errors, notice=shown)
        return render(request, MEMBERS, context, block="members", status_code=status_code)

    return run_change(session, lambda: change(access), done=lambda: members({}, 200, done), refused=members)


def _role(form: Form) -> MemberRole:
    try:
        return MemberRole(str(form.get("role", "")))
    except ValueError as exc:
        raise InvalidInput({"role": N_("Choose one of the proposed values.")}) from exc


@router.post("/bodies/{body_id}/members")
def add_member(body_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    return _member_change(
        request,
        session,
        user,
        body_id,
        lambda access: service.set_member(
            session,
            access=access,
            user_id=directory.chosen_person(
                session, form, {m.user_id for m in service.list_members(session, access=access)}
            ),
            role=_role(form),
        ),
        N_("The member was added."),
        form,
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
        {"access": access, "body": access.body, "tab": "charter", "nav_active": "bodies"},
    )


@router.post("/bodies/{body_id}/charter/accept")
def accept_charter(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_body_access(session, user, body_id)
    charters.accept_charter(session, access=access)
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
        "tab": "charter",
        "access": access,
        "body": access.body,
        "text": form.get("text", ""),
        "version": form.get("version"),
        "nav_active": "bodies",
    }

    def save() -> None:
        data = parse_form(CharterIn, form)
        charters.set_charter(session, access=access, text=data.text, version=data.version)

    def refused(errors: dict[str, str], status: int) -> Response:
        return render(request, "bodies/charter_form.html", context | {"errors": errors}, status_code=status)

    return run_change(
        session,
        save,
        done=lambda: redirect(request, f"/bodies/{body_id}/charter", flash=N_("The charter was saved.")),
        refused=refused,
    )
