"""Admin pages of the directory: sectors and organisations (coordinators); the users' pages
are ``account.people_pages`` (an invitation is a mail)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import SQLModel

from veille.deps import SessionDep
from veille.directory import service
from veille.directory.current import PageUser
from veille.directory.enums import OrganisationKind
from veille.directory.models import (
    OrganisationCreate,
    SectorCreate,
    User,
)
from veille.errors import InvalidInput
from veille.i18n import N_
from veille.types import Id
from veille.web import Form, form_error_response, parse_form, redirect, render

router = APIRouter(prefix="/directory")


def _save_form(
    request: Request,
    session: SessionDep,
    form: Form,
    *,
    template: str,
    context: dict[str, Any],
    schema: type[SQLModel],
    save: Callable[[Any], object],
    done_url: str,
    done_message: str,
) -> Response:
    """Validates the form, saves it, redirects; or shows it again with its errors."""
    try:
        save(parse_form(schema, form))
    except InvalidInput as exc:
        session.rollback()
        return form_error_response(request, template, {**context, "values": form}, exc)
    return redirect(request, done_url, flash=done_message)


# Sectors


@router.get("/sectors")
def sectors(request: Request, user: PageUser, session: SessionDep) -> Response:
    service.require_staff(user)
    return render(
        request,
        "directory/sectors.html",
        {
            "sectors": service.list_sectors(session),
            # A coordinator limited to some communes sets up only their sectors.
            "limits": service.commune_limits(session, user),
            "nav_active": "directory",
        },
    )


def _sector_form(session: SessionDep, user: User, sector_id: Id | None) -> dict[str, Any]:
    sector = service.get_sector(session, sector_id) if sector_id else None
    if sector:
        service.require_sector_reach(session, user, sector)
    return {
        "sector": sector,
        "values": sector.model_dump() if sector else {},
        "communes": service.list_communes(session),
        "nav_active": "directory",
    }


@router.get("/sectors/new")
@router.get("/sectors/{sector_id}/edit")
def sector_form(
    request: Request, user: PageUser, session: SessionDep, sector_id: Id | None = None
) -> Response:
    service.require_staff(user)
    return render(request, "directory/sector_form.html", _sector_form(session, user, sector_id))


@router.post("/sectors/new")
@router.post("/sectors/{sector_id}/edit")
def save_sector(
    request: Request, user: PageUser, session: SessionDep, form: Form, sector_id: Id | None = None
) -> Response:
    service.require_staff(user)
    context = _sector_form(session, user, sector_id)
    return _save_form(
        request,
        session,
        form,
        template="directory/sector_form.html",
        context=context,
        schema=SectorCreate,
        save=lambda data: service.save_sector(session, actor=user, data=data, sector=context["sector"]),
        done_url="/directory/sectors",
        done_message=N_("The sector was saved."),
    )


# Organisations


@router.get("/organisations")
def organisations(request: Request, user: PageUser, session: SessionDep) -> Response:
    service.require_staff(user)
    return render(
        request,
        "directory/organisations.html",
        {
            "organisations": service.list_organisations(session),
            "accounts": service.active_accounts_by_organisation(session),
            "nav_active": "directory",
        },
    )


def _organisation_form(session: SessionDep, organisation_id: Id | None) -> dict[str, Any]:
    organisation = service.get_organisation(session, organisation_id) if organisation_id else None
    return {
        "organisation": organisation,
        "values": organisation.model_dump() if organisation else {},
        "kinds": list(OrganisationKind),
        "nav_active": "directory",
    }


@router.get("/organisations/new")
@router.get("/organisations/{organisation_id}/edit")
def organisation_form(
    request: Request, user: PageUser, session: SessionDep, organisation_id: Id | None = None
) -> Response:
    service.require_staff(user)
    return render(request, "directory/organisation_form.html", _organisation_form(session, organisation_id))


@router.post("/organisations/new")
@router.post("/organisations/{organisation_id}/edit")
def save_organisation(
    request: Request,
    user: PageUser,
    session: SessionDep,
    form: Form,
    organisation_id: Id | None = None,
) -> Response:
    service.require_staff(user)
    context = _organisation_form(session, organisation_id)
    return _save_form(
        request,
        session,
        form,
        template="directory/organisation_form.html",
        context=context,
        schema=OrganisationCreate,
        save=lambda data: service.save_organisation(
            session, actor=user, data=data, organisation=context["organisation"]
        ),
        done_url="/directory/organisations",
        done_message=N_("The organisation was saved."),
    )


@router.post("/organisations/{organisation_id}/active")
def organisation_active(
    organisation_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    service.require_staff(user)
    organisation = service.get_organisation(session, organisation_id)
    active = form.get("active") == "1"
    service.set_organisation_active(session, actor=user, organisation=organisation, active=active)
    message = N_("The organisation was reactivated.") if active else N_("The organisation was deactivated.")
    return redirect(request, "/directory/organisations", flash=message)
