"""JSON API of bodies, their members and their charter."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter, Response
from sqlmodel import SQLModel

from veille.bodies import charters, service
from veille.bodies.enums import BodyKind, Cadence
from veille.bodies.models import (
    Body,
    BodyCreate,
    BodyPublic,
    BodyUpdate,
    CharterIn,
    CharterPublic,
    MemberPublic,
    MemberSet,
)
from veille.deps import SessionDep
from veille.directory.current import ApiUser
from veille.errors import NotFound
from veille.pagination import Cursor, CursorParam, Limit, Paged, keyset_page
from veille.types import Day, Id, IdList, Int
from veille.web import validate

router = APIRouter(prefix="/bodies", tags=["bodies"])


class BodyPatch(SQLModel):
    """Only the fields sent change; ``version`` is the one read (optimistic concurrency)."""

    version: Int
    kind: BodyKind | None = None
    name: str | None = None
    description: str | None = None
    sector_ids: IdList | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    cadence: Cadence | None = None
    charter_required: bool | None = None
    # The meeting rule: all four of ordinal, weekday, start and minutes, or all null.
    rule_ordinal: Int | None = None
    rule_weekday: Int | None = None
    rule_start: time | None = None
    rule_minutes: Int | None = None
    rule_location: str = ""


class Exclusion(SQLModel):
    reason: str


def _public(body: Body) -> BodyPublic:
    return BodyPublic.model_validate(body, update={"sector_ids": service.sector_ids(body)})


@router.get("", response_model=Paged[BodyPublic])
def list_bodies(
    user: ApiUser, session: SessionDep, limit: Limit = 50, cursor: CursorParam = None
) -> Paged[BodyPublic]:
    """The bodies you belong to (every body for admins and coordinators), by id, one page."""
    items, next_cursor = keyset_page(
        session, service.visible_bodies_query(user), Body, Cursor.parse(cursor), limit
    )
    return Paged(items=[_public(b) for b in items], next_cursor=next_cursor)


@router.post("", response_model=BodyPublic, status_code=201)
def create_body(user: ApiUser, session: SessionDep, body: BodyCreate) -> BodyPublic:
    """Creates a body (admins and coordinators only)."""
    return _public(service.create_body(session, actor=user, data=body))


@router.get("/{body_id}", response_model=BodyPublic)
def get_body(body_id: Id, user: ApiUser, session: SessionDep) -> BodyPublic:
    """One body you belong to (any for admins and coordinators); 404 for anyone else."""
    return _public(service.get_body_access(session, user, body_id).body)


@router.patch("/{body_id}", response_model=BodyPublic)
def patch_body(body_id: Id, patch: BodyPatch, user: ApiUser, session: SessionDep) -> BodyPublic:
    """Changes the fields sent; its chair, its secretaries and the staff may. ``version`` is the one
    read: a body changed since is refused (409). Its kind is fixed (422). The meeting rule
    (``rule_ordinal`` 1 to 4 or -1 for the last, ``rule_weekday`` 0 Monday to 6 Sunday,
    ``rule_start``, ``rule_minutes``) is set whole or cleared whole (all four null); with one,
    the body meets monthly."""
    access = service.get_body_access(session, user, body_id)
    current = _public(access.body).model_dump()
    data = validate(BodyUpdate, current | patch.model_dump(exclude_unset=True))
    return _public(service.update_body(session, access=access, data=data))


@router.post("/{body_id}/close", response_model=BodyPublic)
def close_body(body_id: Id, user: ApiUser, session: SessionDep) -> BodyPublic:
    """Closes the body for good: read-only from then on; its chair and the staff may."""
    access = service.get_body_access(session, user, body_id)
    return _public(service.close_body(session, access=access))


@router.get("/{body_id}/charter", response_model=CharterPublic)
def get_charter(body_id: Id, user: ApiUser, session: SessionDep) -> CharterPublic:
    """The body's current charter, for whoever may see the body; 404 when it has none."""
    access = service.get_body_access(session, user, body_id)
    if access.charter is None:
        raise NotFound("This body has no charter.")
    return CharterPublic.model_validate(access.charter)


@router.put("/{body_id}/charter", response_model=CharterPublic)
def put_charter(body_id: Id, charter: CharterIn, user: ApiUser, session: SessionDep) -> CharterPublic:
    """A new version of the charter (its chair and the staff): every member is asked to accept it
    again. ``version``, the one read: a charter changed since is refused (409)."""
    access = service.get_body_access(session, user, body_id)
    saved = charters.set_charter(session, access=access, text=charter.text, version=charter.version)
    return CharterPublic.model_validate(saved)


@router.post("/{body_id}/charter/accept", status_code=204)
def accept_charter(body_id: Id, user: ApiUser, session: SessionDep) -> Response:
    """Records that you, a member, accept the body's current charter."""
    charters.accept_charter(session, access=service.get_body_access(session, user, body_id))
    return Response(status_code=204)


@router.get("/{body_id}/members", response_model=Paged[MemberPublic])
def list_members(body_id: Id, user: ApiUser, session: SessionDep) -> Paged[MemberPublic]:
    """The body's members and their roles (not its excluded ones), for its members who are not
    guests and the staff."""
    access = service.get_body_access(session, user, body_id)
    members = service.list_members(session, access=access)
    items = [MemberPublic.model_validate(m) for m in members if m.excluded_at is None]
    return Paged(items=items, next_cursor=None)


@router.put("/{body_id}/members/{user_id}", response_model=MemberPublic)
def put_member(
    body_id: Id, user_id: Id, member: MemberSet, user: ApiUser, session: SessionDep
) -> MemberPublic:
    """Adds a person with this role or changes their role; its secretaries and chair and the staff
    may (a chair is named by the chair or the staff)."""
    access = service.get_body_access(session, user, body_id)
    return MemberPublic.model_validate(
        service.set_member(session, access=access, user_id=user_id, role=member.role)
    )


@router.delete("/{body_id}/members/{user_id}", status_code=204)
def delete_member(body_id: Id, user_id: Id, user: ApiUser, session: SessionDep) -> Response:
    """Removes a person from the body; its secretaries and chair and the staff may (a chair's seat,
    the chair or the staff)."""
    access = service.get_body_access(session, user, body_id)
    service.remove_member(session, access=access, user_id=user_id)
    return Response(status_code=204)


@router.post("/{body_id}/members/{user_id}/exclude", status_code=204)
def exclude_member(
    body_id: Id, user_id: Id, exclusion: Exclusion, user: ApiUser, session: SessionDep
) -> Response:
    """Excludes a member who breached the charter, with the reason (its chair and the staff):
    their access ends at once."""
    access = service.get_body_access(session, user, body_id)
    service.exclude_member(session, access=access, user_id=user_id, reason=exclusion.reason)
    return Response(status_code=204)
