"""The page that refers a report on its own to another body, with a reason
(``situations.referrals``): its form and its answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer
from veille.deps import SessionDep, SettingsDep
from veille.i18n import N_
from veille.situations import referrals
from veille.situations.models import ReferralIn
from veille.situations.visibility import SituationAccess, get_situation, record_reads
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter()
FORM = "situations/refer.html"


def _context(session: Session, access: SituationAccess, **extra: Any) -> dict[str, Any]:
    return {
        "access": access,
        "situation": access.situation,
        "body": access.body,
        "targets": referrals.targets(session, access),
        "referrals": referrals.referrals_of(session, access),
        "values": {},
        "errors": {},
        "nav_active": "situations",
    } | extra


@router.get("/situations/{situation_id}/refer")
def refer_form(situation_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    """The form names the report: reading a confidential one here is audited too."""
    access = get_situation(session, viewer, situation_id)
    referrals.require_refer(access)
    record_reads(session, viewer, [access.situation], "refer")
    return render(request, FORM, _context(session, access))


@router.post("/situations/{situation_id}/refer")
def refer(
    situation_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    access = get_situation(session, viewer, situation_id)
    referrals.require_refer(access)

    def refused(errors: dict[str, str], status: int) -> Response:
        again = get_situation(session, viewer, situation_id)
        return render(request, FORM, _context(session, again, values=form, errors=errors), status_code=status)

    return run_change(
        session,
        lambda: referrals.refer(session, access=access, data=parse_form(ReferralIn, form), settings=settings),
        done=lambda: redirect(
            request,
            f"/situations/{situation_id}#referrals",
            flash=N_("The report is referred; the receiving body's secretaries are told."),
        ),
        refused=refused,
    )
