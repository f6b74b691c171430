"""A report referred on its own to another body (a watch cell refers it to the crime-treatment
group, or to a neighbouring cell), with a reason.

- **Who:** the chair and the secretaries of the report's own body, and the staff, when they read
  the report whole and the body is open (docs/confidentiality.md). Whoever may not see the report
  gets 404; a reader who may not refer it, 403.
- **To whom:** an open body whose content the referrer sees, other than the report's own and
  those it is already referred to; never a plenary for a restricted or social report or one
  that names a person.
- **Then:** the receiving body's members read the report as its own body's members do (the one
  rule of ``visibility``: a ``restricted`` report to the chair and secretaries and the named
  organisations, a ``social`` one to the named organisations only), it is in that body's feed,
  the referral is audited, and the receiving body's secretaries who read it whole are told by
  mail (``flows.report_referred``).

A hand-over with an action (``actions.service.refer``) makes the same row, without a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, BodyStatus
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory.models import User
from veille.errors import Conflict, Forbidden, InvalidInput
from veille.i18n import N_
from veille.orm import utcnow
from veille.situations import flows, reports
from veille.situations.models import ReferralIn, SituationReferral
from veille.situations.visibility import SituationAccess

ANOTHER_BODY = N_("Choose another open body.")


@dataclass(frozen=True)
class Referral:
    """A referral as the report's page shows it."""

    body_id: int
    body_name: str
    reason: str | None
    referred_at: datetime | None
    referred_by: User | None


def can_refer(access: SituationAccess) -> bool:
    return access.full and access.manages and access.body_open


def require_refer(access: SituationAccess) -> None:
    if not (access.full and access.manages):
        raise Forbidden()
    if not access.body_open:
        raise Conflict(bodies.CLOSED)


def referrals_of(session: Session, access: SituationAccess) -> list[Referral]:
    """The bodies the report is referred to, oldest first (one query, two with referrers)."""
    rows = session.exec(
        select(SituationReferral, Body)
        .join(Body, col(Body.id) == col(SituationReferral.body_id))
        .where(SituationReferral.situation_id == access.situation.id)
        .order_by(col(SituationReferral.referred_at), col(Body.name))
    ).all()
    by_ids = sorted({r.referred_by for r, _ in rows if r.referred_by is not None})
    people = (
        {u.id: u for u in session.exec(select(User).where(col(User.id).in_(by_ids))).all()} if by_ids else {}
    )
    return [
        Referral(
            body_id=body.id or 0,
            body_name=body.name,
            reason=referral.reason,
            referred_at=referral.referred_at,
            referred_by=people.get(referral.referred_by) if referral.referred_by else None,
        )
        for referral, body in rows
    ]


def targets(session: Session, access: SituationAccess) -> list[Body]:
    """The bodies the person may refer the report to (empty for who may not refer it)."""
    if not can_refer(access):
        return []
    already = set(
        session.exec(
            select(SituationReferral.body_id).where(SituationReferral.situation_id == access.situation.id)
        ).all()
    )
    return [
        b
        for b in bodies.visible_bodies(session, access.viewer.user)
        if b.status == BodyStatus.active
        and b.id != access.situation.body_id
        and b.id not in already
        and access.viewer.sees_body(b.id or 0)
    ]


def refer(
    session: Session, *, access: SituationAccess, data: ReferralIn, settings: Settings
) -> SituationReferral:
    """Refers the report to ``data.body_id`` with the reason; audited; the receiving body's
    secretaries told. Commits."""
    require_refer(access)
    situation = access.situation
    target = next((b for b in targets(session, access) if b.id == data.body_id), None)
    if target is None:
        raise InvalidInput({"body_id": ANOTHER_BODY})
    if target.kind == BodyKind.plenary and reports.any_confidential(session, [situation.id or 0]):
        raise InvalidInput({"body_id": reports.PLENARY})
    user = access.viewer.user
    referral = SituationReferral(
        situation_id=situation.id or 0,
        body_id=target.id or 0,
        reason=data.reason,
        referred_by=user.id,
        referred_at=utcnow(),
    )
    session.add(referral)
    try:
        session.flush()
    except IntegrityError as exc:  # the same referral made at the same moment (a double submit)
        session.rollback()
        raise InvalidInput({"body_id": ANOTHER_BODY}) from exc
    audit.record(
        session,
        user_id=user.id,
        verb="refer",
        entity="situation",
        entity_id=situation.id,
        from_body_id=situation.body_id,
        to_body_id=target.id,
    )
    flows.report_referred(session, situation=situation, to_body=target, settings=settings)
    session.commit()
    return referral
