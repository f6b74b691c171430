"""Posting and changing reports: their content rules, editing, status, updates (the timeline),
deletion, and handing them to another body with an action.

A change that pages and API make commits in the function here that makes it, with the mail it
queues (``post_report``, ``post_update``); the routes never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from veille import geocoder
from veille.access import Viewer
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory.enums import OrganisationKind
from veille.directory.models import Organisation, Sector, User
from veille.errors import Conflict, InvalidInput
from veille.i18n import N_
from veille.orm import utcnow
from veille.situations import files, flows, search
from veille.situations.categories import chosen
from veille.situations.enums import STATUS_MOVES, Confidentiality, SituationStatus
from veille.situations.models import (
    Category,
    Situation,
    SituationBase,
    SituationCreate,
    SituationReferral,
    SituationShare,
    SituationUpdate,
    SituationUpdateIn,
    SituationUpdateRecord,
)
from veille.situations.visibility import CONFIDENTIAL, SituationAccess, get_situation
from veille.venues.models import Venue
from veille.versions import bump, lock_version

D = TypeVar("D", bound=SituationBase)
SOCIAL_KINDS = frozenset(
    {OrganisationKind.social_services, OrganisationKind.mediation, OrganisationKind.health}
)
STALE = N_("Someone else changed this report in the meantime. Reload it and try again.")
NAMES_PERSON = N_(
    "A report that names a person cannot be seen by the whole body: choose “restricted” or “social”."
)
PLENARY = N_("A plenary council holds no restricted or social report, and no fact about a named person.")
GUESTS = N_("Guests do not post reports.")


def _referred_to_plenary(session: Session, situation_id: int | None) -> bool:
    """Whether the report is referred (on its own or with an action) to a plenary council."""
    return (
        situation_id is not None
        and session.exec(
            select(func.count())
            .select_from(SituationReferral)
            .join(Body, col(Body.id) == col(SituationReferral.body_id))
            .where(SituationReferral.situation_id == situation_id, Body.kind == BodyKind.plenary)
        ).one()
        > 0
    )


def _check(
    session: Session, author: int | None, body: Body, data: SituationBase, *, situation_id: int | None = None
) -> list[int]:
    """The rules of a report's content (of the report ``situation_id`` when it is changed); the
    organisations it is shared with, its ``author``'s organisation always among them. The
    author's, never the editor's: a chair or a secretary who corrects a report does not name
    their own organisation on it (it would read a restricted report it was not shown, or a
    social one whole)."""
    errors: dict[str, str] = {}
    if data.occurred_at > utcnow() + timedelta(minutes=5):
        errors["occurred_at"] = N_("This date is in the future.")
    confidential = data.confidentiality != Confidentiality.body or data.names_person
    if body.kind == BodyKind.plenary and confidential:
        errors["confidentiality"] = PLENARY
    elif data.names_person and data.confidentiality == Confidentiality.body:
        errors["confidentiality"] = NAMES_PERSON
    elif confidential and _referred_to_plenary(session, situation_id):
        # Referred to a plenary while it held none of this: it stays so (as at referral).
        field = "names_person" if data.confidentiality == Confidentiality.body else "confidentiality"
        errors[field] = PLENARY
    if data.sector_id is not None:
        allowed = {s.id for s in body.sectors} or set(
            session.exec(select(Sector.id).where(Sector.id == data.sector_id)).all()
        )
        if data.sector_id not in allowed:
            errors["sector_id"] = N_("Choose one of the body's sectors.")
    if data.venue_id is not None:
        venue = session.get(Venue, data.venue_id)
        if venue is None or venue.body_id != body.id:
            errors["venue_id"] = N_("Choose one of the body's venues.")
    shares: list[int] = []
    if data.confidentiality in CONFIDENTIAL:
        wanted = set(data.shared_with_organisation_ids) | ({author} if author is not None else set())
        organisations = session.exec(
            select(Organisation).where(
                col(Organisation.id).in_(sorted(wanted)), col(Organisation.active).is_(True)
            )
        ).all()
        found = {o.id: o for o in organisations}
        if set(found) != wanted:
            errors["shared_with_organisation_ids"] = N_("Choose among the active organisations.")
        elif data.confidentiality == Confidentiality.social and (
            not any(o.kind in SOCIAL_KINDS for o in organisations)
            or any(o.kind not in SOCIAL_KINDS and o.id != author for o in organisations)
        ):
            errors["shared_with_organisation_ids"] = N_(
                "A social report is shared only with social services, mediation or health organisations."
            )
        shares = sorted(i for i in found if i is not None)
    if errors:
        raise InvalidInput(errors)
    return shares


def _set_shares(session: Session, situation: Situation, organisation_ids: list[int]) -> None:
    current = set(
        session.exec(
            select(SituationShare.organisation_id).where(SituationShare.situation_id == situation.id)
        ).all()
    )
    for organisation_id in current - set(organisation_ids):
        share = session.get(SituationShare, (situation.id, organisation_id))
        if share is not None:
            session.delete(share)
    for organisation_id in set(organisation_ids) - current:
        assert situation.id is not None
        session.add(SituationShare(situation_id=situation.id, organisation_id=organisation_id))


def _fields(data: SituationBase, category: Category) -> dict[str, object]:
    return {
        "title": data.title,
        "description": data.description,
        "category_id": category.id,
        "sector_id": data.sector_id,
        "venue_id": data.venue_id,
        "place": data.place,
        "latitude": data.latitude,
        "longitude": data.longitude,
        "occurred_at": data.occurred_at,
        "severity": data.severity,
        "confidentiality": data.confidentiality,
        "names_person": data.names_person,
    }


def _placed(data: D, settings: Settings | None, previous_place: str | None) -> D:
    """The point a report keeps: none on a social report (docs/confidentiality.md), else the one
    chosen, else the geocoder's for a place newly typed (none when it fails: the place stays
    text). Called before any write, so that no lock waits on the geocoder."""
    if data.confidentiality == Confidentiality.social:
        return data.model_copy(update={"latitude": None, "longitude": None})
    if data.latitude is not None or settings is None or not data.place or data.place == previous_place:
        return data
    found = geocoder.geocode(settings, data.place)
    if found is None:
        return data
    return data.model_copy(update={"latitude": found[0], "longitude": found[1]})


def _checked_new(session: Session, user: User, data: SituationCreate) -> tuple[Category, list[int]]:
    """Every refusal of a new report, before anything is written."""
    access = bodies.contributor_access(session, user, data.body_id, guests=GUESTS)
    category = chosen(session, data.category)
    return category, _check(session, user.organisation_id, access.body, data)


def create_situation(session: Session, *, user: User, data: SituationCreate) -> Situation:
    """A new report in the caller's transaction, without mail (the demo loads reports so);
    pages and API post through ``post_report``."""
    return _insert(session, user, _placed(data, None, None), *_checked_new(session, user, data))


def _insert(
    session: Session, user: User, data: SituationCreate, category: Category, shares: list[int]
) -> Situation:
    situation = Situation(
        body_id=data.body_id,
        created_by=user.id,
        organisation_id=user.organisation_id,
        **_fields(data, category),  # type: ignore[arg-type]
    )
    session.add(situation)
    session.flush()
    _set_shares(session, situation, shares)
    search.index(session, situation)
    audit.record(
        session,
        user_id=user.id,
        verb="create",
        entity="situation",
        entity_id=situation.id,
        body_id=data.body_id,
        confidentiality=str(data.confidentiality),
    )
    return situation


def post_report(
    session: Session,
    *,
    viewer: Viewer,
    data: SituationCreate,
    settings: Settings,
    uploads: Sequence[files.Upload] = (),
) -> Situation:
    """Posts a report with its files and the mail of the members who want one, and commits.

    The report is checked first, then its files are written, then the rows: SQLite's write
    lock is not held while photos are re-encoded, and a refusal writes nothing."""
    user = viewer.user
    category, shares = _checked_new(session, user, data)
    data = _placed(data, settings, None)
    with files.kept(uploads, settings) as stored:
        situation = _insert(session, user, data, category, shares)
        if stored:
            access = get_situation(session, viewer, situation.id or 0)
            files.record(session, access=access, stored=stored)
        flows.report_posted(session, situation=situation, settings=settings)
        session.commit()
    return situation


def update_situation(
    session: Session, *, access: SituationAccess, data: SituationUpdate, settings: Settings | None = None
) -> Situation:
    """Saves a report's fields; with ``settings``, a place changed without a point chosen is
    looked up by the geocoder. Commits."""
    access.require_edit()
    situation = access.situation
    if data.body_id != situation.body_id:
        raise InvalidInput({"body_id": N_("A report stays in its body.")})
    data = _placed(data, settings, situation.place)
    lock_version(session, situation, data.version, STALE)
    category = chosen(session, data.category, current=situation.category_id)
    shares = _check(session, situation.organisation_id, access.body, data, situation_id=situation.id)
    if data.status != situation.status:
        _move(situation, data.status)
    for name, value in _fields(data, category).items():
        setattr(situation, name, value)
    bump(situation)
    situation.updated_at = utcnow()
    session.add(situation)
    _set_shares(session, situation, shares)
    search.index(session, situation)
    audit.record(
        session, user_id=access.viewer.user.id, verb="update", entity="situation", entity_id=situation.id
    )
    session.commit()
    return situation


def _move(situation: Situation, status: SituationStatus) -> None:
    if status not in STATUS_MOVES[situation.status]:
        raise Conflict(N_("This report cannot go to that status from its current one."))
    situation.status = status
    situation.resolved_at = utcnow() if status == SituationStatus.resolved else None


def set_status(
    session: Session, *, access: SituationAccess, status: SituationStatus, version: int
) -> Situation:
    access.require_edit()
    situation = access.situation
    lock_version(session, situation, version, STALE)
    _move(situation, status)
    bump(situation)
    situation.updated_at = utcnow()
    session.add(situation)
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="status",
        entity="situation",
        entity_id=situation.id,
        status=str(status),
    )
    session.commit()
    return situation


def shares_of(session: Session, situation_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = sorted(set(situation_ids))
    result: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for situation_id, organisation_id in session.exec(
            select(SituationShare.situation_id, SituationShare.organisation_id).where(
                col(SituationShare.situation_id).in_(ids)
            )
        ).all():
            result[situation_id].append(organisation_id)
    return result


# Updates (the timeline)


def updates(session: Session, *, access: SituationAccess) -> list[SituationUpdateRecord]:
    access.require_full()
    return list(
        session.exec(
            select(SituationUpdateRecord)
            .where(SituationUpdateRecord.situation_id == access.situation.id)
            .order_by(col(SituationUpdateRecord.created_at), col(SituationUpdateRecord.id))
        ).all()
    )


def add_update(
    session: Session, *, access: SituationAccess, data: SituationUpdateIn
) -> SituationUpdateRecord:
    """An update in the caller's transaction, without mail (the demo loads updates so); pages
    and API post through ``post_update``."""
    access.require_update()
    situation = access.situation
    record = SituationUpdateRecord(
        situation_id=situation.id or 0, text=data.text, author_id=access.viewer.user.id
    )
    session.add(record)
    situation.updated_at = utcnow()
    session.add(situation)
    session.flush()
    search.index(session, situation)
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="update_posted",
        entity="situation",
        entity_id=situation.id,
    )
    return record


def post_update(
    session: Session, *, access: SituationAccess, data: SituationUpdateIn, settings: Settings
) -> SituationUpdateRecord:
    """Posts an update with the mail of the report's author and the body's secretaries, and
    commits."""
    update = add_update(session, access=access, data=data)
    flows.update_posted(session, situation=access.situation, update=update, settings=settings)
    session.commit()
    return update


def delete_situation(session: Session, *, access: SituationAccess, settings: Settings) -> None:
    """A report posted by mistake: gone with its updates and attachments (files included, once
    the deletion is committed); the audit log keeps that it existed. Commits."""
    access.require_edit()
    situation = access.situation
    files.remove_after_commit(session, settings, files.attachments_of(session, situation.id or 0))
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="delete",
        entity="situation",
        entity_id=situation.id,
        body_id=situation.body_id,
    )
    session.delete(situation)
    session.commit()


# What actions need of reports


def any_confidential(session: Session, ids: Iterable[int]) -> bool:
    wanted = sorted(set(ids))
    return bool(wanted) and (
        session.exec(
            select(func.count()).where(
                col(Situation.id).in_(wanted),
                or_(col(Situation.confidentiality).in_(CONFIDENTIAL), col(Situation.names_person)),
            )
        ).one()
        > 0
    )


def refer(session: Session, situation_ids: Iterable[int], body_id: int) -> None:
    """Hands reports to another body with the action that answers them (history kept: their own
    body still reads them)."""
    wanted = set(situation_ids)
    if not wanted:
        return
    present = set(
        session.exec(
            select(SituationReferral.situation_id).where(
                SituationReferral.body_id == body_id, col(SituationReferral.situation_id).in_(sorted(wanted))
            )
        ).all()
    )
    for situation_id in sorted(wanted - present):
        session.add(SituationReferral(situation_id=situation_id, body_id=body_id, referred_at=utcnow()))
