"""Passwords, login throttling, server-side sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import NamedTuple, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, Update, and_, case, delete, func, update
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.auth.models import AuthToken, LoginAttempt, LoginRelease, TokenKind
from veille.config import Settings
from veille.errors import TooManyAttempts
from veille.i18n import N_
from veille.orm import utcnow

_hasher = PasswordHasher()
BAD_CREDENTIALS = N_("Incorrect e-mail address or password.")
# How often a session's last use is written back (it bounds idle expiry precision).
_TOUCH_EVERY = timedelta(seconds=60)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so that the answer takes as long either way
    (made at the first use, not at import: every process start would pay for it)."""
    return _hasher.hash("not a real password, only for timing")


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


MAX_DELAY = 8.0
ACCOUNT_LOCKED = N_(
    "Too many failed attempts on this account. Try again later, or ask an administrator to release it."
)


class AccountLocked(TooManyAttempts):
    """The account-wide ceiling: refused from every address until the window passes or an admin
    releases the account (the same for an unknown address, so nothing is revealed)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.message = ACCOUNT_LOCKED


@dataclass(frozen=True)
class Throttle:
    """Failed logins in the window: of this account from this address (``pair``), from this
    address for any account (``address``), of this account from every address (``account``)."""

    pair: int
    address: int
    account: int
    delay: float
    refused: bool
    locked: bool


def _delay(settings: Settings, failures: int, slow_after: int) -> float:
    excess = failures - slow_after + 1
    return 0.0 if excess <= 0 else min(settings.login_delay_seconds * 2 ** (excess - 1), MAX_DELAY)


def login_throttle(session: Session, settings: Settings, *, email: str, ip: str) -> Throttle:
    """The failures that count against this attempt (OWASP ASVS 5.0 §6.3). An account's count
    starts again at its last success or its release by an admin; a pair's, at that pair's own
    last success (another client's success does not reset it) or the release."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    account_success, pair_success = session.exec(
        select(
            func.max(LoginAttempt.at),
            func.max(case((col(LoginAttempt.ip) == ip, LoginAttempt.at))),
        ).where(LoginAttempt.email == email, col(LoginAttempt.succeeded).is_(True))
    ).one()
    released = session.exec(select(func.max(LoginRelease.at)).where(LoginRelease.email == email)).one()
    account_since = max(t for t in (since, account_success, released) if t is not None)
    pair_since = max(t for t in (since, pair_success, released) if t is not None)
    account, pair = session.exec(
        select(
            func.count(case((col(LoginAttempt.at) > account_since, 1))),
            func.count(case((and_(col(LoginAttempt.ip) == ip, col(LoginAttempt.at) > pair_since), 1))),
        ).where(LoginAttempt.email == email, col(LoginAttempt.succeeded).is_(False), LoginAttempt.at > since)
    ).one()
    address = session.exec(
        select(func.count()).where(
            LoginAttempt.ip == ip, col(LoginAttempt.succeeded).is_(False), LoginAttempt.at > since
        )
    ).one()
    locked = account >= settings.login_account_lock_after
    return Throttle(
        pair=pair,
        address=address,
        account=account,
        # An address may try several accounts (a shared office): it is slowed three times later.
        delay=max(
            _delay(settings, pair, settings.login_slow_after),
            _delay(settings, address // 3, settings.login_slow_after),
            _delay(settings, account, settings.login_account_slow_after),
        ),
        refused=locked
        or pair >= settings.login_refuse_after
        or address >= settings.login_address_refuse_after,
        locked=locked,
    )


def check_credentials(
    session: Session,
    settings: Settings,
    *,
    email: str,
    ip: str,
    password: str,
    password_hash: str | None,
    active: bool,
) -> bool:
    """Whether the password matches the account's hash (``None``: no such account, checked
    against a dummy hash all the same) and the account is active; slowed, then refused, after
    repeated failures. The attempt is recorded; a failure is audited and committed."""
    throttle = login_throttle(session, settings, email=email, ip=ip)
    if throttle.refused:
        retry_after = settings.login_window_minutes * 60
        raise AccountLocked(retry_after) if throttle.locked else TooManyAttempts(retry_after)
    # The delay and Argon2 run outside any transaction: a write lock held while sleeping would
    # let failed logins stall every other writer.
    session.rollback()
    if throttle.delay:
        time.sleep(throttle.delay)
    ok = verify_password(password_hash, password) and active
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok))
    if not ok:
        audit.record(session, user_id=None, verb="login_failed", entity="user", email=email)
        session.commit()
    return ok


@dataclass(frozen=True)
class AccountState:
    """An account's failed logins from every address in the window, and whether they lock it."""

    failures: int
    locked: bool
    window_minutes: int


def account_state(session: Session, settings: Settings, *, email: str) -> AccountState:
    throttle = login_throttle(session, settings, email=email.strip().lower()[:254], ip="")
    return AccountState(
        failures=throttle.account, locked=throttle.locked, window_minutes=settings.login_window_minutes
    )


def release(session: Session, *, email: str) -> None:
    """Lifts the account's lock, and its refusals from any one address: its failures so far no
    longer count (in the caller's transaction; ``directory.service.release_login`` checks who
    may). An address's own count, over every account, stays."""
    session.add(LoginRelease(email=email.strip().lower()[:254]))


class Account(Protocol):
    """What tokens need of a person: their id (the directory keeps the rest)."""

    @property
    def id(self) -> int | None: ...


def issue_token(
    session: Session, settings: Settings, *, user: Account, kind: TokenKind
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
    session.execute(delete(LoginRelease).where(col(LoginRelease.at) < now - timedelta(days=30)))
    session.commit()
    return raw, token


def token_matches(raw: str, kind: TokenKind) -> ColumnElement[bool]:
    """The filter of the token behind this secret (the directory joins its person to it)."""
    return and_(col(AuthToken.token_hash) == hash_token(raw), col(AuthToken.kind) == kind)


class TokenTimes(NamedTuple):
    """A token's kind and times, as a lighter query reads them (a kept page's check)."""

    kind: TokenKind
    expires_at: datetime
    last_used_at: datetime


def token_expired(settings: Settings, token: AuthToken | TokenTimes) -> bool:
    """Past its absolute expiry or, for a session, its idle limit."""
    now = utcnow()
    idle = token.kind == TokenKind.session and _idle_limit(settings, token) <= now
    return token.expires_at <= now or idle


def _idle_limit(settings: Settings, token: AuthToken | TokenTimes) -> datetime:
    return token.last_used_at + timedelta(minutes=settings.session_idle_minutes)


def needs_touch(token: AuthToken | TokenTimes) -> bool:
    """Whether the token's last use is old enough to be written back, or is an API token's
    first: one made and used within the minute would otherwise read "never used" on the
    account page (a session's first page is its login's, never listed)."""
    if (
        isinstance(token, AuthToken)
        and token.kind == TokenKind.api
        and token.last_used_at == token.created_at
    ):
        return True
    return utcnow() - token.last_used_at > _TOUCH_EVERY


def looked_at_by(settings: Settings, token: TokenTimes) -> datetime:
    """When the session must next be read again: its expiry, its idle limit or its next
    last-use write, whichever comes first (a kept page is served without reading it until then)."""
    return min(token.expires_at, _idle_limit(settings, token), token.last_used_at + _TOUCH_EVERY)


def touch(token_id: int) -> Update:
    """The token's last use, written now (a kept page's check runs it on the connection it
    read the session on, before the page's audited reads)."""
    return update(AuthToken).where(col(AuthToken.id) == token_id).values(last_used_at=utcnow())


def touch_token(session: Session, token_id: int) -> None:
    session.execute(touch(token_id))
    session.commit()


def revoke_token(session: Session, *, raw: str) -> None:
    session.execute(delete(AuthToken).where(col(AuthToken.token_hash) == hash_token(raw)))
    session.commit()


def revoke_all(session: Session, *, user_id: int) -> None:
    """Ends every session and API token of a person (deactivation, password change)."""
    session.execute(delete(AuthToken).where(col(AuthToken.user_id) == user_id))


def revoke_others(session: Session, *, user_id: int, keep: str) -> None:
    """Ends every session and API token of a person but the one behind ``keep`` (the session
    in which they changed their own password)."""
    session.execute(
        delete(AuthToken).where(
            col(AuthToken.user_id) == user_id, col(AuthToken.token_hash) != hash_token(keep)
        )
    )


def api_tokens(session: Session, *, user_id: int) -> list[AuthToken]:
    """A person's API tokens still within their expiry, newest first."""
    return list(
        session.exec(
            select(AuthToken)
            .where(AuthToken.user_id == user_id, AuthToken.kind == TokenKind.api)
            .where(AuthToken.expires_at > utcnow())
            .order_by(col(AuthToken.created_at).desc(), col(AuthToken.id).desc())
        ).all()
    )


def revoke_api_token(session: Session, *, user_id: int, token_id: int) -> bool:
    """Revokes one of the person's own API tokens (in the caller's transaction); False when
    they have no such token."""
    result = session.exec(
        delete(AuthToken).where(
            col(AuthToken.id) == token_id,
            col(AuthToken.user_id) == user_id,
            col(AuthToken.kind) == TokenKind.api,
        )
    )
    return bool(result.rowcount)
