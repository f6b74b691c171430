"""Pages that schedule meetings: the lists (mine, a body's), planning one or a series, moving
one, and its state changes (convene, cancel, approve the minutes). A body's pages take the
person only: the body's access (``bodies.get_body_access``) is all they need, and building the
viewer would cost a query they never use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer
from veille.bodies import service as bodies
from veille.bodies.meeting_rule import rule_of
from veille.bodies.models import Body
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import PageUser
from veille.errors import Conflict
from veille.i18n import N_
from veille.meetings import lists, minutes, planning, scheduling
from veille.meetings.access import get_meeting_access
from veille.meetings.models import Meeting, MeetingForm, MeetingIn, SeriesForm
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter()
# The form's fields named by the API's (``MeetingIn``), where the service's refusal names them.
FORM_FIELDS = {"starts_at": "day", "ends_at": "end"}


@router.get("/meetings")
def my_meetings(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    return render(
        request,
        "meetings/mine.html",
        {
            "upcoming": lists.upcoming_meetings(session, viewer, limit=50),
            "past": lists.past_meetings(session, viewer),
            "nav_active": "meetings",
        },
    )


def _series_values(body: Body) -> dict[str, str]:
    """The series form filled from the body's rule when it has one."""
    rule = rule_of(body)
    if rule is None:
        return {"ordinal": "1", "weekday": "1", "start": "14:00", "end": "16:00", "count": "6"}
    start = datetime.combine(date.min, rule.start)
    return {
        "ordinal": str(rule.ordinal),
        "weekday": str(rule.weekday),
        "start": start.strftime("%H:%M"),
        "end": (start + timedelta(minutes=rule.minutes)).strftime("%H:%M"),
        "count": str(planning.PLAN_MONTHS),
        "location": rule.location,
    }


def _body_context(session: Session, access: bodies.BodyAccess, **extra: Any) -> dict[str, Any]:
    rule = rule_of(access.body)
    return {
        "access": access,
        "body": access.body,
        "meetings": lists.body_meetings(session, access),
        "values": {},
        "series": _series_values(access.body),
        "rule": rule.describe() if rule else None,
        "plan_months": planning.PLAN_MONTHS,
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
    starts_at, ends_at = scheduling.local_times(data.day, data.start, data.end, settings)
    return MeetingIn(starts_at=starts_at, ends_at=ends_at, location=data.location, version=data.version)


def _form_context(
    access: bodies.BodyAccess, meeting: Meeting | None, values: dict[str, Any]
) -> dict[str, Any]:
    return {
        "access": access,
        "body": access.body,
        "meeting": meeting,
        "values": values,
        "nav_active": "bodies",
    }


def _form_refused(
    request: Request, session: Session, template: str, context: dict[str, Any]
) -> Callable[[dict[str, str], int], Response]:
    """The form again, with the values typed and the refusal's messages."""

    def refused(errors: dict[str, str], status: int) -> Response:
        shown = {FORM_FIELDS.get(key, key): message for key, message in errors.items()}
        return render(request, template, context | {"errors": shown}, status_code=status)

    return refused


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
    created: list[Meeting] = []
    return run_change(
        session,
        lambda: created.append(
            scheduling.create_meeting(session, access=access, data=_meeting_in(form, settings))
        ),
        done=lambda: redirect(request, f"/meetings/{created[0].id}", flash=N_("The meeting is planned.")),
        refused=_form_refused(request, session, "meetings/form.html", _form_context(access, None, form)),
    )


@router.post("/bodies/{body_id}/meetings/series")
def plan_series(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    created: list[Meeting] = []

    def plan() -> None:
        data = parse_form(SeriesForm, form)
        created.extend(scheduling.plan_series(session, access=access, data=data, settings=settings))

    def done() -> Response:
        flash = (
            N_("The meetings of the series are planned.")
            if created
            else N_("Every day of the series already had a meeting.")
        )
        return redirect(request, f"/bodies/{body_id}/meetings", flash=flash)

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _body_context(session, access, series=form, errors=errors)
        return render(request, "meetings/body_list.html", context, status_code=status)

    return run_change(session, plan, done=done, refused=refused)


@router.post("/bodies/{body_id}/meetings/plan")
def plan_next_months(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """ "Plan the next months" from the body's rule (its managers)."""
    access = bodies.get_body_access(session, user, body_id)
    access.require_manage()
    planned: list[planning.Planned] = []

    def done() -> Response:
        flash = (
            N_("The next months' meetings are planned; the secretaries are told by mail.")
            if planned
            else N_("The next months already have their meetings.")
        )
        return redirect(request, f"/bodies/{body_id}/meetings", flash=flash)

    def refused(errors: dict[str, str], status: int) -> Response:
        return render(
            request,
            "meetings/body_list.html",
            _body_context(session, access, errors=errors),
            status_code=status,
        )

    return run_change(
        session,
        lambda: planned.extend(planning.plan_next_months(session, access=access, settings=settings)),
        done=done,
        refused=refused,
    )


@router.get("/meetings/{meeting_id}/edit")
def edit_meeting_form(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
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
    meeting_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    access.require_editable()
    assert access.body_access is not None
    context = _form_context(access.body_access, access.meeting, form)
    return run_change(
        session,
        lambda: scheduling.update_meeting(
            session, access=access, data=_meeting_in(form, settings), settings=settings
        ),
        done=lambda: redirect(request, f"/meetings/{meeting_id}", flash=N_("The meeting was saved.")),
        refused=_form_refused(request, session, "meetings/form.html", context),
    )


@router.post("/meetings/{meeting_id}/convene")
def convene(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    return _button(
        request,
        session,
        lambda: scheduling.convene(session, access=access, settings=settings),
        N_("The meeting is convened: every member receives the convocation by mail."),
    )


@router.post("/meetings/{meeting_id}/cancel")
def cancel(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    return _button(
        request,
        session,
        lambda: scheduling.cancel(session, access=access, settings=settings),
        N_("The meeting is cancelled."),
    )


@router.post("/meetings/{meeting_id}/approve")
def approve(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    return _button(
        request,
        session,
        lambda: minutes.approve(session, access=access, settings=settings),
        N_("The minutes are approved and sent to the members."),
    )


def _button(request: Request, session: Session, change: Callable[[], object], flash: str) -> Response:
    """A button of the meeting's page: back to it, told what was done or why it cannot be now
    (a refusal drawn at the button's address left a page with no way back to the meeting); one
    not allowed stays the refusal it is."""
    back = request.url.path.rsplit("/", 1)[0]
    try:
        change()
    except Conflict as exc:
        session.rollback()
        return redirect(request, back, flash=exc.message, category="error")
    return redirect(request, back, flash=flash)
