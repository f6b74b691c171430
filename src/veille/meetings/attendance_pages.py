"""Pages of who comes to a meeting: answers and presence, invitations and their withdrawal, the
round table, and the one-click answers of the convocation mail (no login)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer, Viewer
from veille.bodies.models import Body
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.errors import InvalidInput
from veille.i18n import N_
from veille.meetings import attendance
from veille.meetings.access import MeetingAccess, answer_open, get_meeting_access
from veille.meetings.enums import ANSWERS
from veille.meetings.meeting_page import change
from veille.meetings.models import AttendanceIn, Invitation, Meeting, RoundTableIn
from veille.types import Id
from veille.web import Form, parse_form, render, run_change

router = APIRouter()


def _answer(form: Form) -> AttendanceIn:
    return parse_form(AttendanceIn, form)


@router.post("/meetings/{meeting_id}/attendance")
def answer(meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    user_id = viewer.user.id
    assert user_id is not None
    return change(
        request,
        session,
        access,
        "attendance",
        lambda: attendance.set_attendance(session, access=access, user_id=user_id, data=_answer(form)),
        N_("Your answer is recorded."),
        form,
    )


@router.post("/meetings/{meeting_id}/attendance/{invitee_id}")
def record_attendance(
    meeting_id: Id, invitee_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)

    def apply() -> object:
        try:
            return attendance.set_attendance(session, access=access, user_id=invitee_id, data=_answer(form))
        except InvalidInput as exc:
            # The list has one form per invitee: the message goes above it, not to a field.
            raise InvalidInput({"__all__": next(iter(exc.errors.values()))}) from exc

    return change(request, session, access, "attendance", apply, N_("The attendance is recorded."))


def _roll_change(
    request: Request,
    session: Session,
    viewer: Viewer,
    meeting_id: int,
    apply: Callable[[MeetingAccess], object],
    done: str,
) -> Response:
    """A change of the attendance block that takes no form: the block answers, with the notice."""
    access = get_meeting_access(session, viewer, meeting_id)
    return change(request, session, access, "attendance", lambda: apply(access), done)


@router.post("/meetings/{meeting_id}/all-present")
def all_present(meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    """The bulk first step of recording presence; the exceptions are then corrected one by one."""
    return _roll_change(
        request,
        session,
        viewer,
        meeting_id,
        lambda access: attendance.mark_all_present(session, access=access),
        N_("Everyone expected is marked present: correct the exceptions."),
    )


@router.post("/meetings/{meeting_id}/invitations")
def invite(
    meeting_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)

    def apply() -> object:
        invited = attendance.invited_ids(session, access)
        invitee = directory.chosen_person(session, form, invited)
        return attendance.invite_guest(session, access=access, user_id=invitee, settings=settings)

    return change(request, session, access, "attendance", apply, N_("The person is invited."), form)


@router.post("/meetings/{meeting_id}/invitations/{invitee_id}/withdraw")
def withdraw_invitation(
    meeting_id: Id,
    invitee_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    return _roll_change(
        request,
        session,
        viewer,
        meeting_id,
        lambda access: attendance.withdraw_invitation(
            session, access=access, user_id=invitee_id, settings=settings
        ),
        N_("The invitation is withdrawn."),
    )


@router.post("/meetings/{meeting_id}/round-table")
def round_table(
    meeting_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = get_meeting_access(session, viewer, meeting_id)
    return change(
        request,
        session,
        access,
        "round_table",
        lambda: attendance.save_round_table(session, access=access, data=parse_form(RoundTableIn, form)),
        N_("Your organisation's update is saved."),
        form,
    )


# One-click answers from the convocation mail (no login)


def _answer_context(
    meeting: Meeting, body: Body, invitation: Invitation, status: str, link: str, **extra: Any
) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "body": body,
        "invitation": invitation,
        "status": status if status in {s.value for s in ANSWERS} else "confirmed",
        "link": link,
        "open": answer_open(meeting),
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
    meeting, body, invitation = attendance.link_invitation(
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

    def apply() -> object:
        return attendance.answer_by_link(
            session,
            meeting_id=meeting_id,
            user_id=invitee_id,
            signature=signature,
            data=parse_form(AttendanceIn, form),
            settings=settings,
        )

    def answered(status: str | None, code: int = 200, **extra: Any) -> Response:
        session.rollback()
        meeting, body, invitation = attendance.link_invitation(
            session, meeting_id=meeting_id, user_id=invitee_id, signature=signature, settings=settings
        )
        context = _answer_context(
            meeting, body, invitation, invitation.status if status is None else status, link, **extra
        )
        return render(request, "meetings/answer.html", context, status_code=code)

    return run_change(
        session,
        apply,
        done=lambda: answered(None, done=True),
        refused=lambda errors, code: answered(str(form.get("status", "")), code, values=form, errors=errors),
    )
