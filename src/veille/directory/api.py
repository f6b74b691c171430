"""JSON API of the directory: /sectors, /organisations, /users, /me (read, and the person's own
name and language changed). A new account is ``account.api`` (it may send an invitation)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlmodel import select

from veille.deps import SessionDep
from veille.directory import profile, service
from veille.directory.current import ApiUser
from veille.directory.models import (
    CommuneCreate,
    CommuneLimits,
    CommunePublic,
    Organisation,
    OrganisationCreate,
    OrganisationPublic,
    Sector,
    SectorCreate,
    SectorPublic,
    UserPublic,
)
from veille.pagination import Cursor, CursorParam, Limit, Paged, keyset_page
from veille.types import Id

router = APIRouter(tags=["directory"])


@router.get("/me", response_model=UserPublic)
def me(user: ApiUser) -> UserPublic:
    """The person the token belongs to."""
    return UserPublic.model_validate(user)


@router.patch("/me", response_model=UserPublic)
def update_me(body: profile.ProfileUpdate, user: ApiUser, session: SessionDep) -> UserPublic:
    """The person's own name and language (as on "Mon compte")."""
    return UserPublic.model_validate(profile.update_profile(session, user=user, data=body))


@router.get("/sectors", response_model=Paged[SectorPublic])
def list_sectors(
    _user: ApiUser, session: SessionDep, limit: Limit = 50, cursor: CursorParam = None
) -> Paged[SectorPublic]:
    """The city's sectors, for every signed-in person (a page at a time)."""
    items, next_cursor = keyset_page(session, select(Sector), Sector, Cursor.parse(cursor), limit)
    return Paged(items=[SectorPublic.model_validate(s) for s in items], next_cursor=next_cursor)


@router.post("/sectors", response_model=SectorPublic, status_code=201)
def create_sector(user: ApiUser, session: SessionDep, body: SectorCreate) -> SectorPublic:
    """Creates a sector (admins and coordinators)."""
    return SectorPublic.model_validate(service.save_sector(session, actor=user, data=body))


@router.get("/communes", response_model=list[CommunePublic])
def list_communes(_user: ApiUser, session: SessionDep) -> list[CommunePublic]:
    """The territory's communes, by name, for every signed-in person (a handful: not paged)."""
    return [CommunePublic.model_validate(c) for c in service.list_communes(session)]


@router.post("/communes", response_model=CommunePublic, status_code=201)
def create_commune(user: ApiUser, session: SessionDep, body: CommuneCreate) -> CommunePublic:
    """Creates a commune (admins and coordinators not limited to some communes)."""
    return CommunePublic.model_validate(service.save_commune(session, actor=user, data=body))


@router.get("/users/{user_id}/communes", response_model=CommuneLimits)
def user_communes(user_id: Id, user: ApiUser, session: SessionDep) -> CommuneLimits:
    """The communes a coordinator is limited to; empty: every commune (admins)."""
    account = service.get_user(session, actor=user, user_id=user_id)
    return CommuneLimits(commune_ids=sorted(service.commune_limits(session, account) or ()))


@router.put("/users/{user_id}/communes", response_model=CommuneLimits)
def limit_user_communes(
    user_id: Id, user: ApiUser, session: SessionDep, body: CommuneLimits
) -> CommuneLimits:
    """Limits a coordinator to these communes; empty: every commune (admins; audited)."""
    account = service.get_user(session, actor=user, user_id=user_id)
    ids = service.set_commune_limits(session, actor=user, user=account, data=body)
    return CommuneLimits(commune_ids=sorted(ids))


@router.get("/organisations", response_model=Paged[OrganisationPublic])
def list_organisations(
    _user: ApiUser, session: SessionDep, limit: Limit = 50, cursor: CursorParam = None
) -> Paged[OrganisationPublic]:
    """The partner organisations, for every signed-in person (a page at a time)."""
    items, next_cursor = keyset_page(session, select(Organisation), Organisation, Cursor.parse(cursor), limit)
    return Paged(items=[OrganisationPublic.model_validate(o) for o in items], next_cursor=next_cursor)


@router.post("/organisations", response_model=OrganisationPublic, status_code=201)
def create_organisation(user: ApiUser, session: SessionDep, body: OrganisationCreate) -> OrganisationPublic:
    """Creates a partner organisation (admins and coordinators)."""
    return OrganisationPublic.model_validate(service.save_organisation(session, actor=user, data=body))


@router.get("/users", response_model=Paged[UserPublic])
def list_users(
    user: ApiUser, session: SessionDep, limit: Limit = 50, cursor: CursorParam = None
) -> Paged[UserPublic]:
    """The accounts (admins; a page at a time)."""
    items, next_cursor = service.api_users(session, actor=user, limit=limit, cursor=cursor)
    return Paged(items=[UserPublic.model_validate(u) for u in items], next_cursor=next_cursor)


@router.post("/users/{user_id}/unlock", status_code=204)
def unlock_user(user_id: Id, user: ApiUser, session: SessionDep) -> Response:
    """Releases an account locked by failed logins (admins); the release is audited."""
    account = service.get_user(session, actor=user, user_id=user_id)
    service.release_login(session, actor=user, user=account)
    return Response(status_code=204)
