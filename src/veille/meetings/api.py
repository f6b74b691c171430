"""JSON API of meetings: scheduling, convening, attendance, round table, agenda, minutes. A
body's routes take the person (its access is the body's); a meeting's take the viewer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from sqlmodel import Session, SQLModel

from veille.access import ApiViewer
from veille.bodies import service as bodies
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import ApiUser
from veille.meetings import agenda, attendance, feeds, lists, minutes, scheduling
from veille.meetings.access import MeetingAccess, get_item_access, get_meeting_access
from veille.meetings.models import (
    AgendaItem,
    AgendaItemIn,
    AgendaItemPublic,
    AgendaOrder,
    AttendanceIn,
    AttendancePublic,
    Invitation,
    Meeting,
    MeetingIn,
    MeetingPublic,
    NotesIn,
    RoundTableIn,
    RoundTablePublic,
)
from veille.pagination import Cursor, CursorParam, Limit, Paged, keyset_page
from veille.pdf import pdf_download
from veille.types import Id, IdList, Int, Moment
from veille.web import ICS, download, validate

router = APIRouter(tags=["meetings"])


class MeetingPatch(SQLModel):
    version: Int
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    location: str | None = None


class AgendaItemPatch(SQLModel):
    """Only the fields sent change; ``notes``, ``decisions`` and ``confidential`` are the minutes."""

    version: Int
    title: str | None = None
    description: str | None = None
    presenter: str | None = None
    notes: str | None = None
    decisions: str | None = None
    confidential: bool | None = None
    situation_ids: IdList | None = None
    action_ids: IdList | None = None


class Invite(SQLModel):
    user_id: Id


class DecisionPublic(SQLModel):
    action_id: Id
    agenda_item_id: Id | None
    title: str
    kind: str
    lead_organisation_id: Id
    due_on: date | None
    status: str


class MinutesPublic(SQLModel):
    meeting: MeetingPublic
    body_id: Id
    audience: str
    approved_at: datetime | None
    attendance: list[AttendancePublic]
    items: list[AgendaItemPublic]
    round_table: list[RoundTablePublic]
    # The decisions recorded as actions (see /actions/{id}); their agenda item when known.
    decisions: list[DecisionPublic]


def _attendance(invitation: Invitation) -> AttendancePublic:
    return AttendancePublic.model_validate(
        invitation, update={"represented_by": invitation.represented_by or None}
    )


@router.get("/bodies/{body_id}/meetings", response_model=Paged[MeetingPublic])
def list_meetings(
    body_id: Id, user: ApiUser, session: SessionDep, limit: Limit = 50, cursor: CursorParam = None
) -> Paged[MeetingPublic]:
    """A body's meetings, newest first, by pages; its members and the staff see them all, a guest of the
    body those they are invited to."""
    access = bodies.get_body_access(session, user, body_id)
    items, next_cursor = keyset_page(
        session, lists.body_meetings_query(access), Meeting, Cursor.parse(cursor), limit
    )
    return Paged(items=[MeetingPublic.model_validate(m) for m in items], next_cursor=next_cursor)


@router.post("/bodies/{body_id}/meetings", response_model=MeetingPublic, status_code=201)
def create_meeting(body_id: Id, meeting: MeetingIn, user: ApiUser, session: SessionDep) -> Meeting:
    """Plans a meeting of the body with its standing agenda items; for the body's chair and secretary (and
    the staff)."""
    access = bodies.get_body_access(session, user, body_id)
    return scheduling.create_meeting(session, access=access, data=meeting)


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic)
def get_meeting(meeting_id: Id, viewer: ApiViewer, session: SessionDep) -> Meeting:
    """One meeting; for the members of its body, the staff and its invited guests (404 for anyone else)."""
    return get_meeting_access(session, viewer, meeting_id).meeting


@router.patch("/meetings/{meeting_id}", response_model=MeetingPublic)
def patch_meeting(
    meeting_id: Id, patch: MeetingPatch, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> Meeting:
    """Moves a meeting (date, times, place) from the version sent; a convened meeting's invitees are
    mailed the update. For the body's managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    current = MeetingPublic.model_validate(access.meeting).model_dump()
    data = validate(MeetingIn, current | patch.model_dump(exclude_unset=True))
    return scheduling.update_meeting(session, access=access, data=data, settings=settings)


@router.post("/meetings/{meeting_id}/convene", response_model=MeetingPublic)
def convene(meeting_id: Id, viewer: ApiViewer, session: SessionDep, settings: SettingsDep) -> Meeting:
    """Convenes a planned meeting: every member is invited and mailed the convocation with its calendar
    file. For the body's managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    return scheduling.convene(session, access=access, settings=settings)


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingPublic)
def cancel(meeting_id: Id, viewer: ApiViewer, session: SessionDep, settings: SettingsDep) -> Meeting:
    """Cancels a meeting that has not been held; a convened meeting's invitees are mailed the
    cancellation. For the body's managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    return scheduling.cancel(session, access=access, settings=settings)


@router.post(
    "/meetings/{meeting_id}/invitations",
    response_model=AttendancePublic,
    status_code=201,
)
def invite(
    meeting_id: Id, invite: Invite, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> AttendancePublic:
    """Invites one more person (a guest, or a member who joined after the convocation), mailed if the
    meeting is convened. For the body's managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    invitation = attendance.invite_guest(session, access=access, user_id=invite.user_id, settings=settings)
    return _attendance(invitation)


@router.delete("/meetings/{meeting_id}/invitations/{user_id}", status_code=204)
def withdraw_invitation(
    meeting_id: Id, user_id: Id, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """Withdraws someone's invitation before the meeting is held (mailed the cancellation if it was
    convened). For the body's managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    attendance.withdraw_invitation(session, access=access, user_id=user_id, settings=settings)
    return Response(status_code=204)


@router.get("/meetings/{meeting_id}/attendance", response_model=Paged[AttendancePublic])
def get_attendance(meeting_id: Id, viewer: ApiViewer, session: SessionDep) -> Paged[AttendancePublic]:
    """The invitees and their answers or presence; for the members of the body (not its guests)."""
    access = get_meeting_access(session, viewer, meeting_id)
    rows = attendance.attendance(session, access=access)
    return Paged(items=[_attendance(i) for i in rows], next_cursor=None)


@router.put("/meetings/{meeting_id}/attendance/{user_id}", response_model=AttendancePublic)
def put_attendance(
    meeting_id: Id, user_id: Id, answer: AttendanceIn, viewer: ApiViewer, session: SessionDep
) -> AttendancePublic:
    """An invitee's answer (their own, before the meeting) or presence (recorded by the body's managers,
    which marks the meeting held)."""
    access = get_meeting_access(session, viewer, meeting_id)
    return _attendance(attendance.set_attendance(session, access=access, user_id=user_id, data=answer))


@router.get("/meetings/{meeting_id}/round-table", response_model=Paged[RoundTablePublic])
def get_round_table(meeting_id: Id, viewer: ApiViewer, session: SessionDep) -> Paged[RoundTablePublic]:
    """The round-table updates posted by the organisations; for the members of the body."""
    access = get_meeting_access(session, viewer, meeting_id)
    entries = attendance.round_table(session, access=access)
    return Paged(items=[RoundTablePublic.model_validate(e) for e in entries], next_cursor=None)


@router.post("/meetings/{meeting_id}/round-table", response_model=RoundTablePublic)
def post_round_table(
    meeting_id: Id, entry: RoundTableIn, viewer: ApiViewer, session: SessionDep
) -> RoundTablePublic:
    """Posts or replaces the update of the person's organisation, until the meeting starts; for the
    members of the body."""
    access = get_meeting_access(session, viewer, meeting_id)
    return RoundTablePublic.model_validate(attendance.save_round_table(session, access=access, data=entry))


def _items(session: Session, items: list[AgendaItem], access: MeetingAccess) -> list[AgendaItemPublic]:
    """A guest sees the agenda, not the minutes nor the reports and actions linked to it
    (docs/confidentiality.md, rule 4); a member, the linked reports they may open."""
    links = agenda.links_seen_by(session, access, [i.id for i in items if i.id is not None])
    result = []
    for item in items:
        reports, actions = links.get(item.id or 0, ([], []))
        public = AgendaItemPublic.model_validate(
            item, update={"situation_ids": sorted(reports), "action_ids": sorted(actions)}
        )
        if not access.full:
            public = public.model_copy(update={"notes": "", "decisions": "", "confidential": False})
        result.append(public)
    return result


@router.get("/meetings/{meeting_id}/agenda-items", response_model=Paged[AgendaItemPublic])
def list_items(meeting_id: Id, viewer: ApiViewer, session: SessionDep) -> Paged[AgendaItemPublic]:
    """The agenda; a guest sees neither the confidential items nor the notes, decisions and links."""
    access = get_meeting_access(session, viewer, meeting_id)
    return Paged(items=_items(session, agenda.agenda(session, access=access), access), next_cursor=None)


@router.post("/meetings/{meeting_id}/agenda-items", response_model=AgendaItemPublic, status_code=201)
def add_item(meeting_id: Id, item: AgendaItemIn, viewer: ApiViewer, session: SessionDep) -> AgendaItemPublic:
    """Adds an item at the end of the agenda, with the reports and actions it links; for the body's
    managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    return _items(session, [agenda.add_item(session, access=access, data=item)], access)[0]


@router.post("/meetings/{meeting_id}/agenda-items/order", response_model=Paged[AgendaItemPublic])
def order_items(
    meeting_id: Id, order: AgendaOrder, viewer: ApiViewer, session: SessionDep
) -> Paged[AgendaItemPublic]:
    """Reorders the agenda (every item once, in the new order); for the body's managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    items = agenda.reorder(session, access=access, ids=order.ids)
    return Paged(items=_items(session, items, access), next_cursor=None)


@router.patch("/agenda-items/{item_id}", response_model=AgendaItemPublic)
def patch_item(
    item_id: Id, patch: AgendaItemPatch, viewer: ApiViewer, session: SessionDep
) -> AgendaItemPublic:
    """Changes an item (title, links) or its minutes (notes, decisions, confidential) from the version
    sent; for the body's managers."""
    access, item = get_item_access(session, viewer, item_id)
    sent = patch.model_fields_set
    current = AgendaItemPublic.model_validate(item).model_dump(exclude={"situation_ids", "action_ids"})
    values = current | patch.model_dump(exclude_unset=True)
    # Both parts are validated before either is saved: a refused call changes nothing.
    notes = validate(NotesIn, values) if {"notes", "decisions", "confidential"} & sent else None
    item_fields = {"title", "description", "presenter", "situation_ids", "action_ids"}
    fields = validate(AgendaItemIn, values) if item_fields & sent else None
    version = patch.version
    if notes is not None:
        item = agenda.save_notes(session, access=access, item=item, data=notes)
        version = item.version
    if fields is not None:
        item = agenda.update_item(session, access=access, item=item, data=fields, version=version)
    return _items(session, [item], access)[0]


@router.delete("/agenda-items/{item_id}", status_code=204)
def delete_item(item_id: Id, viewer: ApiViewer, session: SessionDep) -> Response:
    """Removes an item and its notes from the agenda; for the body's managers."""
    access, item = get_item_access(session, viewer, item_id)
    agenda.delete_item(session, access=access, item=item)
    return Response(status_code=204)


@router.post("/agenda-items/{item_id}/carry-over", response_model=MeetingPublic)
def carry_over(item_id: Id, viewer: ApiViewer, session: SessionDep) -> Meeting:
    """Carries an item (with its notes) over to the body's next planned meeting, and answers that meeting;
    for the body's managers."""
    access, item = get_item_access(session, viewer, item_id)
    return agenda.carry_over(session, access=access, item=item)


@router.get("/meetings/{meeting_id}/minutes", response_model=MinutesPublic)
def get_minutes(
    meeting_id: Id, viewer: ApiViewer, session: SessionDep, audience: Literal["body", "outside"] = "body"
) -> MinutesPublic:
    """The minutes assembled: attendance, items, round table and the decisions recorded; ``outside``
    leaves out the confidential items. For the members of the body."""
    access = get_meeting_access(session, viewer, meeting_id)
    assembled = minutes.minutes(session, access=access, audience=audience)
    return MinutesPublic(
        meeting=MeetingPublic.model_validate(assembled.meeting),
        body_id=assembled.body.id or 0,
        audience=audience,
        approved_at=assembled.meeting.approved_at,
        attendance=[_attendance(i) for i in assembled.attendance],
        items=[AgendaItemPublic.model_validate(i) for i in assembled.items],
        round_table=[RoundTablePublic.model_validate(e) for e in assembled.round_table],
        decisions=[DecisionPublic.model_validate(a, update={"action_id": a.id}) for a in assembled.decisions],
    )


@router.get("/meetings/{meeting_id}/minutes.pdf", response_class=Response)
def minutes_pdf(
    meeting_id: Id,
    request: Request,
    viewer: ApiViewer,
    session: SessionDep,
    settings: SettingsDep,
    audience: Literal["body", "outside"] = "body",
) -> Response:
    """The minutes as a PDF (``outside``: without the confidential items); for the members of the
    body. With an ETag: sent back in ``If-None-Match`` while unchanged, 304 and no body."""
    access = get_meeting_access(session, viewer, meeting_id)
    assembled = minutes.minutes(session, access=access, audience=audience)
    context = {"minutes": assembled, "settings": settings}
    name = minutes.minutes_name(assembled, settings)
    return pdf_download(request, minutes.PDF_TEMPLATE, context, str(viewer.user.language), name)


@router.post("/meetings/{meeting_id}/approve", response_model=MeetingPublic)
def approve(meeting_id: Id, viewer: ApiViewer, session: SessionDep, settings: SettingsDep) -> Meeting:
    """Approves the minutes of a held meeting: it is locked and the minutes mailed to the members. For the
    body's managers."""
    access = get_meeting_access(session, viewer, meeting_id)
    return minutes.approve(session, access=access, settings=settings)


@router.get("/meetings/{meeting_id}/calendar.ics", response_class=Response)
def meeting_calendar(
    meeting_id: Id, viewer: ApiViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """The meeting as a calendar file (iCalendar); for whoever sees the meeting."""
    access = get_meeting_access(session, viewer, meeting_id)
    data = feeds.meeting_calendar(session, access=access, settings=settings)
    return download(data, ICS, f"reunion-{meeting_id}.ics")
