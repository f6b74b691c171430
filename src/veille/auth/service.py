"""Passwords, login throttling, server-side sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, update
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.auth.models import AuthToken, LoginAttempt, TokenKind
from veille.config import Settings
from veille.directory.models import User
from veille.errors import InvalidInput, TooManyAttempts
from veille.i18n import N_
from veille.orm import utcnow

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")
BAD_CREDENTIALS = N_("Incorrect e-mail address or password.")
# How often a session's last use is written back (it bounds idle expiry precision).
_TOUCH_EVERY = timedelta(seconds=60)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Throttle:
    failures: int
    delay: float
    refused: bool


def login_throttle(session: Session, settings: Settings, *, email: str, ip: str) -> Throttle:
    """Failures for this account (since its last success) or from this address, in the window."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    last_success = session.exec(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, col(LoginAttempt.succeeded).is_(True)
        )
    ).one()
    account_since = max(since, last_success) if last_success else since
    by_account = session.exec(
        select(func.count()).where(
            LoginAttempt.email == email,
            col(LoginAttempt.succeeded).is_(False),
            LoginAttempt.at > account_since,
        )
    ).one()
    by_address = session.exec(
        select(func.count()).where(
            LoginAttempt.ip == ip, col(LoginAttempt.succeeded).is_(False), LoginAttempt.at > since
        )
    ).one()
    # An address may try several accounts (a shared office); it gets a larger allowance.
    failures = max(by_account, by_address // 3)
    refused = failures >= settings.login_refuse_after
    excess = failures - settings.login_slow_after + 1
    delay = 0.0 if excess <= 0 else min(settings.login_delay_seconds * 2 ** (excess - 1), 8.0)
    return Throttle(failures=failures, delay=delay, refused=refused)


def authenticate(session: Session, settings: Settings, *, email: str, password: str, ip: str) -> User:
    """The active user with these credentials; slowed, then refused, after repeated failures."""
    email = email.strip().lower()
    throttle = login_throttle(session, settings, email=email, ip=ip)
    if throttle.refused:
        raise TooManyAttempts(retry_after=settings.login_window_minutes * 60)
    user = session.exec(select(User).where(User.email == email)).first()
    password_hash = user.password_hash if user else None
    active = bool(user and user.active)
    # The delay and Argon2 run outside any transaction: a write lock held while sleeping would
    # let failed logins stall every other writer.
    session.rollback()
    if throttle.delay:
        time.sleep(throttle.delay)
    ok = verify_password(password_hash, password) and active
    session.add(LoginAttempt(email=email[:254], ip=ip[:64], succeeded=ok))
    if not ok or user is None:
        audit.record(session, user_id=None, verb="login_failed", entity="user", email=email[:254])
        session.commit()
        raise InvalidInput({"__all__": BAD_CREDENTIALS})
    audit.record(session, user_id=user.id, verb="login", entity="user", entity_id=user.id)
    return user


def issue_token(
    session: Session, settings: Settings, *, user: User, kind: TokenKind
) -> tuple[str, AuthToken]:
    """A new random secret for a session or API token; only its hash is stored."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = (
        timedelta(hours=settings.session_absolute_hours)
        if kind == TokenKind.session
        else timedelta(days=settings.api_token_days)
    )
    assert user.id is not None
    token = AuthToken(
        kind=kind,
        token_hash=hash_token(raw),
        user_id=user.id,
        created_at=now,
        last_used_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    # Housekeeping where it costs little: this person's ended tokens, old login attempts.
    session.execute(
        delete(AuthToken).where(col(AuthToken.user_id) == user.id, col(AuthToken.expires_at) <= now)
    )
    session.execute(delete(LoginAttempt).where(col(LoginAttempt.at) < now - timedelta(days=30)))
    session.commit()
    return raw, token


@dataclass(frozen=True)
class Resolved:
    user: User
    token_id: int
    needs_touch: bool


def resolve_token(session: Session, settings: Settings, *, raw: str, kind: TokenKind) -> Resolved | None:
    """The active user behind a session or API token still within its idle and absolute expiry."""
    row = session.exec(
        select(AuthToken, User)
        .join(User, col(User.id) == AuthToken.user_id)
        .where(AuthToken.token_hash == hash_token(raw), AuthToken.kind == kind)
        .options(joinedload(User.organisation))  # type: ignore[arg-type]
    ).first()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    idle_limit = token.last_used_at + timedelta(minutes=settings.session_idle_minutes)
    expired = token.expires_at <= now or (kind == TokenKind.session and idle_limit <= now)
    if expired or not user.active:
        return None
    assert token.id is not None
    return Resolved(user=user, token_id=token.id, needs_touch=now - token.last_used_at > _TOUCH_EVERY)


def touch_token(session: Session, token_id: int) -> None:
    session.execute(update(AuthToken).where(col(AuthToken.id) == token_id).values(last_used_at=utcnow()))
    session.commit()


def revoke_token(session: Session, *, raw: str) -> None:
    session.execute(delete(AuthToken).where(col(AuthToken.token_hash) == hash_token(raw)))
    session.commit()


def revoke_all(session: Session, *, user_id: int) -> None:
    """Ends every session and API token of a person (deactivation, password change)."""
    session.execute(delete(AuthToken).where(col(AuthToken.user_id) == user_id))
