"""Bodies, memberships and charters: who sees a body, who may change it (the confidentiality
rules, docs/confidentiality.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlalchemy.orm import Mapped, aliased, joinedload, selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.audit import service as audit
from veille.audit.kinds import Verb
from veille.bodies import reach
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import (
    Body,
    BodyCreate,
    BodySector,
    BodyUpdate,
    Charter,
    CharterAcceptance,
    Membership,
)
from veille.db import remembered
from veille.directory.models import Sector, User
from veille.directory.service import is_staff, require_staff
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.orm import utcnow
from veille.versions import bump, lock_version

CLOSED = N_("This body is closed: it can no longer be changed.")
KIND_FIXED = N_("A body's kind is fixed when it is created: create a new body of the other kind instead.")
CHARTER_PENDING = N_("Accept the body's charter to see its content.")
BODY_STALE = N_("This body was changed by someone else: reload it and try again.")

SECTORS_BY_STAFF = N_("A body's sectors are set by a coordinator or an admin.")
SELF_SEAT = N_(
    "You cannot name yourself chair or secretary, nor lift your own exclusion: ask the chair, another "
    "coordinator or an admin."
)


@dataclass(frozen=True)
class BodyAccess:
    """What one person may do in one body; built only for someone who may see it."""

    body: Body
    user: User
    role: MemberRole | None
    charter: Charter | None
    charter_accepted: bool
    # Set up by the person as staff (bodies.reach: a limited coordinator's communes only).
    staff: bool = False

    @property
    def charter_pending(self) -> bool:
        """A member must accept the current charter before seeing anything in the body."""
        return (
            self.role is not None
            and self.body.charter_required
            and self.charter is not None
            and not self.charter_accepted
        )

    @property
    def can_see_content(self) -> bool:
        return not self.charter_pending and (self.staff or self.role is not None)

    @property
    def can_see_members(self) -> bool:
        return self.can_see_content and self.role != MemberRole.guest

    @property
    def can_manage(self) -> bool:
        return self.staff or (self.can_see_content and self.role in (MemberRole.chair, MemberRole.secretary))

    @property
    def can_chair(self) -> bool:
        return self.staff or (self.can_see_content and self.role == MemberRole.chair)

    @property
    def can_set_sectors(self) -> bool:
        """The staff's (a limited coordinator within their communes, ``reach.check_sectors``)."""
        return is_staff(self.user)

    def can_change_member(self, membership: Membership) -> bool:
        """Secretaries manage members; a chair's seat and an exclusion are the chair's alone."""
        if not self.can_manage:
            return False
        protected = membership.role == MemberRole.chair or membership.excluded_at is not None
        return self.can_chair or not protected

    def require_content(self) -> None:
        if not self.can_see_content:
            raise Forbidden(CHARTER_PENDING if self.charter_pending else Forbidden().message)

    def require_members(self) -> None:
        self.require_content()
        if not self.can_see_members:
            raise Forbidden()

    def require_manage(self) -> None:
        self.require_content()
        if not self.can_manage:
            raise Forbidden()
        self.require_open()

    def require_chair(self) -> None:
        self.require_content()
        if not self.can_chair:
            raise Forbidden()
        self.require_open()

    def require_open(self) -> None:
        if self.body.status == BodyStatus.closed:
            raise Conflict(CLOSED)


def _active_membership() -> ColumnElement[bool]:
    return col(Membership.excluded_at).is_(None)


def visible_bodies_query(user: User) -> SelectOfScalar[Body]:
    """The bodies a person belongs to (all of them for admin and coordinators), with sectors."""
    stmt = select(Body).options(selectinload(Body.sectors))  # type: ignore[arg-type]
    mine = select(Membership.body_id).where(Membership.user_id == user.id, _active_membership())
    if is_staff(user):  # a limited coordinator: their communes' bodies and those they sit in
        return stmt.where(or_(reach.oversees(user), col(Body.id).in_(mine)))
    return stmt.join(Membership, col(Membership.body_id) == Body.id).where(
        Membership.user_id == user.id, _active_membership()
    )


def visible_bodies(session: Session, user: User, *, member_only: bool = False) -> list[Body]:
    """``member_only``: the bodies the person sits in, even for admin and coordinators. Read
    once per request."""
    stmt = visible_bodies_query(user).order_by(Body.status, Body.name)
    if member_only and is_staff(user):
        stmt = stmt.join(Membership, col(Membership.body_id) == Body.id).where(
            Membership.user_id == user.id, _active_membership()
        )
    found = remembered(
        session,
        ("visible_bodies", user.id, member_only and is_staff(user)),
        lambda: list(session.exec(stmt).all()),
        on=(Body, BodySector, Membership),
    )
    return list(found)


def all_bodies(session: Session) -> list[Body]:
    """Every body with its sectors, for those who see aggregates over all of them (statistics of
    the staff and of a plenary's chair: counts, never content)."""
    stmt = select(Body).options(selectinload(Body.sectors)).order_by(Body.status, Body.name)  # type: ignore[arg-type]
    return list(session.exec(stmt).all())


def roles_of(session: Session, user: User) -> dict[int, MemberRole]:
    """The person's role in each body they belong to."""
    return standing_of(session, user)[0]


def content_body_ids(session: Session, user: User) -> list[int]:
    """The bodies whose content the person sees as a member (see ``standing_of``)."""
    return sorted(standing_of(session, user)[1])


def standing_of(session: Session, user: User) -> tuple[dict[int, MemberRole], frozenset[int]]:
    """The person's role in each body they belong to, and the bodies whose content they see as
    a member: not as a guest, not excluded, and with the current charter accepted where the body
    requires it (confidentiality rules 2–4). One query, two more where a charter gates a body."""
    rows = session.exec(
        select(Membership.body_id, Membership.role, Body.charter_required)
        .join(Body, col(Body.id) == Membership.body_id)
        .where(Membership.user_id == user.id, _active_membership())
    ).all()
    roles = {body_id: MemberRole(role) for body_id, role, _required in rows}
    ids = {body_id for body_id, role, _required in rows if role != MemberRole.guest}
    gated = [body_id for body_id, role, required in rows if required and role != MemberRole.guest]
    if not gated:
        return roles, frozenset(ids)
    latest = dict(
        session.exec(
            select(Charter.body_id, func.max(Charter.version))
            .where(col(Charter.body_id).in_(gated))
            .group_by(col(Charter.body_id))
        ).all()
    )
    accepted = set(
        session.exec(
            select(CharterAcceptance.body_id, CharterAcceptance.version).where(
                CharterAcceptance.user_id == user.id, col(CharterAcceptance.body_id).in_(list(latest))
            )
        ).all()
    )
    return roles, frozenset(i for i in ids if i not in latest or (i, latest[i]) in accepted)


def content_member_ids(session: Session, body: Body) -> set[int]:
    """The active people who see the body's content as members: what may be mailed to its
    members goes to them only (not its guests, not the excluded, not a pending charter)."""
    rows = session.exec(
        select(Membership.user_id)
        .join(User, col(User.id) == Membership.user_id)
        .where(
            Membership.body_id == body.id,
            _active_membership(),
            col(Membership.role) != MemberRole.guest,
            col(User.active).is_(True),
        )
    ).all()
    ids = set(rows)
    charter = current_charter(session, body.id) if body.charter_required and body.id else None
    if charter is None:
        return ids
    accepted = session.exec(
        select(CharterAcceptance.user_id).where(
            CharterAcceptance.body_id == body.id, CharterAcceptance.version == charter.version
        )
    ).all()
    return ids & set(accepted)


def guest_of(user_id: Mapped[int] | int, body_id: Mapped[int] | int) -> ColumnElement[bool]:
    """SQL: the person is a guest of the body now (not excluded; a removed guest has no row). A
    guest's access to a meeting is this and the meeting's invitation, read at every access
    (meetings.access.guest_meetings): the invitation alone is never trusted."""
    return exists().where(
        col(Membership.user_id) == user_id,
        col(Membership.body_id) == body_id,
        col(Membership.role) == MemberRole.guest,
        _active_membership(),
    )


def seat_guest(session: Session, *, access: BodyAccess, user: User) -> Membership:
    """Makes someone who is not a member the body's guest, in the caller's transaction (a meeting's
    invitation of an outsider): what a guest sees of the body then ends when they are removed."""
    access.require_manage()
    assert access.body.id is not None and user.id is not None
    membership = Membership(body_id=access.body.id, user_id=user.id, role=MemberRole.guest)
    session.add(membership)
    session.flush()
    audit.record(
        session,
        user_id=access.user.id,
        verb="add_member",
        entity="body",
        entity_id=access.body.id,
        member_id=user.id,
        role=MemberRole.guest,
    )
    return membership


def names(session: Session, body_ids: set[int]) -> dict[int, str]:
    """Bodies' names, for a history that mentions them (an action referred from one to another)."""
    if not body_ids:
        return {}
    return {
        b.id: b.name
        for b in session.exec(select(Body).where(col(Body.id).in_(sorted(body_ids)))).all()
        if b.id
    }


def contributor_access(session: Session, user: User, body_id: int, *, guests: str) -> BodyAccess:
    """Someone adding content to a body (a report, an action): one of their bodies (else a field
    error, since the form offered it), its content open to them, not as a guest, the body open."""
    try:
        access = get_body_access(session, user, body_id)
    except NotFound as exc:
        raise InvalidInput({"body_id": N_("Choose one of your bodies.")}) from exc
    access.require_content()
    if access.role == MemberRole.guest:
        raise Forbidden(guests)
    access.require_open()
    return access


def get_body_access(session: Session, user: User, body_id: int) -> BodyAccess:
    """404 for whoever is not a member (nor admin or coordinator): do not confirm it exists.
    Read once per request (``db.remembered``), in one query: the body, its sectors, the person's
    membership, the current charter and whether they accepted it."""
    return remembered(
        session,
        ("body_access", user.id, body_id),
        lambda: _read_body_access(session, user, body_id),
        on=(Body, BodySector, Membership, Charter, CharterAcceptance),
    )


def _read_body_access(session: Session, user: User, body_id: int) -> BodyAccess:
    versions = aliased(Charter)
    latest = (
        select(func.max(versions.version))
        .where(versions.body_id == col(Body.id))
        .correlate(Body)
        .scalar_subquery()
    )
    accepted = (
        exists()
        .where(
            col(CharterAcceptance.body_id) == col(Body.id),
            col(CharterAcceptance.user_id) == user.id,
            col(CharterAcceptance.version) == col(Charter.version),
        )
        .label("accepted")
    )
    stmt = (
        select(Body, Membership, Charter, accepted, reach.oversees(user).label("overseen"))  # type: ignore[call-overload]
        .outerjoin(
            Membership,
            and_(
                col(Membership.body_id) == col(Body.id),
                col(Membership.user_id) == user.id,
                _active_membership(),
            ),
        )
        .outerjoin(Charter, and_(col(Charter.body_id) == col(Body.id), col(Charter.version) == latest))
        .where(Body.id == body_id)
        .options(joinedload(Body.sectors))  # type: ignore[arg-type]
    )
    row = session.execute(stmt).unique().first()  # unique: the sectors are joined
    if row is None:
        raise NotFound()
    body, membership, charter, charter_accepted, overseen = row
    if membership is None and not overseen:
        raise NotFound()
    return BodyAccess(
        body=body,
        user=user,
        role=MemberRole(membership.role) if membership else None,
        charter=charter,
        charter_accepted=bool(charter_accepted) and charter is not None and membership is not None,
        staff=bool(overseen),
    )


def _set_sectors(session: Session, body: Body, sector_ids: list[int]) -> None:
    ids = sorted(set(sector_ids))
    sectors = list(session.exec(select(Sector).where(col(Sector.id).in_(ids))).all()) if ids else []
    if len(sectors) != len(ids):
        raise InvalidInput({"sector_ids": N_("Unknown sector.")})
    body.sectors = sectors


def _check_dates(data: BodyCreate) -> None:
    if data.kind == BodyKind.crime_treatment_group and data.ends_on is None:
        raise InvalidInput({"ends_on": N_("A crime-treatment group needs an end date.")})
    data.theme = (data.theme or None) if data.kind == BodyKind.thematic_group else None
    if data.kind == BodyKind.thematic_group and not data.theme:
        raise InvalidInput({"theme": N_("A thematic group needs its theme.")})
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidInput({"ends_on": N_("The end date must come after the start date.")})


def create_body(session: Session, *, actor: User, data: BodyCreate) -> Body:
    require_staff(actor)
    reach.check_sectors(session, actor, data.sector_ids)
    _check_dates(data)
    body = Body.model_validate(data.model_dump(exclude={"sector_ids", "version"}))
    body.sectors = []
    _set_sectors(session, body, data.sector_ids)
    session.add(body)
    session.flush()
    audit.record(session, user_id=actor.id, verb="create", entity="body", entity_id=body.id, name=body.name)
    session.commit()
    return body


def update_body(session: Session, *, access: BodyAccess, data: BodyUpdate) -> Body:
    access.require_manage()
    body = lock_version(session, access.body, data.version, BODY_STALE)
    if data.kind != body.kind:
        # What a body's chair may see beyond it (a plenary's statistics and annual report) and a
        # crime-treatment group's end date hang on its kind: nobody retypes a body.
        raise InvalidInput({"kind": KIND_FIXED})
    _check_dates(data)
    # A body's sectors say whose diagnostics its chair and secretaries write, and which
    # communes' coordinators oversee it: the staff set them, a limited coordinator within their
    # communes (a secretary widened theirs to read and rewrite another commune's diagnostic).
    current = {s.id for s in body.sectors}
    if set(data.sector_ids) != current and not access.can_set_sectors:
        raise InvalidInput({"sector_ids": SECTORS_BY_STAFF})
    if access.role is None:  # set up as staff, not as its chair or secretary
        reach.check_sectors(session, access.user, data.sector_ids)
    elif added := sorted(set(data.sector_ids) - current):
        reach.check_sectors(session, access.user, added)
    if data.charter_required != body.charter_required and not access.can_chair:
        raise Forbidden(N_("Only the chair or the coordinator can require the charter or lift it."))
    body.sqlmodel_update(data.model_dump(exclude={"sector_ids", "version"}))
    _set_sectors(session, body, data.sector_ids)
    bump(body)
    session.add(body)
    audit.record(session, user_id=access.user.id, verb="update", entity="body", entity_id=body.id)
    session.commit()
    return body


def close_body(session: Session, *, access: BodyAccess) -> Body:
    access.require_chair()
    access.body.status = BodyStatus.closed
    bump(access.body)
    session.add(access.body)
    audit.record(session, user_id=access.user.id, verb="close", entity="body", entity_id=access.body.id)
    session.commit()
    return access.body


# Members


def list_members(session: Session, *, access: BodyAccess) -> list[Membership]:
    access.require_members()
    stmt = (
        select(Membership)
        .where(Membership.body_id == access.body.id)
        .options(selectinload(Membership.user).selectinload(User.organisation))  # type: ignore[arg-type]
        .order_by(col(Membership.role), col(Membership.id))
    )
    members = list(session.exec(stmt).all())
    order = list(MemberRole)
    return sorted(members, key=lambda m: (m.excluded_at is not None, order.index(m.role), m.user.name))


def set_member(session: Session, *, access: BodyAccess, user_id: int, role: MemberRole) -> Membership:
    """Adds a person to the body with this role, or changes their role (ends an exclusion)."""
    access.require_manage()
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise InvalidInput({"user_id": N_("Choose an active person.")})
    if role == MemberRole.chair and not access.can_chair:
        raise Forbidden(N_("Only the chair or the coordinator can name a chair."))
    membership = session.exec(
        select(Membership).where(Membership.body_id == access.body.id, Membership.user_id == user_id)
    ).first()
    if membership is not None and not access.can_change_member(membership):
        raise Forbidden(N_("Only the chair or the coordinator can change a chair or an excluded member."))
    excluded = membership is not None and membership.excluded_at is not None
    if user_id == access.user.id and (role in (MemberRole.chair, MemberRole.secretary) or excluded):
        # A seat that runs the body opens its restricted reports, and an exclusion is a sanction:
        # neither is one's own to take (the staff, who run every body, could take both).
        raise Forbidden(SELF_SEAT)
    verb: Verb = "add_member"
    if membership is None:
        assert access.body.id is not None
        membership = Membership(body_id=access.body.id, user_id=user_id, role=role)
    else:
        verb = "set_member_role"
        membership.role = role
        membership.excluded_at = None
        membership.excluded_reason = None
    session.add(membership)
    audit.record(
        session,
        user_id=access.user.id,
        verb=verb,
        entity="body",
        entity_id=access.body.id,
        member_id=user_id,
        role=role,
    )
    session.commit()
    return membership


def _membership(session: Session, access: BodyAccess, user_id: int) -> Membership:
    membership = session.exec(
        select(Membership).where(Membership.body_id == access.body.id, Membership.user_id == user_id)
    ).first()
    if membership is None:
        raise NotFound()
    return membership


def remove_member(session: Session, *, access: BodyAccess, user_id: int) -> None:
    access.require_manage()
    membership = _membership(session, access, user_id)
    if not access.can_change_member(membership):
        raise Forbidden(N_("Only the chair or the coordinator can change a chair or an excluded member."))
    session.delete(membership)
    audit.record(
        session,
        user_id=access.user.id,
        verb="remove_member",
        entity="body",
        entity_id=access.body.id,
        member_id=user_id,
    )
    session.commit()


def exclude_member(session: Session, *, access: BodyAccess, user_id: int, reason: str) -> None:
    """The chair excludes a member who breached the charter; access ends at once."""
    access.require_chair()
    reason = reason.strip()
    if not reason:
        raise InvalidInput({"reason": N_("Give the reason for the exclusion.")})
    if len(reason) > 2000:
        raise InvalidInput({"reason": N_("Keep the reason under 2,000 characters.")})
    if user_id == access.user.id:
        raise InvalidInput({"__all__": N_("You cannot exclude yourself.")})
    membership = _membership(session, access, user_id)
    membership.excluded_at = utcnow()
    membership.excluded_reason = reason
    session.add(membership)
    audit.record(
        session,
        user_id=access.user.id,
        verb="exclude_member",
        entity="body",
        entity_id=access.body.id,
        member_id=user_id,
        reason=reason,
    )
    session.commit()


# Charter


def current_charter(session: Session, body_id: int) -> Charter | None:
    return session.exec(
        select(Charter).where(Charter.body_id == body_id).order_by(col(Charter.version).desc())
    ).first()


def member_counts(
    session: Session, user: User, bodies: list[Body], roles: Mapping[int, MemberRole]
) -> dict[int, int]:
    """Active members of the bodies whose members this person may see (``roles``: roles_of)."""
    body_ids = [
        b.id
        for b in bodies
        if b.id is not None and (is_staff(user) or roles.get(b.id) not in (None, MemberRole.guest))
    ]
    if not body_ids:
        return {}
    rows = session.exec(
        select(Membership.body_id, func.count())
        .where(col(Membership.body_id).in_(body_ids), _active_membership())
        .group_by(col(Membership.body_id))
    ).all()
    return dict(rows)


def sector_ids(body: Body) -> list[int]:
    return [s.id for s in body.sectors if s.id is not None]
