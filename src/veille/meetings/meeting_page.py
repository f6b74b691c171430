"""The meeting page: what it shows (agenda with its linked reports and what other domains add,
attendance, round table) and the one way its htmx forms answer, the refreshed block of the page
with the change's notice or its refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer, Viewer
from veille.deps import SessionDep
from veille.directory import service as directory
from veille.events import last_id
from veille.i18n import translate
from veille.meetings import attendance, extensions, live
from veille.meetings.access import MeetingAccess, get_meeting_access
from veille.meetings.agenda import agenda, item_links
from veille.meetings.enums import AttendanceStatus, StandingItem
from veille.meetings.models import AgendaItem
from veille.orm import utcnow
from veille.situations import feed as situations
from veille.types import Id
from veille.web import Form, render, run_change

router = APIRouter()


def meeting_context(session: Session, access: MeetingAccess, today: date, **extra: Any) -> dict[str, Any]:
    seen = shown_up_to(session, access.meeting.id or 0)
    full = access.full
    rows = attendance.attendance(session, access=access) if full else []
    typed = str(extra.get("values", {}).get("person") or "") if access.can_edit else ""
    entries = attendance.round_table(session, access=access) if full else []
    items = agenda(session, access=access)
    since = access.previous_start if full else None
    parts = (
        _linked(session, access, access.viewer, items, since, today)
        if full
        else {"item_reports": {}, "slots": {slot: [] for slot in extensions.SLOTS}}
    )
    return {
        "new_reports": _new_reports(session, access, since, items) if full else [],
        **parts,
        "access": access,
        "meeting": access.meeting,
        "body": access.body,
        "items": items,
        "attendance": rows,
        "roll": attendance.roll(rows, access.meeting),
        # Typed in the invitation form and matching several people: those to choose from.
        "person_matches": directory.people_matching(session, typed, {i.user_id for i in rows}),
        "entries": entries,
        "my_entry": next((e for e in entries if e.organisation_id == access.user.organisation_id), None),
        "missing_organisations": sorted(
            {i.user.organisation.name for i in rows if not i.guest} - {e.organisation.name for e in entries}
        ),
        "statuses": list(AttendanceStatus),
        "errors": {},
        "notice": None,
        "values": {},
        "nav_active": "meetings",
        "live_after": seen,  # where its stream starts
    } | extra


def _linked(
    session: Session,
    access: MeetingAccess,
    viewer: Viewer,
    items: list[AgendaItem],
    since: datetime | None,
    today: date,
) -> dict[str, Any]:
    """The reports linked to each item, as far as the reader sees them; then what other domains
    add to the page. (What an item may link is in its edit form, loaded when opened.)"""
    links = item_links(session, [i.id for i in items if i.id is not None])
    reports = situations.visible_rows(session, viewer, {s for r, _ in links.values() for s in r}, "meeting")
    report_by_id = {r.situation.id: r for r in reports}
    context: dict[str, Any] = {
        "item_reports": {i: [report_by_id[s] for s in r if s in report_by_id] for i, (r, _) in links.items()},
    }
    page = extensions.MeetingPage(
        access=access, viewer=viewer, items=items, links=links, since=since, today=today
    )
    return context | extensions.page_context(session, page)


def _new_reports(
    session: Session, access: MeetingAccess, since: datetime | None, items: list[AgendaItem]
) -> list[Any]:
    """The standing item "new reports since the last meeting": those posted between the body's
    previous meeting (for its first meeting, since the body began: ``since`` is None) and this
    one, as far as the reader may see them; never a fixed span, which a summer break outlasts."""
    meeting = access.meeting
    if not any(i.standing == StandingItem.new_reports for i in items):
        return []
    return situations.posted_between(
        session, access.viewer, meeting.body_id, since, min(meeting.starts_at, utcnow())
    )


@router.get("/meetings/{meeting_id}")
def meeting_page(meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    return render(
        request, "meetings/detail.html", meeting_context(session, access, request.app.state.settings.today())
    )


def refreshed(
    request: Request,
    session: Session,
    viewer: Viewer,
    meeting_id: int,
    block: str,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    added_id: int | None = None,
) -> Response:
    """The meeting page (its ``block`` to htmx), read again after the change or its refusal;
    ``added_id``: the agenda item just added, which takes focus with the message under it."""
    session.rollback()
    access = get_meeting_access(session, viewer, meeting_id)
    context = meeting_context(
        session,
        access,
        request.app.state.settings.today(),
        errors=errors or {},
        notice=translate(notice) if notice else None,
        values=values or {},
        added_id=added_id,
    )
    return live_part(request, "meetings/detail.html", context, block, status_code)


def shown_up_to(session: Session, meeting_id: int) -> int:
    """The meeting's last event id, read *before* what a part shows: the part is then at least
    as new as every event up to it, and the page may skip those (``live_part``)."""
    return last_id(session, live.topic(meeting_id))


def live_part(
    request: Request, template: str, context: dict[str, Any], block: str | None, status_code: int = 200
) -> Response:
    """A part of a meeting's page, told with the last event it already shows
    (``Veille-Live-Seen``): the page then skips the stream's events up to it, so that a
    change's own event does not fetch the part again and wipe the change's message."""
    answer = render(request, template, context, block=block, status_code=status_code)
    answer.headers["Veille-Live-Seen"] = str(context["live_after"])
    return answer


def change(
    request: Request,
    session: Session,
    access: MeetingAccess,
    block: str,
    apply: Callable[[], object],
    done: str,
    form: Form | None = None,
    *,
    adds_item: bool = False,
) -> Response:
    """Runs a change of the meeting page and answers its block, with the refusal in it (never
    a lost form: the values typed come back). One that ``adds_item`` (``apply`` gives the item
    back) answers with focus and the message on that item, not at the page's top a few
    screens above on a phone."""
    viewer, meeting_id = access.viewer, access.meeting.id or 0
    made: list[object] = []

    def answer() -> Response:
        added = made[0].id if adds_item and isinstance(made[0], AgendaItem) else None
        return refreshed(request, session, viewer, meeting_id, block, notice=done, added_id=added)

    return run_change(
        session,
        lambda: made.append(apply()),
        done=answer,
        refused=lambda errors, status: refreshed(
            request, session, viewer, meeting_id, block, errors=errors, status_code=status, values=form
        ),
    )
