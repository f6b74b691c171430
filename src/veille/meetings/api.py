"""JSON API of meetings: scheduling, convening, attendance, round table, agenda, minutes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Response
from sqlmodel import Session, SQLModel

from veille.bodies import service as bodies
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import ApiUser
from veille.meetings import mails, service
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
from veille.types import Id, IdList, Int, Moment
from veille.web import ICS, PDF, download, validate

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
    access = bodies.get_body_access(session, user, body_id)
    items, next_cursor = keyset_page(
        session, service.body_meetings_query(access), Meeting, Cursor.parse(cursor), limit
    )
    return Paged(items=[MeetingPublic.model_validate(m) for m in items], next_cursor=next_cursor)


@router.post("/bodies/{body_id}/meetings", response_model=MeetingPublic, status_code=201)
def create_meeting(body_id: Id, meeting: MeetingIn, user: ApiUser, session: SessionDep) -> Meeting:
    access = bodies.get_body_access(session, user, body_id)
    return service.create_meeting(session, access=access, data=meeting)


@router.get("/meetings/{meeting_id}", response_model=MeetingPublic)
def get_meeting(meeting_id: Id, user: ApiUser, session: SessionDep) -> Meeting:
    return service.get_meeting_access(session, user, meeting_id).meeting


@router.patch("/meetings/{meeting_id}", response_model=MeetingPublic)
def patch_meeting(
    meeting_id: Id, patch: MeetingPatch, user: ApiUser, session: SessionDep, settings: SettingsDep
) -> Meeting:
    access = service.get_meeting_access(session, user, meeting_id)
    current = MeetingPublic.model_validate(access.meeting).model_dump()
    data = validate(MeetingIn, current | patch.model_dump(exclude_unset=True))
    return service.update_meeting(session, access=access, data=data, settings=settings)


@router.post("/meetings/{meeting_id}/convene", response_model=MeetingPublic)
def convene(meeting_id: Id, user: ApiUser, session: SessionDep, settings: SettingsDep) -> Meeting:
    access = service.get_meeting_access(session, user, meeting_id)
    return service.convene(session, access=access, settings=settings)


@router.post("/meetings/{meeting_id}/cancel", response_model=MeetingPublic)
def cancel(meeting_id: Id, user: ApiUser, session: SessionDep, settings: SettingsDep) -> Meeting:
    access = service.get_meeting_access(session, user, meeting_id)
    return service.cancel(session, access=access, settings=settings)


@router.post(
    "/meetings/{meeting_id}/invitations",
    response_model=AttendancePublic,
    status_code=201,
)
def invite(
    meeting_id: Id, invite: Invite, user: ApiUser, session: SessionDep, settings: SettingsDep
) -> AttendancePublic:
    access = service.get_meeting_access(session, user, meeting_id)
    invitation = service.invite_guest(session, access=access, user_id=invite.user_id, settings=settings)
    return _attendance(invitation)


@router.delete("/meetings/{meeting_id}/invitations/{user_id}", status_code=204)
def withdraw_invitation(
    meeting_id: Id, user_id: Id, user: ApiUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    service.withdraw_invitation(session, access=access, user_id=user_id, settings=settings)
    return Response(status_code=204)


@router.get("/meetings/{meeting_id}/attendance", response_model=Paged[AttendancePublic])
def get_attendance(meeting_id: Id, user: ApiUser, session: SessionDep) -> Paged[AttendancePublic]:
    access = service.get_meeting_access(session, user, meeting_id)
    rows = service.attendance(session, access=access)
    return Paged(items=[_attendance(i) for i in rows], next_cursor=None)


@router.put("/meetings/{meeting_id}/attendance/{user_id}", response_model=AttendancePublic)
def put_attendance(
    meeting_id: Id, user_id: Id, answer: AttendanceIn, user: ApiUser, session: SessionDep
) -> AttendancePublic:
    access = service.get_meeting_access(session, user, meeting_id)
    return _attendance(service.set_attendance(session, access=access, user_id=user_id, data=answer))


@router.get("/meetings/{meeting_id}/round-table", response_model=Paged[RoundTablePublic])
def get_round_table(meeting_id: Id, user: ApiUser, session: SessionDep) -> Paged[RoundTablePublic]:
    access = service.get_meeting_access(session, user, meeting_id)
    entries = service.round_table(session, access=access)
    return Paged(items=[RoundTablePublic.model_validate(e) for e in entries], next_cursor=None)


@router.post("/meetings/{meeting_id}/round-table", response_model=RoundTablePublic)
def post_round_table(
    meeting_id: Id, entry: RoundTableIn, user: ApiUser, session: SessionDep
) -> RoundTablePublic:
    access = service.get_meeting_access(session, user, meeting_id)
    return RoundTablePublic.model_validate(service.save_round_table(session, access=access, data=entry))


def _items(
    session: Session, items: list[AgendaItem], access: service.MeetingAccess
) -> list[AgendaItemPublic]:
    """A guest sees the agenda, not the minutes nor the reports and actions linked to it
    (DESIGN.md §4 rule 4); a member, the linked reports they may open."""
    links = service.links_seen_by(session, access, [i.id for i in items if i.id is not None])
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
def list_items(meeting_id: Id, user: ApiUser, session: SessionDep) -> Paged[AgendaItemPublic]:
    access = service.get_meeting_access(session, user, meeting_id)
    return Paged(items=_items(session, service.agenda(session, access=access), access), next_cursor=None)


@router.post("/meetings/{meeting_id}/agenda-items", response_model=AgendaItemPublic, status_code=201)
def add_item(meeting_id: Id, item: AgendaItemIn, user: ApiUser, session: SessionDep) -> AgendaItemPublic:
    access = service.get_meeting_access(session, user, meeting_id)
    return _items(session, [service.add_item(session, access=access, data=item)], access)[0]


@router.post("/meetings/{meeting_id}/agenda-items/order", response_model=Paged[AgendaItemPublic])
def order_items(
    meeting_id: Id, order: AgendaOrder, user: ApiUser, session: SessionDep
) -> Paged[AgendaItemPublic]:
    access = service.get_meeting_access(session, user, meeting_id)
    items = service.reorder(session, access=access, ids=order.ids)
    return Paged(items=_items(session, items, access), next_cursor=None)


@router.patch("/agenda-items/{item_id}", response_model=AgendaItemPublic)
def patch_item(item_id: Id, patch: AgendaItemPatch, user: ApiUser, session: SessionDep) -> AgendaItemPublic:
    access, item = service.get_item_access(session, user, item_id)
    sent = patch.model_fields_set
    current = AgendaItemPublic.model_validate(item).model_dump(exclude={"situation_ids", "action_ids"})
    values = current | patch.model_dump(exclude_unset=True)
    # Both parts are validated before either is saved: a refused call changes nothing.
    notes = validate(NotesIn, values) if {"notes", "decisions", "confidential"} & sent else None
    item_fields = {"title", "description", "presenter", "situation_ids", "action_ids"}
    fields = validate(AgendaItemIn, values) if item_fields & sent else None
    version = patch.version
    if notes is not None:
        item = service.save_notes(session, access=access, item=item, data=notes)
        version = item.version
    if fields is not None:
        item = service.update_item(session, access=access, item=item, data=fields, version=version)
    return _items(session, [item], access)[0]


@router.delete("/agenda-items/{item_id}", status_code=204)
def delete_item(item_id: Id, user: ApiUser, session: SessionDep) -> Response:
    access, item = service.get_item_access(session, user, item_id)
    service.delete_item(session, access=access, item=item)
    return Response(status_code=204)


@router.post("/agenda-items/{item_id}/carry-over", response_model=MeetingPublic)
def carry_over(item_id: Id, user: ApiUser, session: SessionDep) -> Meeting:
    access, item = service.get_item_access(session, user, item_id)
    return service.carry_over(session, access=access, item=item)


@router.get("/meetings/{meeting_id}/minutes", response_model=MinutesPublic)
def get_minutes(
    meeting_id: Id, user: ApiUser, session: SessionDep, audience: Literal["body", "outside"] = "body"
) -> MinutesPublic:
    access = service.get_meeting_access(session, user, meeting_id)
    minutes = service.minutes(session, access=access, audience=audience)
    return MinutesPublic(
        meeting=MeetingPublic.model_validate(minutes.meeting),
        body_id=minutes.body.id or 0,
        audience=audience,
        approved_at=minutes.meeting.approved_at,
        attendance=[_attendance(i) for i in minutes.attendance],
        items=[AgendaItemPublic.model_validate(i) for i in minutes.items],
        round_table=[RoundTablePublic.model_validate(e) for e in minutes.round_table],
        decisions=[DecisionPublic.model_validate(a, update={"action_id": a.id}) for a in minutes.actions],
    )


@router.get("/meetings/{meeting_id}/minutes.pdf", response_class=Response)
def minutes_pdf(
    meeting_id: Id,
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    audience: Literal["body", "outside"] = "body",
) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    minutes = service.minutes(session, access=access, audience=audience)
    data = mails.minutes_pdf(minutes, settings, str(user.language))
    return download(data, PDF, f"compte-rendu-{meeting_id}.pdf")


@router.post("/meetings/{meeting_id}/approve", response_model=MeetingPublic)
def approve(meeting_id: Id, user: ApiUser, session: SessionDep, settings: SettingsDep) -> Meeting:
    access = service.get_meeting_access(session, user, meeting_id)
    return service.approve(session, access=access, settings=settings)


@router.get("/meetings/{meeting_id}/calendar.ics", response_class=Response)
def meeting_calendar(meeting_id: Id, user: ApiUser, session: SessionDep, settings: SettingsDep) -> Response:
    access = service.get_meeting_access(session, user, meeting_id)
    data = service.meeting_calendar(session, access=access, settings=settings)
    return download(data, ICS, f"reunion-{meeting_id}.ics")
