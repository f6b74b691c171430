"""What a staff member oversees. Admins and coordinators set up every body; a coordinator may be
limited to some communes (``directory.service.commune_limits``), and then oversees only the
bodies whose sectors all lie in those communes. A body without a sector (the intercommunal
plenary, a group for the whole territory) is beyond them: they see it only if they sit in it,
and their statistics do not count it. ``access.viewer_of`` turns this into the Viewer's
``content_ids`` and ``reach_ids``; ``bodies.service`` into a body's access and lists."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, true
from sqlmodel import Session, col, select

from veille.bodies.models import Body, BodySector
from veille.directory.enums import UserRole
from veille.directory.models import Sector, User, UserCommune
from veille.directory.service import commune_limits, is_staff
from veille.errors import InvalidInput
from veille.i18n import N_

OWN_SECTORS = N_("Choose sectors of your communes: a body beyond them would be out of your reach.")


@dataclass(frozen=True)
class Reach:
    """``communes``: those a coordinator is limited to (None: every commune); ``bodies``: the
    bodies they oversee (None: every body; empty for someone who is not staff)."""

    communes: frozenset[int] | None
    bodies: frozenset[int] | None


def _within(communes: ColumnElement[bool] | object) -> ColumnElement[bool]:
    """SQL over ``Body``: it has a sector, and none outside the communes given (a subquery or a list)."""
    has_sector = exists().where(col(BodySector.body_id) == col(Body.id))
    outside = exists().where(
        col(BodySector.body_id) == col(Body.id),
        col(Sector.id) == col(BodySector.sector_id),
        col(Sector.commune_id).not_in(communes),  # type: ignore[arg-type]
    )
    return and_(has_sector, not_(outside))


def oversees(user: User) -> ColumnElement[bool]:
    """SQL over ``Body``: the person sets it up as staff (no query of its own)."""
    if not is_staff(user):
        return false()
    if user.role != UserRole.coordinator:
        return true()
    mine = select(UserCommune.commune_id).where(UserCommune.user_id == user.id)
    limited = exists().where(col(UserCommune.user_id) == user.id)
    return or_(not_(limited), _within(mine.scalar_subquery()))


def reach_of(session: Session, user: User) -> Reach:
    """No query for a member or an admin; one for a coordinator, two when limited."""
    if not is_staff(user):
        return Reach(communes=None, bodies=frozenset())
    communes = commune_limits(session, user)
    if communes is None:
        return Reach(communes=None, bodies=None)
    ids = session.exec(select(Body.id).where(_within(sorted(communes)))).all()
    return Reach(communes=communes, bodies=frozenset(i for i in ids if i is not None))


def check_sectors(session: Session, user: User, sector_ids: list[int]) -> None:
    """A limited coordinator sets up a body within their communes: at least one sector, each
    of them in their communes."""
    communes = commune_limits(session, user) if is_staff(user) else None
    if communes is None:
        return
    ids = sorted(set(sector_ids))
    found = session.exec(select(Sector.commune_id).where(col(Sector.id).in_(ids))).all() if ids else []
    if not found or any(c not in communes for c in found):
        raise InvalidInput({"sector_ids": OWN_SECTORS})
