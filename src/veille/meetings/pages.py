"""HTML pages of meetings: lists, the meeting page and its htmx fragments, documents, calendar."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.actions import service as actions
from veille.bodies import service as bodies
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.errors import Conflict, InvalidInput, ServiceError
from veille.i18n import N_, translate
from veille.meetings import mails, service
from veille.meetings.enums import ANSWERS, AttendanceStatus, MeetingStatus, StandingItem
from veille.meetings.models import (
    AgendaItem,
    AgendaItemIn,
    AttendanceIn,
    MeetingForm,
    MeetingIn,
    NotesIn,
    RoundTableIn,
    SeriesForm,
)
from veille.orm import utcnow
from veille.pdf import render_pdf
from veille.situations import service as situations
from veille.types import Id, parse_id, parse_ids, parse_int
from veille.web import ICS, PDF, Form, download, form_error_response, parse_form, redirect, render, translated

router = APIRouter()
# The parts of the meeting page that its htmx forms refresh.
AGENDA, ATTENDANCE, ROUND_TABLE = (
    "meetings/_agenda.html",
    "meetings/_attendance.html",
    "meetings/_round_table.html",
)


# Lists


@router.get("/meetings")
def my_meetings(request: Request, user: PageUser, session: SessionDep) -> Response:
    return render(
        request,
        "meetings/mine.html",
        {"upcoming": service.upcoming_meetings(session, user, limit=50), "nav_active": "meetings"},
    )


def _body_context(session: SessionDep, access: bodies.BodyAccess, **extra: Any) -> dict[str, Any]:
    return {
        "access": access,
        "body": access.body,
        "meetings": service.body_meetings(session, access),
        "values": {},
        "series": {"ordinal": "1", "weekday": "1", "start": "14:00", "end": "16:00", "count": "6"},
        "nav_active": "bodies",
    } | extra


@router.get("/bodies/{body_id}/meetings")
def body_meetings(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    return render(request, "meetings/body_list.html", _body_context(session, access))


def _meeting_in(form: Form, settings: SettingsDep) -> MeetingIn:
    data = parse_form(MeetingForm, form)
    starts_at, ends_at = service.local_times(data.day, data.start, data.end, settings)
    return MeetingIn(starts_at=starts_at, ends_at=ends_at, location=data.location, version=data.version)


def _form_context(access: bodies.BodyAccess, meeting: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "access": access,
        "body": access.body,
        "meeting": meeting,
        "values": values,
        "nav_active": "bodies",
    }


@router.get("/bodies/{body_id}/meetings/new")
def new_meeting_form(body_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    values = {"start": "14:00", "end": "16:00"}
    return render(request, "meetings/form.html", _form_context(access, None, values))


@router.post("/bodies/{body_id}/meetings/new")
def create_meeting(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    try:
        meeting = service.create_meeting(session, access=access, data=_meeting_in(form, settings))
    except InvalidInput as exc:
        session.rollback()
        return form_error_response(request, "meetings/form.html", _form_context(access, None, form), exc)
    return redirect(request, f"/meetings/{meeting.id}", flash=N_("The meeting is planned."))


@router.post("/bodies/{body_id}/meetings/series")
def plan_series(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    try:
        created = service.plan_series(
            session, access=access, data=parse_form(SeriesForm, form), settings=settings
        )
    except InvalidInput as exc:
        session.rollback()
        context = _body_context(session, access, series=form)
        return form_error_response(request, "meetings/body_list.html", context, exc)
    flash = (
        N_("The meetings of the series are planned.")
        if created
        else N_("Every day of the series already had a meeting.")
    )
    return redirect(request, f"/bodies/{body_id}/meetings", flash=flash)


# The meeting page


def _meeting_context(
    session: SessionDep, access: service.MeetingAccess, today: date, **extra: Any
) -> dict[str, Any]:
    full = access.full
    attendance = service.attendance(session, access=access) if full else []
    invited = {i.user_id for i in attendance}
    candidates = (
        [u for u in directory.active_users(session) if u.id not in invited] if access.can_edit else []
    )
    entries = service.round_table(session, access=access) if full else []
    items = service.agenda(session, access=access)
    viewer = situations.viewer_for(session, access.user) if full else None
    since = service.previous_start(session, access.meeting) if full else None
    return {
        "new_reports": _new_reports(session, access, viewer, since, items),
        **_actions(session, access, viewer, since, items, today),
        "access": access,
        "meeting": access.meeting,
        "body": access.body,
        "items": items,
        "attendance": attendance,
        "candidates": candidates,
        "entries": entries,
        "my_entry": next((e for e in entries if e.organisation_id == access.user.organisation_id), None),
        "missing_organisations": sorted(
            {i.user.organisation.name for i in attendance if not i.guest}
            - {e.organisation.name for e in entries}
        ),
        "statuses": list(AttendanceStatus),
        "errors": {},
        "notice": None,
        "values": {},
        "nav_active": "meetings",
    } | extra


def _actions(
    session: SessionDep,
    access: service.MeetingAccess,
    viewer: situations.Viewer | None,
    since: datetime | None,
    items: list[AgendaItem],
    today: date,
) -> dict[str, Any]:
    """The actions the meeting decided, by agenda item, and its standing item "follow-up of
    actions": what changed on each open action since the previous meeting."""
    if viewer is None:
        return {"decisions": {}, "follow_up": [], "body_names": {}, "item_reports": {}, "item_actions": {}}
    meeting = access.meeting
    decisions: dict[int, list[Any]] = {}
    for action in actions.decided_at(session, viewer, meeting.id or 0):
        decisions.setdefault(action.agenda_item_id or 0, []).append(action)
    follow_up: list[actions.FollowUp] = []
    if any(i.standing == StandingItem.actions_follow_up for i in items):
        until = (
            max(meeting.starts_at, utcnow())
            if meeting.status != MeetingStatus.minutes_approved
            else meeting.ends_at
        )
        follow_up = actions.follow_up(session, viewer, meeting.body_id, since, until, today)
    body_ids = {e.from_body_id for f in follow_up for e in f.entries} | {
        e.to_body_id for f in follow_up for e in f.entries
    }
    return {
        "decisions": decisions,
        "follow_up": follow_up,
        "body_names": bodies.names(session, {i for i in body_ids if i}),
    } | _links(session, access, viewer, items, today)


def _links(
    session: SessionDep,
    access: service.MeetingAccess,
    viewer: situations.Viewer,
    items: list[AgendaItem],
    today: date,
) -> dict[str, Any]:
    """The reports and actions linked to each item, as far as the reader sees them, and for
    those who edit the agenda the body's reports and open actions they may link."""
    links = service.item_links(session, [i.id for i in items if i.id is not None])
    reports = situations.visible_rows(session, viewer, {s for r, _ in links.values() for s in r}, "meeting")
    linked = actions.linked_rows(session, viewer, {x for _, a in links.values() for x in a}, today)
    report_by_id = {r.situation.id: r for r in reports}
    action_by_id = {r.action.id: r for r in linked}
    context: dict[str, Any] = {
        "item_reports": {i: [report_by_id[s] for s in r if s in report_by_id] for i, (r, _) in links.items()},
        "item_actions": {i: [action_by_id[x] for x in a if x in action_by_id] for i, (_, a) in links.items()},
        "item_links": links,
        "link_reports": [],
        "link_actions": [],
    }
    if access.can_edit:
        body_id = access.meeting.body_id
        context["link_reports"] = situations.readable_titles(session, viewer, body_id)
        open_actions = actions.query(viewer, actions.Filters(body_id=body_id, open_only=True), today)
        context["link_actions"] = list(session.exec(actions.by_due_date(open_actions).limit(100)).all())
    return context


def _new_reports(
    session: SessionDep,
    access: service.MeetingAccess,
    viewer: situations.Viewer | None,
    since: datetime | None,
    items: list[AgendaItem],
) -> list[Any]:
    """The standing item "new reports since the last meeting": those posted between the body's
    previous meeting (or a month before) and this one, as far as the reader may see them."""
    meeting = access.meeting
    if viewer is None or not any(i.standing == StandingItem.new_reports for i in items):
        return []
    start = since or meeting.starts_at - timedelta(days=31)
    return situations.posted_between(
        session, viewer, meeting.body_id, start, min(meeting.starts_at, utcnow())
    )


@router.get("/meetings/{meeting_id}")
def meeting_page(meeting_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    return render(
        request, "meetings/detail.html", _meeting_context(session, access, request.app.state.settings.today())
    )


def _fragment(
    request: Request,
    session: SessionDep,
    user: PageUser,
    meeting_id: Id,
    fragment: str,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
) -> Response:
    """A part of the meeting page, read again after the change (or its refusal)."""
    session.rollback()
    access = service.get_meeting_access(session, user, meeting_id)
    context = _meeting_context(
        session,
        access,
        request.app.state.settings.today(),
        errors=translated(errors or {}),
        notice=translate(notice) if notice else None,
        values=values or {},
    )
    return render(request, "meetings/detail.html", context, fragment=fragment, status_code=status_code)


def _change(
    request: Request,
    session: SessionDep,
    user: PageUser,
    meeting_id: Id,
    fragment: str,
    change: Callable[[], object],
    done: str,
    form: Form | None = None,
) -> Response:
    """Runs a change and answers the fragment, with the refusal in it (never a lost form)."""
    try:
        change()
    except InvalidInput as exc:
        return _fragment(
            request, session, user, meeting_id, fragment, errors=exc.errors, status_code=422, values=form
        )
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        errors = {"__all__": exc.message}
        return _fragment(
            request,
            session,
            user,
            meeting_id,
            fragment,
            errors=errors,
            status_code=exc.status_code,
            values=form,
        )
    return _fragment(request, session, user, meeting_id, fragment, notice=done)


@router.get("/meetings/{meeting_id}/edit")
def edit_meeting_form(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    access.require_editable()
    meeting = access.meeting
    start, end = meeting.starts_at.astimezone(settings.tz), meeting.ends_at.astimezone(settings.tz)
    values = {
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "location": meeting.location,
        "version": meeting.version,
    }
    assert access.body_access is not None
    return render(request, "meetings/form.html", _form_context(access.body_access, meeting, values))


@router.post("/meetings/{meeting_id}/edit")
def edit_meeting(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    access.require_editable()
    assert access.body_access is not None
    context = _form_context(access.body_access, access.meeting, form)
    try:
        service.update_meeting(session, access=access, data=_meeting_in(form, settings), settings=settings)
    except InvalidInput as exc:
        session.rollback()
        return form_error_response(request, "meetings/form.html", context, exc)
    except Conflict as exc:
        session.rollback()
        error = InvalidInput({"__all__": exc.message})
        return form_error_response(request, "meetings/form.html", context, error, status_code=409)
    return redirect(request, f"/meetings/{meeting_id}", flash=N_("The meeting was saved."))


@router.post("/meetings/{meeting_id}/convene")
def convene(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    service.convene(session, access=access, settings=settings)
    return redirect(
        request,
        f"/meetings/{meeting_id}",
        flash=N_("The meeting is convened: every member receives the convocation by mail."),
    )


@router.post("/meetings/{meeting_id}/cancel")
def cancel(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    service.cancel(session, access=access, settings=settings)
    return redirect(request, f"/meetings/{meeting_id}", flash=N_("The meeting is cancelled."))


@router.post("/meetings/{meeting_id}/approve")
def approve(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    service.approve(session, access=access, settings=settings)
    return redirect(
        request, f"/meetings/{meeting_id}", flash=N_("The minutes are approved and sent to the members.")
    )


# Attendance and round table


def _answer(form: Form) -> AttendanceIn:
    return parse_form(AttendanceIn, form)


@router.post("/meetings/{meeting_id}/attendance")
def answer(meeting_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    assert user.id is not None
    return _change(
        request,
        session,
        user,
        meeting_id,
        ATTENDANCE,
        lambda: service.set_attendance(session, access=access, user_id=user.id or 0, data=_answer(form)),
        N_("Your answer is recorded."),
        form,
    )


@router.post("/meetings/{meeting_id}/attendance/{invitee_id}")
def record_attendance(
    meeting_id: Id, invitee_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)

    def change() -> object:
        try:
            return service.set_attendance(session, access=access, user_id=invitee_id, data=_answer(form))
        except InvalidInput as exc:
            # The list has one form per invitee: the message goes above it, not to a field.
            raise InvalidInput({"__all__": next(iter(exc.errors.values()))}) from exc

    return _change(
        request,
        session,
        user,
        meeting_id,
        ATTENDANCE,
        change,
        N_("The attendance is recorded."),
    )


@router.post("/meetings/{meeting_id}/invitations")
def invite(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)

    def change() -> object:
        try:
            invitee = parse_id(form.get("user_id", ""))
        except ValueError as exc:
            raise InvalidInput({"user_id": N_("Choose an active person.")}) from exc
        return service.invite_guest(session, access=access, user_id=invitee, settings=settings)

    return _change(request, session, user, meeting_id, ATTENDANCE, change, N_("The person is invited."))


@router.post("/meetings/{meeting_id}/invitations/{invitee_id}/withdraw")
def withdraw_invitation(
    meeting_id: Id,
    invitee_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    return _change(
        request,
        session,
        user,
        meeting_id,
        ATTENDANCE,
        lambda: service.withdraw_invitation(session, access=access, user_id=invitee_id, settings=settings),
        N_("The invitation is withdrawn."),
    )


@router.post("/meetings/{meeting_id}/round-table")
def round_table(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    return _change(
        request,
        session,
        user,
        meeting_id,
        ROUND_TABLE,
        lambda: service.save_round_table(session, access=access, data=parse_form(RoundTableIn, form)),
        N_("Your organisation's update is saved."),
        form,
    )


# Agenda and minutes


@router.post("/meetings/{meeting_id}/agenda")
def add_item(meeting_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    return _change(
        request,
        session,
        user,
        meeting_id,
        AGENDA,
        lambda: service.add_item(session, access=access, data=parse_form(AgendaItemIn, form)),
        N_("The item was added to the agenda."),
        form,
    )


@router.post("/meetings/{meeting_id}/agenda/order")
def order_items(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)

    def change() -> object:
        raw = form.get("ids", [])
        try:
            ids = parse_ids(raw)
        except ValueError as exc:
            raise InvalidInput({"ids": N_("Give every item of the agenda once.")}) from exc
        return service.reorder(session, access=access, ids=ids)

    return _change(request, session, user, meeting_id, AGENDA, change, N_("The agenda is reordered."))


def _item_change(
    request: Request,
    session: SessionDep,
    user: PageUser,
    item_id: Id,
    change: Callable[[service.MeetingAccess, AgendaItem], object],
    done: str,
) -> Response:
    """A change of one agenda item, answered with the refreshed agenda."""
    access, item = service.get_item_access(session, user, item_id)
    return _change(request, session, user, item.meeting_id, AGENDA, lambda: change(access, item), done)


@router.post("/agenda-items/{item_id}/move")
def move_item(item_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    offset = -1 if form.get("direction") == "up" else 1
    return _item_change(
        request,
        session,
        user,
        item_id,
        lambda access, item: service.move(session, access=access, item=item, offset=offset),
        N_("The item was moved up.") if offset < 0 else N_("The item was moved down."),
    )


@router.post("/agenda-items/{item_id}/edit")
def edit_item(item_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    def change(access: service.MeetingAccess, item: AgendaItem) -> object:
        values = dict(form)
        if form.get("links"):  # the link boxes were shown: none ticked means none
            values.setdefault("situation_ids", [])
            values.setdefault("action_ids", [])
        data = parse_form(AgendaItemIn, values)
        try:
            version = parse_int(str(form.get("version") or item.version))
        except ValueError as exc:
            raise InvalidInput({"__all__": N_("Reload the page and try again.")}) from exc
        return service.update_item(session, access=access, item=item, data=data, version=version)

    return _item_change(request, session, user, item_id, change, N_("The item was saved."))


@router.post("/agenda-items/{item_id}/delete")
def delete_item(item_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    return _item_change(
        request,
        session,
        user,
        item_id,
        lambda access, item: service.delete_item(session, access=access, item=item),
        N_("The item was removed from the agenda."),
    )


@router.post("/agenda-items/{item_id}/carry-over")
def carry_over(item_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    return _item_change(
        request,
        session,
        user,
        item_id,
        lambda access, item: service.carry_over(session, access=access, item=item),
        N_("The item is carried over to the next meeting, with its notes."),
    )


@router.post("/agenda-items/{item_id}/notes")
def save_notes(item_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form) -> Response:
    """Saved as the secretary types: answers only the item's save status and its new version,
    so that the text being typed is never replaced."""
    access, item = service.get_item_access(session, user, item_id)
    context: dict[str, Any] = {"item": item, "error": None, "oob": True}
    status_code = 200
    try:
        data = parse_form(NotesIn, form, confidential=form.get("confidential") == "1")
        item = service.save_notes(session, access=access, item=item, data=data)
    except InvalidInput as exc:
        session.rollback()
        context["error"] = translate(next(iter(exc.errors.values())))
        status_code = 422
    except Conflict as exc:
        session.rollback()
        context["error"] = translate(exc.message)
        status_code = 409
    return render(request, "meetings/_notes_status.html", context | {"item": item}, status_code=status_code)


# Documents and calendar


@router.get("/meetings/{meeting_id}/minutes.pdf")
def minutes_pdf(
    meeting_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    audience: str = "body",
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    minutes = service.minutes(session, access=access, audience="outside" if audience == "outside" else "body")
    data = mails.minutes_pdf(minutes, settings, str(user.language))
    return download(data, PDF, f"compte-rendu-{meeting_id}.pdf")


@router.get("/meetings/{meeting_id}/convocation.pdf")
def convocation_pdf(
    meeting_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """A printable convocation, for partners who do not read mail."""
    access = service.get_meeting_access(session, user, meeting_id)
    access.require_full()
    context = {
        "meeting": access.meeting,
        "body": access.body,
        "items": service.agenda(session, access=access),
        "settings": settings,
    }
    return download(
        render_pdf("meetings/convocation_pdf.html", context, str(user.language)),
        PDF,
        f"convocation-{meeting_id}.pdf",
    )


@router.get("/meetings/{meeting_id}/calendar.ics")
def meeting_calendar(meeting_id: Id, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    return download(
        service.meeting_calendar(session, access=access, settings=settings), ICS, f"reunion-{meeting_id}.ics"
    )


@router.get("/calendar")
def calendar_page(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    current = service.feed(session, user=user)
    return render(
        request,
        "meetings/calendar.html",
        {"url": service.feed_url(settings, current), "nav_active": "meetings"},
    )


@router.post("/calendar/revoke")
def revoke_calendar(request: Request, user: PageUser, session: SessionDep) -> Response:
    service.revoke_feed(session, user=user)
    return redirect(
        request, "/calendar", flash=N_("Your calendar has a new address; the old one no longer works.")
    )


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    """The personal feed, for calendar applications that cannot log in: its address is the secret."""
    data = service.feed_calendar(session, token=token, settings=settings)
    return Response(data, media_type=ICS, headers={"Cache-Control": "private, max-age=900"})


# One-click answers from the convocation mail (no login)


def _answer_context(
    meeting: Any, body: Any, invitation: Any, status: str, link: str, **extra: Any
) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "body": body,
        "invitation": invitation,
        "status": status if status in {s.value for s in ANSWERS} else "confirmed",
        "link": link,
        "open": service.answer_open(meeting),
        "errors": {},
        "done": False,
    } | extra


@router.get("/meetings/{meeting_id}/answer/{invitee_id}/{signature}")
def answer_link(
    meeting_id: Id,
    invitee_id: Id,
    signature: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    status: str = "confirmed",
) -> Response:
    """Shows the answer to confirm with one button: mail scanners that open links change nothing."""
    meeting, body, invitation = service.link_invitation(
        session, meeting_id=meeting_id, user_id=invitee_id, signature=signature, settings=settings
    )
    return render(
        request, "meetings/answer.html", _answer_context(meeting, body, invitation, status, request.url.path)
    )


@router.post("/meetings/{meeting_id}/answer/{invitee_id}/{signature}")
def answer_link_post(
    meeting_id: Id,
    invitee_id: Id,
    signature: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    link = request.url.path
    try:
        data = parse_form(AttendanceIn, form)
        service.answer_by_link(
            session,
            meeting_id=meeting_id,
            user_id=invitee_id,
            signature=signature,
            data=data,
            settings=settings,
        )
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        meeting, body, invitation = service.link_invitation(
            session, meeting_id=meeting_id, user_id=invitee_id, signature=signature, settings=settings
        )
        errors = exc.errors if isinstance(exc, InvalidInput) else {"__all__": exc.message}
        context = _answer_context(meeting, body, invitation, str(form.get("status", "")), link, values=form)
        return form_error_response(
            request, "meetings/answer.html", context, InvalidInput(errors), status_code=exc.status_code
        )
    meeting, body, invitation = service.link_invitation(
        session, meeting_id=meeting_id, user_id=invitee_id, signature=signature, settings=settings
    )
    return render(
        request,
        "meetings/answer.html",
        _answer_context(meeting, body, invitation, invitation.status, link, done=True),
    )
