"""HTML pages that show a body's venues with their reports: the list of venues and the charter's
articles (a count of reports per venue), a venue's page (its reports and their count per month),
and the forms posted from those pages, which answer them again when refused: the articles (htmx
swaps the page's ``articles`` block) and the venue's signature. Venues are reference data below
this domain; the records and their rules stay in ``veille.venues``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer, Viewer
from veille.bodies import service as bodies
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.i18n import N_, translate
from veille.orm import utcnow
from veille.pagination import PageNumber
from veille.situations import mapping, venue_reports
from veille.types import Id
from veille.venues import pages as venue_forms
from veille.venues import service as venues
from veille.venues.models import ArticleIn, CharterArticle, SignatureIn, Venue
from veille.web import Form, is_htmx, parse_form, redirect, render, run_change

router = APIRouter()
LIST = "situations/venues.html"
VENUE = "situations/venue.html"


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


# The body's charter and venues


def _list_context(
    session: Session, settings: Settings, viewer: Viewer, access: bodies.BodyAccess, **extra: Any
) -> dict[str, Any]:
    assert access.body.id is not None
    found = venues.venues(session, access)
    counts = venue_reports.report_counts(
        session, viewer, access.body.id, tz=settings.tz, today=_today(settings)
    )
    return {
        "access": access,
        "body": access.body,
        "articles": venues.charter_articles(session, access),
        "venues": found,
        "summary": {state.value: 0 for state in venues.CharterState}
        | Counter(venues.charter_state(v).value for v in found),
        "charter_state": venues.charter_state,
        "report_counts": counts,
        "can_edit": access.can_manage and access.body.status == "active",
        "values": {},
        "edit_errors": {},
        "edit_values": {},
        "notice": None,
        "nav_active": "bodies",
    } | extra


@router.get("/bodies/{body_id}/venues")
def body_venues(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    return render(request, LIST, _list_context(session, settings, viewer, access))


def _article_change(
    request: Request,
    session: Session,
    settings: Settings,
    viewer: Viewer,
    body_id: Id,
    change: Callable[[], object],
    done: str,
    *,
    form: Form,
    article_id: Id | None = None,
) -> Response:
    """Runs a change of the articles; answers htmx with the articles again (the page's
    ``articles`` block), with the refusal next to the form that caused it. Without htmx, a
    change made answers a redirect, which a block cannot be: that check stays."""

    def articles(errors: dict[str, str], status: int) -> Response:
        session.rollback()
        access = bodies.get_body_access(session, viewer.user, body_id)
        extra: dict[str, Any] = {"notice": None if errors else translate(done)}
        if article_id is None:
            extra |= {"errors": errors, "values": form if errors else {}}
        else:
            extra |= {"edit_errors": {article_id: errors} if errors else {}, "edit_values": form}
        context = _list_context(session, settings, viewer, access, **extra)
        return render(request, LIST, context, status_code=status, block="articles")

    def made() -> Response:
        if not is_htmx(request):
            return redirect(request, f"/bodies/{body_id}/venues#articles", flash=done)
        return articles({}, 200)

    return run_change(session, change, done=made, refused=articles)


@router.post("/bodies/{body_id}/charter-articles")
def add_article(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    access.require_manage()
    return _article_change(
        request,
        session,
        settings,
        viewer,
        body_id,
        lambda: venues.add_article(session, access=access, data=parse_form(ArticleIn, form)),
        N_("The article was added to the night-life charter."),
        form=form,
    )


ArticleChange = Callable[[Session, bodies.BodyAccess, CharterArticle, Form], object]


def _edit(session: Session, access: bodies.BodyAccess, article: CharterArticle, form: Form) -> object:
    return venues.update_article(session, access=access, article=article, data=parse_form(ArticleIn, form))


def _delete(session: Session, access: bodies.BodyAccess, article: CharterArticle, form: Form) -> object:
    venues.delete_article(session, access=access, article=article)
    return None


def _move(session: Session, access: bodies.BodyAccess, article: CharterArticle, form: Form) -> object:
    offset = -1 if form.get("direction") == "up" else 1
    return venues.move_article(session, access=access, article=article, offset=offset)


def _article_route(change: ArticleChange, done: Callable[[Form], str]) -> Callable[..., Response]:
    def route(
        article_id: Id,
        request: Request,
        viewer: PageViewer,
        session: SessionDep,
        settings: SettingsDep,
        form: Form,
    ) -> Response:
        access, article = venues.get_article(session, viewer.user, article_id)
        access.require_manage()
        return _article_change(
            request,
            session,
            settings,
            viewer,
            article.body_id,
            lambda: change(session, access, article, form),
            done(form),
            form=form,
            article_id=article_id,
        )

    return route


def _moved(form: Form) -> str:
    return (
        N_("The article was moved up.")
        if form.get("direction") == "up"
        else N_("The article was moved down.")
    )


# An article changed, removed, moved one place up or down (``direction``).
for _verb, _change, _done in (
    ("edit", _edit, lambda _: N_("The article was saved.")),
    ("delete", _delete, lambda _: N_("The article was removed from the night-life charter.")),
    ("move", _move, _moved),
):
    router.post(f"/charter-articles/{{article_id}}/{_verb}")(_article_route(_change, _done))


# The venue page: its signature, its reports over time


def _venue_context(
    session: Session, settings: Settings, viewer: Viewer, access: venues.VenueAccess, page: int, **extra: Any
) -> dict[str, Any]:
    venue = access.venue
    today = _today(settings)
    reports, rows = venue_reports.venue_reports(session, viewer, venue, page=page)
    months = venue_reports.monthly_counts(session, viewer, venue, tz=settings.tz, today=today)
    mapped = mapping.map_data(
        session, viewer, mapping.MapFilters(venue_id=venue.id), settings.tz, via="venue"
    )
    return {
        "access": access,
        "venue": venue,
        "body": access.body_access.body,
        "state": venues.charter_state(venue),
        "charter_state": venues.charter_state,
        "page": reports,
        "rows": rows,
        "months": months,
        "map": mapped,
        "map_limit": mapping.MAP_LIMIT,
        "busiest": max((m.count for m in months), default=0),
        "values": {"day": today.isoformat()},
        "nav_active": "bodies",
    } | extra


@router.get("/venues/{venue_id}")
def venue_page(
    venue_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    page: PageNumber = 1,
) -> Response:
    if (gate := venue_forms.charter_first(request, session, viewer.user, venue_id)) is not None:
        return gate
    access = venues.get_venue(session, viewer.user, venue_id)
    return render(request, VENUE, _venue_context(session, settings, viewer, access, page))


def _signature(
    request: Request,
    session: Session,
    settings: Settings,
    viewer: Viewer,
    venue_id: Id,
    form: Form,
    change: Callable[..., Venue],
    done: str,
) -> Response:
    access = venues.get_venue(session, viewer.user, venue_id)
    access.require_edit()

    def refused(errors: dict[str, str], status: int) -> Response:
        again = venues.get_venue(session, viewer.user, venue_id)
        context = _venue_context(session, settings, viewer, again, 1, values=form, errors=errors)
        return render(request, VENUE, context, status_code=status)

    return run_change(
        session,
        lambda: change(session, access=access, data=parse_form(SignatureIn, form), today=_today(settings)),
        done=lambda: redirect(request, f"/venues/{venue_id}", flash=done),
        refused=refused,
    )


@router.post("/venues/{venue_id}/sign")
def sign(
    venue_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    done = N_("The signature is recorded.")
    return _signature(request, session, settings, viewer, venue_id, form, venues.sign, done)


@router.post("/venues/{venue_id}/withdraw")
def withdraw(
    venue_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    done = N_("The withdrawal is recorded.")
    return _signature(request, session, settings, viewer, venue_id, form, venues.withdraw, done)
