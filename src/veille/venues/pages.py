"""HTML pages of the night-life charter: its articles and venues, a venue and what happened
around it. Every form posts without JavaScript; htmx swaps the articles in place."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.bodies import service as bodies
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import PageUser
from veille.errors import Conflict, InvalidInput, ServiceError
from veille.i18n import N_, translate
from veille.orm import utcnow
from veille.pagination import PageNumber
from veille.situations import service as situations
from veille.types import Id
from veille.venues import service
from veille.venues.models import ArticleIn, CharterArticle, SignatureIn, Venue, VenueIn, VenueUpdate
from veille.web import Form, form_error_response, is_htmx, parse_form, redirect, render, translated

router = APIRouter()
ARTICLES = "venues/_articles.html"


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


# The body's charter and venues


def _list_context(
    session: SessionDep, settings: Settings, access: bodies.BodyAccess, **extra: Any
) -> dict[str, Any]:
    assert access.body.id is not None
    viewer = situations.viewer_for(session, access.user)
    venues = service.venues(session, access)
    return {
        "access": access,
        "body": access.body,
        "articles": service.charter_articles(session, access),
        "venues": venues,
        "summary": {state.value: 0 for state in service.CharterState}
        | Counter(service.charter_state(v).value for v in venues),
        "charter_state": service.charter_state,
        "report_counts": service.report_counts(
            session, viewer, access.body.id, tz=settings.tz, today=_today(settings)
        ),
        "can_edit": access.can_manage and access.body.status == "active",
        "values": {},
        "edit_errors": {},
        "edit_values": {},
        "notice": None,
        "nav_active": "bodies",
    } | extra


@router.get("/bodies/{body_id}/venues")
def body_venues(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    return render(request, "venues/list.html", _list_context(session, settings, access))


def _article_change(
    request: Request,
    session: SessionDep,
    settings: Settings,
    user: PageUser,
    body_id: Id,
    change: Callable[[], object],
    done: str,
    *,
    form: Form,
    article_id: Id | None = None,
) -> Response:
    """Runs a change of the articles; answers the refreshed articles to htmx, the page (or a
    redirect to it) otherwise, with the refusal next to the form that caused it."""
    errors: dict[str, str] = {}
    status_code = 200
    try:
        change()
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        errors = exc.errors if isinstance(exc, InvalidInput) else {"__all__": exc.message}
        status_code = exc.status_code
    if not errors and not is_htmx(request):
        return redirect(request, f"/bodies/{body_id}/venues#articles", flash=done)
    session.rollback()
    access = bodies.get_body_access(session, user, body_id)
    extra: dict[str, Any] = {"notice": None if errors else translate(done)}
    if article_id is None:
        extra |= {"errors": translated(errors), "values": form if errors else {}}
    else:
        extra |= {"edit_errors": {article_id: translated(errors)} if errors else {}, "edit_values": form}
    context = _list_context(session, settings, access, **extra)
    return render(request, "venues/list.html", context, fragment=ARTICLES, status_code=status_code)


@router.post("/bodies/{body_id}/charter-articles")
def add_article(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    return _article_change(
        request,
        session,
        settings,
        user,
        body_id,
        lambda: service.add_article(session, access=access, data=parse_form(ArticleIn, form)),
        N_("The article was added to the charter."),
        form=form,
    )


def _on_article(
    request: Request,
    session: SessionDep,
    settings: Settings,
    user: PageUser,
    article_id: Id,
    change: Callable[[bodies.BodyAccess, CharterArticle], object],
    done: str,
    form: Form,
) -> Response:
    access, article = service.get_article(session, user, article_id)
    access.require_manage()
    return _article_change(
        request,
        session,
        settings,
        user,
        article.body_id,
        lambda: change(access, article),
        done,
        form=form,
        article_id=article_id,
    )


@router.post("/charter-articles/{article_id}/edit")
def edit_article(
    article_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    return _on_article(
        request,
        session,
        settings,
        user,
        article_id,
        lambda access, article: service.update_article(
            session, access=access, article=article, data=parse_form(ArticleIn, form)
        ),
        N_("The article was saved."),
        form,
    )


@router.post("/charter-articles/{article_id}/delete")
def delete_article(
    article_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    return _on_article(
        request,
        session,
        settings,
        user,
        article_id,
        lambda access, article: service.delete_article(session, access=access, article=article),
        N_("The article was removed from the charter."),
        form,
    )


@router.post("/charter-articles/{article_id}/move")
def move_article(
    article_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    offset = -1 if form.get("direction") == "up" else 1
    return _on_article(
        request,
        session,
        settings,
        user,
        article_id,
        lambda access, article: service.move_article(session, access=access, article=article, offset=offset),
        N_("The article was moved up.") if offset < 0 else N_("The article was moved down."),
        form,
    )


# A venue: create, edit


def _form_context(access: bodies.BodyAccess, venue: Venue | None, values: dict[str, Any]) -> dict[str, Any]:
    return {"access": access, "body": access.body, "venue": venue, "values": values, "nav_active": "bodies"}


def _form_error(
    request: Request, access: bodies.BodyAccess, venue: Venue | None, form: Form, exc: ServiceError
) -> Response:
    error = exc if isinstance(exc, InvalidInput) else InvalidInput({"__all__": exc.message})
    context = _form_context(access, venue, form)
    return form_error_response(request, "venues/form.html", context, error, status_code=exc.status_code)


@router.get("/bodies/{body_id}/venues/new")
def new_venue_form(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    return render(request, "venues/form.html", _form_context(access, None, {}))


@router.post("/bodies/{body_id}/venues/new")
def create_venue(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    try:
        data = parse_form(VenueIn, form)
        venue = service.create_venue(session, access=access, data=data, today=_today(settings))
    except InvalidInput as exc:
        session.rollback()
        return _form_error(request, access, None, form, exc)
    return redirect(request, f"/venues/{venue.id}", flash=N_("The venue was added."))


@router.get("/venues/{venue_id}/edit")
def edit_venue_form(venue_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_venue(session, user, venue_id)
    access.require_edit()
    values = access.venue.model_dump(exclude={"id", "body_id", "created_at"})
    return render(request, "venues/form.html", _form_context(access.body_access, access.venue, values))


@router.post("/venues/{venue_id}/edit")
def edit_venue(
    venue_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = service.get_venue(session, user, venue_id)
    access.require_edit()
    try:
        data = parse_form(VenueUpdate, form)
        service.update_venue(session, access=access, data=data, today=_today(settings))
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _form_error(request, access.body_access, access.venue, form, exc)
    return redirect(request, f"/venues/{venue_id}", flash=N_("The venue was saved."))


# The venue page: its signature, its reports over time


def _venue_context(
    session: SessionDep, settings: Settings, access: service.VenueAccess, page: int, **extra: Any
) -> dict[str, Any]:
    venue = access.venue
    viewer = situations.viewer_for(session, access.body_access.user)
    today = _today(settings)
    reports, rows = service.venue_reports(session, viewer, venue, page=page)
    months = service.monthly_counts(session, viewer, venue, tz=settings.tz, today=today)
    return {
        "access": access,
        "venue": venue,
        "body": access.body_access.body,
        "state": service.charter_state(venue),
        "charter_state": service.charter_state,
        "page": reports,
        "rows": rows,
        "months": months,
        "busiest": max((m.count for m in months), default=0),
        "values": {"day": today.isoformat()},
        "nav_active": "bodies",
    } | extra


@router.get("/venues/{venue_id}")
def venue_page(
    venue_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    page: PageNumber = 1,
) -> Response:
    access = service.get_venue(session, user, venue_id)
    return render(request, "venues/detail.html", _venue_context(session, settings, access, page))


def _signature(
    request: Request,
    session: SessionDep,
    settings: Settings,
    user: PageUser,
    venue_id: Id,
    form: Form,
    change: Callable[..., Venue],
    done: str,
) -> Response:
    access = service.get_venue(session, user, venue_id)
    access.require_edit()
    try:
        change(session, access=access, data=parse_form(SignatureIn, form), today=_today(settings))
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        access = service.get_venue(session, user, venue_id)
        errors = exc.errors if isinstance(exc, InvalidInput) else {"__all__": exc.message}
        context = _venue_context(session, settings, access, 1, values=form, errors=translated(errors))
        return render(request, "venues/detail.html", context, status_code=exc.status_code)
    return redirect(request, f"/venues/{venue_id}", flash=done)


@router.post("/venues/{venue_id}/sign")
def sign(
    venue_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    return _signature(
        request, session, settings, user, venue_id, form, service.sign, N_("The signature is recorded.")
    )


@router.post("/venues/{venue_id}/withdraw")
def withdraw(
    venue_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    return _signature(
        request, session, settings, user, venue_id, form, service.withdraw, N_("The withdrawal is recorded.")
    )
