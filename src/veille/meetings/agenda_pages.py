"""Pages of a meeting's agenda: adding, ordering, changing, carrying over and removing items,
and the notes typed into them as the meeting goes (saved without replacing the text)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.access import PageViewer
from veille.deps import SessionDep
from veille.errors import InvalidInput
from veille.i18n import N_
from veille.meetings import agenda
from veille.meetings.access import MeetingAccess, get_item_access, get_meeting_access
from veille.meetings.meeting_page import change
from veille.meetings.models import AgendaItem, AgendaItemIn, NotesIn
from veille.types import Id, parse_ids, parse_int
from veille.web import Form, parse_form, render, run_change

router = APIRouter()


@router.post("/meetings/{meeting_id}/agenda")
def add_item(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    return change(
        request,
        session,
        access,
        "agenda",
        lambda: agenda.add_item(session, access=access, data=parse_form(AgendaItemIn, form)),
        N_("The item was added to the agenda."),
        form,
    )


@router.post("/meetings/{meeting_id}/agenda/order")
def order_items(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)

    def apply() -> object:
        raw = form.get("ids", [])
        try:
            ids = parse_ids(raw)
        except ValueError as exc:
            raise InvalidInput({"ids": N_("Give every item of the agenda once.")}) from exc
        return agenda.reorder(session, access=access, ids=ids)

    return change(request, session, access, "agenda", apply, N_("The agenda is reordered."))


def _item_change(
    request: Request,
    session: SessionDep,
    viewer: PageViewer,
    item_id: Id,
    apply: Callable[[MeetingAccess, AgendaItem], object],
    done: str,
) -> Response:
    """A change of one agenda item, answered with the refreshed agenda."""
    access, item = get_item_access(session, viewer, item_id)
    return change(request, session, access, "agenda", lambda: apply(access, item), done)


@router.post("/agenda-items/{item_id}/move")
def move_item(item_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form) -> Response:
    offset = -1 if form.get("direction") == "up" else 1
    return _item_change(
        request,
        session,
        viewer,
        item_id,
        lambda access, item: agenda.move(session, access=access, item=item, offset=offset),
        N_("The item was moved up.") if offset < 0 else N_("The item was moved down."),
    )


@router.post("/agenda-items/{item_id}/edit")
def edit_item(item_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form) -> Response:
    def apply(access: MeetingAccess, item: AgendaItem) -> object:
        values = dict(form)
        if form.get("links"):  # the link boxes were shown: none ticked means none
            values.setdefault("situation_ids", [])
            values.setdefault("action_ids", [])
        data = parse_form(AgendaItemIn, values)
        try:
            version = parse_int(str(form.get("version") or item.version))
        except ValueError as exc:
            raise InvalidInput({"__all__": N_("Reload the page and try again.")}) from exc
        return agenda.update_item(session, access=access, item=item, data=data, version=version)

    return _item_change(request, session, viewer, item_id, apply, N_("The item was saved."))


@router.post("/agenda-items/{item_id}/delete")
def delete_item(item_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    return _item_change(
        request,
        session,
        viewer,
        item_id,
        lambda access, item: agenda.delete_item(session, access=access, item=item),
        N_("The item was removed from the agenda."),
    )


@router.post("/agenda-items/{item_id}/carry-over")
def carry_over(item_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    return _item_change(
        request,
        session,
        viewer,
        item_id,
        lambda access, item: agenda.carry_over(session, access=access, item=item),
        N_("The item is carried over to the next meeting, with its notes."),
    )


@router.post("/agenda-items/{item_id}/notes")
def save_notes(
    item_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    """Saved as the secretary types: answers only the item's save status and its new version,
    so that the text being typed is never replaced."""
    access, item = get_item_access(session, viewer, item_id)
    saved: list[AgendaItem] = [item]

    def apply() -> None:
        data = parse_form(NotesIn, form, confidential=form.get("confidential") == "1")
        saved[0] = agenda.save_notes(session, access=access, item=item, data=data)

    def status(error: str | None, code: int = 200) -> Response:
        context: dict[str, Any] = {"item": saved[0], "error": error, "oob": True}
        return render(request, "meetings/_notes_status.html", context, status_code=code)

    def refused(errors: dict[str, str], code: int) -> Response:
        session.rollback()
        return status(next(iter(errors.values())), code)

    return run_change(apply, done=lambda: status(None), refused=refused)
