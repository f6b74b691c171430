"""What a person changes of their own account: their name, their language, their password."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints
from sqlmodel import Session, SQLModel

from veille.audit import service as audit
from veille.auth import resets
from veille.auth import service as auth
from veille.auth.models import AuthToken
from veille.auth.passwords import require_strong
from veille.config import Settings
from veille.directory.enums import Language
from veille.directory.models import Name, Password, User
from veille.errors import InvalidInput
from veille.i18n import N_

WRONG_PASSWORD = N_("This is not your current password.")
DIFFER = N_("The two passwords differ.")


class ProfileUpdate(SQLModel):
    name: Name
    language: Language


class PasswordChange(SQLModel):
    current: Annotated[str, StringConstraints(max_length=200)]
    password: Password
    confirm: Annotated[str, StringConstraints(max_length=200)] = ""


class NewPassword(SQLModel):
    """A new password typed twice (the forgotten password's form)."""

    password: Password
    confirm: Annotated[str, StringConstraints(max_length=200)] = ""


def update_profile(session: Session, *, user: User, data: ProfileUpdate) -> User:
    """The person's own name and language (audited)."""
    user.name = data.name
    user.language = data.language
    session.add(user)
    audit.record(session, user_id=user.id, verb="update_profile", entity="user", entity_id=user.id)
    session.commit()
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    """A new password, refused when easy to guess (in the caller's transaction, audited by it)."""
    require_strong(password, (user.email, user.name))
    user.password_hash = auth.hash_password(password)
    session.add(user)


def change_password(
    session: Session, settings: Settings, *, user: User, data: PasswordChange, keep: str, ip: str
) -> None:
    """The person's own password, their current one asked first (checked and throttled like a
    login, so a session left open does not let anyone try passwords): every other session and
    API token of theirs ends, the session ``keep`` they changed it in stays."""
    if not auth.check_credentials(
        session,
        settings,
        email=user.email,
        ip=ip[:64],
        password=data.current,
        password_hash=user.password_hash,
        active=user.active,
    ):
        raise InvalidInput({"current": WRONG_PASSWORD})
    if data.confirm != data.password:
        raise InvalidInput({"confirm": DIFFER})
    set_password(session, user=user, password=data.password)
    assert user.id is not None
    auth.revoke_others(session, user_id=user.id, keep=keep)
    resets.end_open(session, user.id)  # a link in a mailbox someone else reads no longer sets it
    audit.record(session, user_id=user.id, verb="change_password", entity="user", entity_id=user.id)
    session.commit()


def api_tokens(session: Session, user: User) -> list[AuthToken]:
    """The person's own API tokens still within their expiry, newest first."""
    assert user.id is not None
    return auth.api_tokens(session, user_id=user.id)


def revoke_api_token(session: Session, user: User, token_id: int) -> bool:
    """One of the person's own API tokens ends (audited); False when they have no such token."""
    assert user.id is not None
    revoked = auth.revoke_api_token(session, user_id=user.id, token_id=token_id)
    if revoked:
        audit.record(session, user_id=user.id, verb="revoke", entity="api_token", entity_id=token_id)
    session.commit()
    return revoked
