"""``/help`` opens the page of the reader's own role, with the others listed; ``/help/{role}``
opens any of them (help is no secret: every signed-in person may read every role's page)."""

from __future__ import annotations

from enum import StrEnum

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from veille.access import PageViewer, Viewer
from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body
from veille.deps import SessionDep
from veille.errors import NotFound
from veille.i18n import N_
from veille.web import render

router = APIRouter()


class Role(StrEnum):
    chair = "chair"
    secretary = "secretary"
    partner = "partner"
    gltd = "gltd"
    guest = "guest"
    staff = "staff"


NAMES = {
    Role.chair: N_("Chair of a body"),
    Role.secretary: N_("Secretary of a body"),
    Role.partner: N_("Partner member"),
    Role.gltd: N_("Member of the prosecutor's group (GLTD)"),
    Role.guest: N_("Guest of a meeting"),
    Role.staff: N_("Admin or coordinator"),
}


def role_of(session: Session, viewer: Viewer) -> Role:
    """The role whose help fits the person best: the staff's, then the highest role they hold
    in a body, then a crime-treatment group's member, a partner's, else (invited to meetings
    as a guest only) a guest's."""
    if viewer.staff:
        return Role.staff
    held = set(viewer.roles.values())
    if MemberRole.chair in held:
        return Role.chair
    if MemberRole.secretary in held:
        return Role.secretary
    member_of = sorted(body_id for body_id, role in viewer.roles.items() if role != MemberRole.guest)
    if viewer.roles and not member_of:
        return Role.guest
    gltd = select(Body.id).where(col(Body.id).in_(member_of), Body.kind == BodyKind.crime_treatment_group)
    return Role.gltd if member_of and session.exec(gltd).first() is not None else Role.partner


def _page(request: Request, role: Role, own: Role) -> Response:
    context = {"role": role, "own": own, "roles": list(Role), "names": NAMES, "nav_active": "help"}
    return render(request, "help/page.html", context)


@router.get("/help")
def help_home(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    own = role_of(session, viewer)
    return _page(request, own, own)


@router.get("/help/{role}")
def help_role(request: Request, role: str, viewer: PageViewer, session: SessionDep) -> Response:
    """Any role's page; an unknown role is a 404 like any unknown address."""
    if role not in Role.__members__:
        raise NotFound()
    return _page(request, Role(role), role_of(session, viewer))
