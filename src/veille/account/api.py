"""JSON API of accounts that sends mail: a new account (``POST /users``; without a password its
holder is invited by mail to choose one) and an invitation sent again. The other routes of
``/users`` are ``directory.api``."""

from __future__ import annotations

from fastapi import APIRouter

from veille.account import service
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import ApiUser
from veille.directory.models import UserCreate, UserPublic
from veille.types import Id

router = APIRouter(tags=["directory"])


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(user: ApiUser, session: SessionDep, settings: SettingsDep, body: UserCreate) -> UserPublic:
    """Creates an account (admins). With a password (hard to guess, 12 characters or more) it
    can log in at once; without one, an invitation is mailed to its address: a link, valid 7
    days, to choose its password."""
    return UserPublic.model_validate(service.create_account(session, settings, actor=user, data=body))


@router.post("/users/{user_id}/invitation", response_model=UserPublic, status_code=202)
def invite(user_id: Id, user: ApiUser, session: SessionDep, settings: SettingsDep) -> UserPublic:
    """Mails the invitation again (admins): a new link, valid 7 days; 409 when the account
    already has a password or is deactivated."""
    return UserPublic.model_validate(service.invite(session, settings, actor=user, user_id=user_id))
