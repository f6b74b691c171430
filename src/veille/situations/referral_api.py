"""JSON API of a report's referrals to other bodies (``situations.referrals``)."""

from __future__ import annotations

from fastapi import APIRouter

from veille.access import ApiViewer
from veille.deps import SessionDep, SettingsDep
from veille.errors import Forbidden
from veille.pagination import Paged
from veille.situations import referrals
from veille.situations.models import ReferralIn, ReferralPublic
from veille.situations.visibility import SituationAccess, get_situation
from veille.types import Id

router = APIRouter(prefix="/situations", tags=["situations"])


def _public(item: referrals.Referral) -> ReferralPublic:
    return ReferralPublic(
        body_id=item.body_id,
        body_name=item.body_name,
        reason=item.reason,
        referred_by=item.referred_by.id if item.referred_by else None,
        referred_at=item.referred_at,
    )


def _listed(session: SessionDep, access: SituationAccess) -> Paged[ReferralPublic]:
    return Paged(items=[_public(r) for r in referrals.referrals_of(session, access)], next_cursor=None)


@router.get("/{situation_id}/referrals", response_model=Paged[ReferralPublic])
def list_referrals(situation_id: Id, viewer: ApiViewer, session: SessionDep) -> Paged[ReferralPublic]:
    """The bodies the report is referred to, on its own (with a reason) or with an action handed
    over (``reason`` null), oldest first; for those who read the report whole (a stub's reader
    gets 403, whoever may not see it 404). A read of a restricted or social report's referrals is
    audited."""
    access = get_situation(session, viewer, situation_id, audit_via="api")
    if not access.full:
        raise Forbidden()
    return _listed(session, access)


@router.post("/{situation_id}/referrals", response_model=Paged[ReferralPublic], status_code=201)
def refer_situation(
    situation_id: Id, data: ReferralIn, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> Paged[ReferralPublic]:
    """Refers the report on its own to another open body (``body_id``) with a ``reason``: its
    members then read it as a report of their own body (under the same confidentiality rule).
    The chair and secretaries of the report's body and the staff may, when they read it whole;
    audited; the receiving body's secretaries are told by mail. 404 for whoever may not see the
    report, 403 for a reader who may not refer it, 422 for a body one may not refer it to (its
    own, one it is already referred to, a closed one, a plenary for a confidential report).
    Answers the report's referrals."""
    access = get_situation(session, viewer, situation_id, audit_via="api")
    referrals.refer(session, access=access, data=data, settings=settings)
    return _listed(session, get_situation(session, viewer, situation_id))
