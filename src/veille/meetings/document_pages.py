"""A meeting's documents and calendars: the minutes and the convocation as PDF, the meeting's
calendar file, and each person's calendar feed (its page, its revocation, the feed itself).
The feed's page and revocation concern the person only (``PageUser``), not what they see."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.access import PageViewer, viewer_of
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import PageUser
from veille.i18n import N_
from veille.meetings import feeds, minutes
from veille.meetings.access import get_meeting_access
from veille.meetings.agenda import agenda
from veille.pdf import pdf_download
from veille.types import Id
from veille.web import ICS, download, redirect, render

router = APIRouter()


@router.get("/meetings/{meeting_id}/minutes.pdf")
def minutes_pdf(
    meeting_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    audience: str = "body",
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    assembled = minutes.minutes(
        session, access=access, audience="outside" if audience == "outside" else "body"
    )
    context = {"minutes": assembled, "settings": settings}
    name = minutes.minutes_name(assembled, settings)
    return pdf_download(request, minutes.PDF_TEMPLATE, context, str(viewer.user.language), name)


@router.get("/meetings/{meeting_id}/convocation.pdf")
def convocation_pdf(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """A printable convocation, for partners who do not read mail."""
    access = get_meeting_access(session, viewer, meeting_id)
    access.require_full()
    context = {
        "meeting": access.meeting,
        "body": access.body,
        "items": agenda(session, access=access),
        "settings": settings,
    }
    name = minutes.document_name("convocation", access.meeting, access.body, settings)
    return pdf_download(request, "meetings/convocation_pdf.html", context, str(viewer.user.language), name)


@router.get("/meetings/{meeting_id}/calendar.ics")
def meeting_calendar(
    meeting_id: Id, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    return download(
        feeds.meeting_calendar(session, access=access, settings=settings), ICS, f"reunion-{meeting_id}.ics"
    )


@router.get("/calendar")
def calendar_page(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    current = feeds.feed(session, user=user)
    return render(
        request,
        "meetings/calendar.html",
        {"url": feeds.feed_url(settings, current), "nav_active": "meetings"},
    )


@router.post("/calendar/revoke")
def revoke_calendar(request: Request, user: PageUser, session: SessionDep) -> Response:
    feeds.revoke_feed(session, user=user)
    return redirect(
        request, "/calendar", flash=N_("Your calendar has a new address; the old one no longer works.")
    )


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The personal feed, for calendar applications that cannot log in: its address is the secret.
    Nobody is signed in, so the viewer is built here from the person the address stands for."""
    viewer = viewer_of(session, feeds.feed_owner(session, token=token, settings=settings))
    data = feeds.feed_calendar(session, viewer=viewer, settings=settings)
    return Response(data, media_type=ICS, headers={"Cache-Control": "private, max-age=900"})
