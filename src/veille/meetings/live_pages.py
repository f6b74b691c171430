"""Pages of the live meeting: the event stream of a meeting's page, the parts of the page that
its events refresh (each rendered for the one who asks, with their rights), and the
presentation mode for the projector, whose current item the secretary moves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session
from sse_starlette import EventSourceResponse

from veille.access import PageViewer
from veille.deps import SESSION_COOKIE, SessionDep
from veille.errors import Forbidden, InvalidInput, NotFound
from veille.events import last_id
from veille.i18n import N_, translate
from veille.meetings import live, presence
from veille.meetings.access import MeetingAccess, get_meeting_access
from veille.meetings.agenda import agenda
from veille.meetings.meeting_page import live_part, meeting_context, shown_up_to
from veille.types import Id, parse_int
from veille.web import Form, render, run_change

router = APIRouter()

# The parts of the meeting page its events refresh, and whether a guest's page has them.
PARTS = {
    "header": True,
    "attendance": True,
    "agenda": True,
    "round_table": False,
    "presence": False,
    "notes": False,
}


def _after(request: Request, session: Session, meeting_id: int) -> int:
    """Where a stream starts: after the last event the page saw (``Last-Event-ID`` when the
    browser reconnects, else the id the page was rendered with), so that nothing is missed."""
    for raw in (request.headers.get("last-event-id"), request.query_params.get("after")):
        try:
            return parse_int(raw or "")
        except ValueError:
            continue
    return last_id(session, live.topic(meeting_id))


@router.get("/meetings/{meeting_id}/live")
def meeting_stream(meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    """What changes in the meeting, as server-sent events naming the part of the page to fetch
    again; 404 for whoever may not see the meeting, and the stream ends when that changes."""
    access = get_meeting_access(session, viewer, meeting_id)
    after = _after(request, session, meeting_id)
    session.close()  # the stream opens short sessions of its own
    secret = request.cookies.get(SESSION_COOKIE, "")  # the stream ends with the session
    return EventSourceResponse(
        live.stream(request.app.state.engine, request.app.state.settings, access, secret, after),
        ping=presence.HEARTBEAT_SECONDS,
        headers={"X-Accel-Buffering": "no"},
    )


def _present_context(session: Session, access: MeetingAccess) -> dict[str, Any]:
    access.require_full()
    seen = shown_up_to(session, access.meeting.id or 0)
    items = agenda(session, access=access)
    current = presence.current_item(session, access, items)
    upcoming = items[items.index(current) + 1 :] if current is not None else []
    return {
        "access": access,
        "meeting": access.meeting,
        "body": access.body,
        "items": items,
        "current": current,
        "upcoming": upcoming[:3],
        "live_after": seen,
        "nav_active": "meetings",
    }


@router.get("/meetings/{meeting_id}/live/{part}")
def meeting_part(
    meeting_id: Id, part: str, request: Request, viewer: PageViewer, session: SessionDep
) -> Response:
    """One part of the meeting page (or the projected screen), for an event's refresh."""
    access = get_meeting_access(session, viewer, meeting_id)
    if part == "screen":
        return live_part(request, "meetings/present.html", _present_context(session, access), "screen")
    if part not in PARTS:
        raise NotFound()
    if not (PARTS[part] or access.full):
        raise Forbidden()  # a guest knows the meeting, not its members' parts
    if part == "notes":  # what a save of the notes changes: the items' minutes, not the agenda
        seen = shown_up_to(session, meeting_id)
        context = {"access": access, "items": agenda(session, access=access), "live_after": seen}
        return live_part(request, "meetings/_minutes_all.html", context, None)
    context = meeting_context(session, access, request.app.state.settings.today())
    if part == "presence":
        context["looking"] = presence.looking(session, access)
    return live_part(request, "meetings/detail.html", context, part)


@router.get("/meetings/{meeting_id}/present")
def present(meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    """The projector's page: large type, the current item and its notes, the next items."""
    access = get_meeting_access(session, viewer, meeting_id)
    return render(request, "meetings/present.html", _present_context(session, access))


@router.post("/meetings/{meeting_id}/present/current")
def show_item(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    """The secretary puts another item on the screens; the answer is the screen itself."""
    access = get_meeting_access(session, viewer, meeting_id)
    access.require_editable()  # refused before anything is read (403 for a member, 409 once locked)

    def apply() -> None:
        try:
            item_id = parse_int(str(form.get("item_id") or ""))
        except ValueError as exc:
            raise InvalidInput({"item_id": N_("Choose an item of the agenda.")}) from exc
        item = next((i for i in agenda(session, access=access) if i.id == item_id), None)
        if item is None:
            raise InvalidInput({"item_id": N_("Choose an item of the agenda.")})
        presence.show_item(session, access, item)

    def screen(notice: str | None, status: int = 200) -> Response:
        context = _present_context(session, access) | {"notice": notice}
        return live_part(request, "meetings/present.html", context, "screen", status)

    return run_change(
        session,
        apply,
        done=lambda: screen(None),
        refused=lambda errors, status: screen(translate(next(iter(errors.values()))), status),
    )
