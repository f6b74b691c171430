"""What the CLSPD charter asks a body to account for: who accepted its charter and when, who has
not, who was excluded and why, and its versions. Read by ``veille.oversight.charter`` for the
body's chair, a plenary's chair and the staff (docs/confidentiality.md, rule 2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body, Charter, CharterAcceptance, Membership
from veille.directory.models import Organisation, User
from veille.errors import NotFound


@dataclass(frozen=True)
class Person:
    """A member as the report names them: name and organisation."""

    user_id: int
    name: str
    organisation: str


@dataclass(frozen=True)
class Acceptance:
    person: Person
    version: int
    accepted_at: datetime


@dataclass(frozen=True)
class Exclusion:
    person: Person
    excluded_at: datetime
    reason: str


@dataclass(frozen=True)
class CharterRecord:
    versions: list[Charter]
    acceptances: list[Acceptance]
    # Members (not guests, not excluded) who have not accepted the current version, today.
    pending: list[Person]
    exclusions: list[Exclusion]


def chairs_a_plenary(session: Session, body_ids: Iterable[int]) -> bool:
    """Whether one of these bodies (those a person chairs) is a plenary council, whose chair
    oversees every body."""
    ids = sorted(set(body_ids))
    if not ids:
        return False
    found = session.exec(
        select(Body.id).where(col(Body.id).in_(ids), Body.kind == BodyKind.plenary).limit(1)
    ).first()
    return found is not None


def get_body(session: Session, body_id: int) -> Body:
    body = session.get(Body, body_id)
    if body is None:
        raise NotFound()
    return body


def charter_record(session: Session, body: Body, start: datetime, end: datetime) -> CharterRecord:
    """The charter's versions, the acceptances and exclusions between ``start`` and ``end``, and
    who has still to accept the current version today: four queries."""
    versions = list(
        session.exec(select(Charter).where(Charter.body_id == body.id).order_by(col(Charter.version))).all()
    )
    accepted = session.exec(
        select(CharterAcceptance, User, Organisation)
        .join(User, col(User.id) == CharterAcceptance.user_id)
        .join(Organisation, col(Organisation.id) == User.organisation_id)
        .where(
            CharterAcceptance.body_id == body.id,
            col(CharterAcceptance.accepted_at) >= start,
            col(CharterAcceptance.accepted_at) < end,
        )
        .order_by(col(CharterAcceptance.accepted_at), col(CharterAcceptance.id))
    ).all()
    members = session.exec(
        select(Membership, User, Organisation)
        .join(User, col(User.id) == Membership.user_id)
        .join(Organisation, col(Organisation.id) == User.organisation_id)
        .where(Membership.body_id == body.id, col(Membership.role) != MemberRole.guest)
        .order_by(col(User.name), col(User.id))
    ).all()
    current = versions[-1].version if versions else None
    current_accepted = _accepted(session, body, current)
    pending = [
        _person(user, organisation)
        for membership, user, organisation in members
        if current is not None and membership.excluded_at is None and user.id not in current_accepted
    ]
    exclusions = [
        Exclusion(_person(user, organisation), membership.excluded_at, membership.excluded_reason or "")
        for membership, user, organisation in members
        if membership.excluded_at is not None and start <= membership.excluded_at < end
    ]
    return CharterRecord(
        versions=versions,
        acceptances=[Acceptance(_person(u, o), a.version, a.accepted_at) for a, u, o in accepted],
        pending=pending,
        exclusions=exclusions,
    )


def _accepted(session: Session, body: Body, version: int | None) -> set[int]:
    """Who has accepted this version, whenever they did."""
    if version is None:
        return set()
    rows = session.exec(
        select(CharterAcceptance.user_id).where(
            CharterAcceptance.body_id == body.id,
            CharterAcceptance.version == version,
        )
    ).all()
    return set(rows)


def _person(user: User, organisation: Organisation) -> Person:
    assert user.id is not None
    return Person(user_id=user.id, name=user.name, organisation=organisation.name)
