"""A body's charter: the chair writes its versions, each member accepts the current one before
they see the body's content (docs/confidentiality.md, rule 2)."""

from __future__ import annotations

from sqlmodel import Session, select

from veille.audit import service as audit
from veille.bodies.models import Charter, CharterAcceptance
from veille.bodies.service import BodyAccess
from veille.errors import Conflict, Forbidden
from veille.i18n import N_
from veille.versions import lock_version

CHARTER_STALE = N_("The charter was changed by someone else: reload it and try again.")


def set_charter(session: Session, *, access: BodyAccess, text: str, version: int | None) -> Charter:
    """A new version of the charter: every member is asked to accept it again."""
    access.require_chair()
    current = access.charter
    if current is not None:
        lock_version(session, current, version, CHARTER_STALE)
    elif version:  # none yet: it can only have been read as version 0
        raise Conflict(CHARTER_STALE)
    if current is not None and current.text == text:
        return current
    assert access.body.id is not None
    charter = Charter(
        body_id=access.body.id,
        version=(current.version if current else 0) + 1,
        text=text,
        created_by=access.user.id,
    )
    session.add(charter)
    if access.role is not None:
        # Its author accepts the version they write.
        assert access.user.id is not None
        session.add(
            CharterAcceptance(body_id=access.body.id, user_id=access.user.id, version=charter.version)
        )
    audit.record(
        session,
        user_id=access.user.id,
        verb="set_charter",
        entity="body",
        entity_id=access.body.id,
        version=charter.version,
    )
    session.commit()
    return charter


def accept_charter(session: Session, *, access: BodyAccess) -> CharterAcceptance:
    # Allowed in a closed body too: its members must still be able to read its archive.
    if access.charter is None:
        raise Conflict(N_("This body has no charter to accept."))
    if access.role is None:
        raise Forbidden(N_("Only members of the body accept its charter."))
    assert access.body.id is not None and access.user.id is not None
    existing = session.exec(
        select(CharterAcceptance).where(
            CharterAcceptance.body_id == access.body.id,
            CharterAcceptance.user_id == access.user.id,
            CharterAcceptance.version == access.charter.version,
        )
    ).first()
    if existing is not None:
        return existing
    acceptance = CharterAcceptance(
        body_id=access.body.id, user_id=access.user.id, version=access.charter.version
    )
    session.add(acceptance)
    audit.record(
        session,
        user_id=access.user.id,
        verb="accept_charter",
        entity="body",
        entity_id=access.body.id,
        version=access.charter.version,
    )
    session.commit()
    return acceptance
