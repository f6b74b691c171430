"""Pages of a meeting's agenda: adding, ordering, changing, carrying over and removing items,
and the notes typed into them as the meeting goes (saved without replacing the text). An item's
edit form is a page of its own, which the meeting page loads into the item when it is opened:
the meeting page does not carry each item's choice of reports and actions to link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer
from veille.deps import SessionDep
from veille.errors import InvalidInput
from veille.i18n import N_
from veille.meetings import agenda, extensions
from veille.meetings.access import MeetingAccess, get_item_access, get_meeting_access
from veille.meetings.meeting_page import change, refreshed
from veille.meetings.models import AgendaItem, AgendaItemIn, NotesIn
from veille.situations import feed as situations
from veille.types import Id, parse_ids, parse_int
from veille.web import Form, FormData, is_htmx, parse_form, redirect, render, run_change

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
        adds_item=True,
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


def _chosen(values: FormData, name: str) -> list[int]:
    """The ids ticked in a refused form, to tick them again (none when they do not parse)."""
    try:
        return parse_ids(values.get(name, []))
    except ValueError:
        return []


def _item_form(
    request: Request,
    session: Session,
    access: MeetingAccess,
    item: AgendaItem,
    *,
    errors: dict[str, str] | None = None,
    values: FormData | None = None,
    status_code: int = 200,
) -> Response:
    """The item's edit form with what it may link (the records it links already among them,
    so that saving it drops none): its page, or its block for the meeting page."""
    links = agenda.item_links(session, [item.id or 0]).get(item.id or 0, ([], []))
    chosen = (_chosen(values, "situation_ids"), _chosen(values, "action_ids")) if values else links
    today = request.app.state.settings.today()
    form = extensions.ItemForm(access=access, item=item, links=links, today=today)
    context = {
        "meeting": access.meeting,
        "body": access.body,
        "item": item,
        "chosen": chosen,
        "link_reports": situations.readable_titles(session, access.viewer, access.meeting.body_id, links[0]),
        "errors": errors or {},
        "values": values or {},
        "nav_active": "meetings",
    } | extensions.form_context(session, form)
    return render(request, "meetings/item_edit.html", context, block="item_form", status_code=status_code)


@router.get("/agenda-items/{item_id}/edit")
def edit_item_page(item_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access, item = get_item_access(session, viewer, item_id)
    access.require_editable()
    return _item_form(request, session, access, item)


@router.post("/agenda-items/{item_id}/edit")
def edit_item(item_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form) -> Response:
    """Saved, the meeting's agenda comes back in place of the form's item (htmx) or the
    meeting page opens at the item; refused, the form comes back with its errors and values."""
    access, item = get_item_access(session, viewer, item_id)

    def apply() -> object:
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

    def done() -> Response:
        saved = N_("The item was saved.")
        if not is_htmx(request):
            return redirect(request, f"/meetings/{item.meeting_id}#item-{item_id}", flash=saved)
        answer = refreshed(request, session, viewer, item.meeting_id, "agenda", notice=saved)
        answer.headers.update({"HX-Retarget": "#agenda", "HX-Reswap": "outerHTML"})
        return answer

    def refused(errors: dict[str, str], status: int) -> Response:
        again, current = get_item_access(session, viewer, item_id)
        return _item_form(request, session, again, current, errors=errors, values=form, status_code=status)

    return run_change(session, apply, done=done, refused=refused)


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
        return status(next(iter(errors.values())), code)

    return run_change(session, apply, done=lambda: status(None), refused=refused)
