"""Pages of the communes: their list and forms (admins and coordinators of every commune), and
the communes an admin limits a coordinator to (from the account's page)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.deps import SessionDep
from veille.directory import service
from veille.directory.current import PageUser
from veille.directory.models import CommuneCreate, CommuneLimits
from veille.i18n import N_
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter(prefix="/directory")


@router.get("/communes")
def communes(request: Request, user: PageUser, session: SessionDep) -> Response:
    service.require_staff(user)
    return render(
        request,
        "directory/communes.html",
        {
            "communes": service.list_communes(session),
            "sectors": service.list_sectors(session),
            "may_edit": service.commune_limits(session, user) is None,
            "nav_active": "directory",
        },
    )


def _commune_form(session: SessionDep, user: PageUser, commune_id: Id | None) -> dict[str, Any]:
    service.require_staff(user)
    commune = service.get_commune(session, commune_id) if commune_id else None
    return {"commune": commune, "values": commune.model_dump() if commune else {}, "nav_active": "directory"}


@router.get("/communes/new")
@router.get("/communes/{commune_id}/edit")
def commune_form(
    request: Request, user: PageUser, session: SessionDep, commune_id: Id | None = None
) -> Response:
    context = _commune_form(session, user, commune_id)
    if service.commune_limits(session, user) is not None:
        service.require_admin(user)  # a coordinator limited to some communes: 403
    return render(request, "directory/commune_form.html", context)


@router.post("/communes/new")
@router.post("/communes/{commune_id}/edit")
def save_commune(
    request: Request, user: PageUser, session: SessionDep, form: Form, commune_id: Id | None = None
) -> Response:
    context = _commune_form(session, user, commune_id)

    def again(errors: dict[str, str], status: int) -> Response:
        return render(
            request,
            "directory/commune_form.html",
            context | {"values": form, "errors": errors},
            status_code=status,
        )

    return run_change(
        session,
        lambda: service.save_commune(
            session, actor=user, data=parse_form(CommuneCreate, form), commune=context["commune"]
        ),
        done=lambda: redirect(request, "/directory/communes", flash=N_("The commune was saved.")),
        refused=again,
    )


@router.post("/users/{user_id}/communes")
def limit_communes(
    user_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    """An admin limits a coordinator to the communes ticked (none: every commune)."""
    account = service.get_user(session, actor=user, user_id=user_id)
    ticked = {"commune_ids": [v for v in form.get("commune_ids", []) if v]}

    def refused(errors: dict[str, str], status: int) -> Response:
        message = next(iter(errors.values()), N_("Check the form."))
        return redirect(request, f"/directory/users/{user_id}/edit", flash=message, category="error")

    return run_change(
        session,
        lambda: service.set_commune_limits(
            session, actor=user, user=account, data=parse_form(CommuneLimits, ticked)
        ),
        done=lambda: redirect(
            request, f"/directory/users/{user_id}/edit", flash=N_("The account's communes were saved.")
        ),
        refused=refused,
    )
