"""Who sits in a body, by organisation: what a form of the body offers to choose from (the
organisations a restricted or social report is shared with), without reading the memberships
outside this domain."""

from __future__ import annotations

from sqlmodel import Session, col, select

from veille.bodies.enums import MemberRole
from veille.bodies.models import Membership
from veille.directory.models import Organisation, User


def member_organisations(session: Session, body_id: int) -> list[Organisation]:
    """The active organisations of a body's active members, guests and the excluded aside: only
    members read its reports, so a report shared with another organisation would reach nobody."""
    stmt = (
        select(Organisation)
        .join(User, col(User.organisation_id) == Organisation.id)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(
            Membership.body_id == body_id,
            col(Membership.excluded_at).is_(None),
            col(Membership.role) != MemberRole.guest,
            col(User.active).is_(True),
            col(Organisation.active).is_(True),
        )
        .distinct()
        .order_by(col(Organisation.name))
    )
    return list(session.exec(stmt).all())
