"""Venues of the night-life charter and its articles (a night-life COPIL, "COPIL vie nocturne").

Any body may keep venues and a charter; the pages offer them on night-life COPILs. Members
read them (not guests); the chair, the secretaries and the staff change them while the body is
open. What happened around a venue is the reports', shown by the situations domain above this
one (``situations.venue_reports``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.audit.kinds import Verb
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.directory.models import User
from veille.errors import Conflict, InvalidInput, NotFound
from veille.i18n import N_
from veille.venues.models import (
    ArticleIn,
    CharterArticle,
    SignatureIn,
    Venue,
    VenueDates,
    VenueIn,
    VenueUpdate,
)
from veille.versions import bump, lock_version

STALE = N_("Someone else changed this venue in the meantime. Reload the page and try again.")
DUPLICATE = N_("This body already has a venue of that name.")
FUTURE = N_("This date is in the future.")
ALREADY_SIGNED = N_("This venue has already signed the night-life charter.")
NOT_SIGNED = N_("This venue has not signed the night-life charter.")


class CharterState(StrEnum):
    signed = "signed"
    withdrawn = "withdrawn"
    not_signed = "not_signed"


def charter_state(venue: Venue) -> CharterState:
    if venue.withdrawn_on is not None:
        return CharterState.withdrawn
    return CharterState.signed if venue.signed_on is not None else CharterState.not_signed


@dataclass(frozen=True)
class VenueAccess:
    venue: Venue
    body_access: bodies.BodyAccess

    @property
    def can_edit(self) -> bool:
        return self.body_access.can_manage and self.body_access.body.status == BodyStatus.active

    def require_edit(self) -> None:
        self.body_access.require_manage()


def require_reader(access: bodies.BodyAccess) -> None:
    """Members read a body's venues and charter; a guest is not told they exist (404), as for
    anything of the body beyond their meeting."""
    if not access.can_see_members and access.role == MemberRole.guest:
        raise NotFound()
    access.require_members()


# Reading


def body_venues(session: Session, body_id: int) -> list[Venue]:
    """The body's venues by name, for choosing one (the report form); the caller has checked
    that the person sees the body's content."""
    return list(session.exec(select(Venue).where(Venue.body_id == body_id).order_by(col(Venue.name))).all())


def venues(session: Session, access: bodies.BodyAccess) -> list[Venue]:
    access.require_members()
    assert access.body.id is not None
    return body_venues(session, access.body.id)


def get_venue(session: Session, user: User, venue_id: int) -> VenueAccess:
    """404 for a venue of a body the person is not in (or only a guest of)."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound()
    access = bodies.get_body_access(session, user, venue.body_id)
    require_reader(access)
    return VenueAccess(venue=venue, body_access=access)


def charter_articles(session: Session, access: bodies.BodyAccess) -> list[CharterArticle]:
    access.require_members()
    return list(
        session.exec(
            select(CharterArticle)
            .where(CharterArticle.body_id == access.body.id)
            .order_by(col(CharterArticle.position), col(CharterArticle.id))
        ).all()
    )


def get_article(session: Session, user: User, article_id: int) -> tuple[bodies.BodyAccess, CharterArticle]:
    article = session.get(CharterArticle, article_id)
    if article is None:
        raise NotFound()
    access = bodies.get_body_access(session, user, article.body_id)
    require_reader(access)
    return access, article


# Venues: create, edit, signature


def _check(session: Session, body_id: int, data: VenueIn, today: date, venue_id: int | None = None) -> None:
    errors: dict[str, str] = {}
    clash = session.exec(
        select(Venue.id).where(
            Venue.body_id == body_id,
            func.lower(Venue.name) == data.name.lower(),
            col(Venue.id) != (venue_id or 0),
        )
    ).first()
    if clash is not None:
        errors["name"] = DUPLICATE
    errors |= date_errors(data, today)
    if errors:
        raise InvalidInput(errors)


def date_errors(dates: VenueDates, today: date) -> dict[str, str]:
    """The charter's dates: none in the future, a withdrawal after a signature (message ids)."""
    errors: dict[str, str] = {}
    for field in ("signed_on", "withdrawn_on"):
        day = getattr(dates, field)
        if day is not None and day > today:
            errors[field] = FUTURE
    if dates.withdrawn_on is not None and "withdrawn_on" not in errors:
        if dates.signed_on is None:
            errors["withdrawn_on"] = N_("A venue withdraws only after signing: give the signature date too.")
        elif dates.withdrawn_on < dates.signed_on:
            errors["withdrawn_on"] = N_("The withdrawal must come after the signature.")
    return errors


def _flush_unique(session: Session) -> None:
    """Two people adding the same name at once: the second gets the form error, not a crash."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise InvalidInput({"name": DUPLICATE}) from exc


def _fields(data: VenueIn) -> dict[str, object]:
    return data.model_dump(include={"name", "address", "kind", "signed_on", "withdrawn_on", "notes"})


def create_venue(session: Session, *, access: bodies.BodyAccess, data: VenueIn, today: date) -> Venue:
    """``today``: the city's date, after which no signature can be dated."""
    access.require_manage()
    assert access.body.id is not None
    _check(session, access.body.id, data, today)
    venue = Venue(body_id=access.body.id, **_fields(data))  # type: ignore[arg-type]
    session.add(venue)
    _flush_unique(session)
    audit.record(
        session,
        user_id=access.user.id,
        verb="create",
        entity="venue",
        entity_id=venue.id,
        body_id=access.body.id,
        name=venue.name,
    )
    session.commit()
    return venue


def _touch(session: Session, access: VenueAccess, verb: Verb, **detail: object) -> Venue:
    venue = access.venue
    bump(venue)
    session.add(venue)
    _flush_unique(session)
    audit.record(
        session, user_id=access.body_access.user.id, verb=verb, entity="venue", entity_id=venue.id, **detail
    )
    session.commit()
    return venue


def update_venue(session: Session, *, access: VenueAccess, data: VenueUpdate, today: date) -> Venue:
    access.require_edit()
    venue = access.venue
    lock_version(session, venue, data.version, STALE)
    _check(session, venue.body_id, data, today, venue.id)
    fields = _fields(data)
    changed = sorted(name for name, value in fields.items() if getattr(venue, name) != value)
    venue.sqlmodel_update(fields)
    return _touch(session, access, "update", fields=changed)


def sign(session: Session, *, access: VenueAccess, data: SignatureIn, today: date) -> Venue:
    """Records the signature of the charter; a venue that withdrew may sign again."""
    access.require_edit()
    venue = access.venue
    lock_version(session, venue, data.version, STALE)
    if charter_state(venue) == CharterState.signed:
        raise Conflict(ALREADY_SIGNED)
    if data.day > today:
        raise InvalidInput({"day": FUTURE})
    if venue.withdrawn_on is not None and data.day < venue.withdrawn_on:
        raise InvalidInput({"day": N_("A new signature must come after the withdrawal.")})
    venue.signed_on, venue.withdrawn_on = data.day, None
    return _touch(session, access, "sign", day=data.day.isoformat())


def withdraw(session: Session, *, access: VenueAccess, data: SignatureIn, today: date) -> Venue:
    """Records that the venue left the charter; its signature date stays for history."""
    access.require_edit()
    venue = access.venue
    lock_version(session, venue, data.version, STALE)
    if charter_state(venue) != CharterState.signed or venue.signed_on is None:
        raise Conflict(NOT_SIGNED)
    if data.day > today:
        raise InvalidInput({"day": FUTURE})
    if data.day < venue.signed_on:
        raise InvalidInput({"day": N_("The withdrawal must come after the signature.")})
    venue.withdrawn_on = data.day
    return _touch(session, access, "withdraw", day=data.day.isoformat())


# Charter articles


def _require_own(access: bodies.BodyAccess, article: CharterArticle) -> None:
    if article.body_id != access.body.id:
        raise NotFound()


def add_article(session: Session, *, access: bodies.BodyAccess, data: ArticleIn) -> CharterArticle:
    access.require_manage()
    assert access.body.id is not None
    last = session.exec(
        select(func.max(CharterArticle.position)).where(CharterArticle.body_id == access.body.id)
    ).one()
    article = CharterArticle(
        body_id=access.body.id, position=(last or 0) + 1, title=data.title, text=data.text
    )
    session.add(article)
    session.flush()
    audit.record(
        session,
        user_id=access.user.id,
        verb="create",
        entity="charter_article",
        entity_id=article.id,
        body_id=access.body.id,
    )
    session.commit()
    return article


def update_article(
    session: Session, *, access: bodies.BodyAccess, article: CharterArticle, data: ArticleIn
) -> CharterArticle:
    access.require_manage()
    _require_own(access, article)
    article.title, article.text = data.title, data.text
    session.add(article)
    audit.record(
        session, user_id=access.user.id, verb="update", entity="charter_article", entity_id=article.id
    )
    session.commit()
    return article


def delete_article(session: Session, *, access: bodies.BodyAccess, article: CharterArticle) -> None:
    access.require_manage()
    _require_own(access, article)
    session.delete(article)
    audit.record(
        session,
        user_id=access.user.id,
        verb="delete",
        entity="charter_article",
        entity_id=article.id,
        body_id=article.body_id,
        title=article.title,
    )
    session.commit()


def move_article(
    session: Session, *, access: bodies.BodyAccess, article: CharterArticle, offset: int
) -> list[CharterArticle]:
    """One place up (-1) or down (+1); the articles are numbered again from 1."""
    access.require_manage()
    _require_own(access, article)
    articles = charter_articles(session, access)
    index = next(i for i, a in enumerate(articles) if a.id == article.id)
    target = index + offset
    if 0 <= target < len(articles):
        articles[index], articles[target] = articles[target], articles[index]
    for position, item in enumerate(articles, start=1):
        item.position = position
        session.add(item)
    audit.record(
        session, user_id=access.user.id, verb="reorder", entity="charter_article", entity_id=article.id
    )
    session.commit()
    return articles
