"""HTML forms that add and edit a body's venues, and the charter gate of a venue's page. The
pages that show venues with their reports (the list with the night-life charter's articles, a
venue's page) belong to the situations domain above this one (``situations.venue_pages``).
Every form posts without JavaScript; htmx swaps the form alone (its ``form`` block) when it is
refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer
from veille.bodies import service as bodies
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory.models import User
from veille.errors import InvalidInput
from veille.i18n import N_
from veille.orm import utcnow
from veille.types import Id
from veille.venues import service
from veille.venues.models import Venue, VenueDates, VenueIn, VenueUpdate
from veille.web import Form, parse_form, redirect, render, run_change

V = TypeVar("V", VenueIn, VenueUpdate)
router = APIRouter()
FORM = "venues/form.html"
CHARTER_FIRST = N_(
    "This venue belongs to a body whose charter you have not accepted yet: read the body's charter "
    "below and accept it to open the venue."
)


def charter_first(request: Request, session: Session, user: User, venue_id: int) -> Response | None:
    """A member who has not accepted their body's charter yet, opening one of its venues, is
    taken to that charter with why (not a bare refusal); ``None`` for everyone else, whom the
    venue's page answers as usual (404 outside the body)."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        return None
    access = bodies.get_body_access(session, user, venue.body_id)
    if not access.charter_pending:
        return None
    return redirect(request, f"/bodies/{venue.body_id}/charter", flash=CHARTER_FIRST, category="info")


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


def _form_context(access: bodies.BodyAccess, venue: Venue | None, values: dict[str, Any]) -> dict[str, Any]:
    return {"access": access, "body": access.body, "venue": venue, "values": values, "nav_active": "bodies"}


def _refused(
    request: Request, session: Session, access: bodies.BodyAccess, venue: Venue | None, form: Form
) -> Callable[[dict[str, str], int], Response]:
    """The form again, with what was typed and why it was refused."""

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _form_context(access, venue, form) | {"errors": errors}
        return render(request, FORM, context, status_code=status, block="form")

    return refused


def _parsed(model: type[V], form: Form, today: date) -> V:
    """The form as ``model``; refused, with its charter dates' own errors too when they can be
    read, so that every error shows at once (they showed once the name was given)."""
    try:
        return parse_form(model, form)
    except InvalidInput as exc:
        try:
            dates = parse_form(VenueDates, {k: form.get(k, "") for k in ("signed_on", "withdrawn_on")})
        except InvalidInput:
            raise exc from None
        raise InvalidInput(service.date_errors(dates, today) | exc.errors) from exc


@router.get("/bodies/{body_id}/venues/new")
def new_venue_form(body_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    access.require_manage()
    return render(request, FORM, _form_context(access, None, {}))


@router.post("/bodies/{body_id}/venues/new")
def create_venue(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    access.require_manage()
    added: list[int] = []

    def create() -> None:
        data = _parsed(VenueIn, form, _today(settings))
        added.append(service.create_venue(session, access=access, data=data, today=_today(settings)).id or 0)

    return run_change(
        session,
        create,
        done=lambda: redirect(request, f"/venues/{added[0]}", flash=N_("The venue was added.")),
        refused=_refused(request, session, access, None, form),
    )


@router.get("/venues/{venue_id}/edit")
def edit_venue_form(venue_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = service.get_venue(session, viewer.user, venue_id)
    access.require_edit()
    values = access.venue.model_dump(exclude={"id", "body_id", "created_at"})
    return render(request, FORM, _form_context(access.body_access, access.venue, values))


@router.post("/venues/{venue_id}/edit")
def edit_venue(
    venue_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = service.get_venue(session, viewer.user, venue_id)
    access.require_edit()
    return run_change(
        session,
        lambda: service.update_venue(
            session, access=access, data=_parsed(VenueUpdate, form, _today(settings)), today=_today(settings)
        ),
        done=lambda: redirect(request, f"/venues/{venue_id}", flash=N_("The venue was saved.")),
        refused=_refused(request, session, access.body_access, access.venue, form),
    )
