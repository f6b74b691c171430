"""The home page (``/``) and a body's dashboard (``/bodies/{id}/dashboard``): they gather what
the domains below hold for the person asking."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.access import PageViewer
from veille.actions.enums import ActionKind, ActionStatus
from veille.bodies import service as bodies
from veille.deps import SessionDep, SettingsDep
from veille.home import dashboard, service
from veille.types import Id
from veille.web import redirect, render

router = APIRouter()


@router.get("/")
def home(request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep) -> Response:
    member_of = bodies.visible_bodies(session, viewer.user, member_only=True)  # first: lists find them loaded
    found = service.home(session, viewer, settings.today())
    return render(
        request,
        "home/home.html",
        {
            "home": found,
            "bodies": member_of,
            "body": None,
            "roles": viewer.roles,
            "counts": bodies.member_counts(session, viewer.user, member_of, viewer.roles),
            "charters": service.charters_awaiting(viewer, member_of),
            "groups": service.groups(member_of, settings.today()),
            "chairs": bool(service.chaired_ids(viewer)),
            "nav_active": "home",
        },
    )


@router.get("/bodies/{body_id}/dashboard")
def body_dashboard(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    found = dashboard.body_dashboard(session, viewer, access, settings.today(), settings.tz)
    return render(
        request,
        "home/body_dashboard.html",
        {
            "dash": found,
            "access": access,
            "body": access.body,
            "kinds": list(ActionKind),
            "statuses": list(ActionStatus),
            "nav_active": "bodies",
        },
    )
