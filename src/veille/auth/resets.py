"""One-time links to set a new password: a random secret of which only the SHA-256 is stored,
valid 30 minutes (7 days for a newcomer's invitation), used once; their requests counted per
address typed and per client address like logins, whether the address belongs to an account or
not."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from veille.auth.models import PasswordReset, PasswordResetRequest
from veille.auth.service import hash_token
from veille.config import Settings
from veille.errors import TooManyAttempts
from veille.orm import utcnow

LIFETIME = timedelta(minutes=30)
# A newcomer's first link: their mail may wait for them a few days.
INVITATION_LIFETIME = timedelta(days=7)
# Requests in the login window before further ones are refused (429): of one address typed from
# every client, and of one client for every address typed.
PER_ACCOUNT = 3
PER_ADDRESS = 10


def record_request(session: Session, settings: Settings, *, email: str, ip: str) -> None:
    """Counts this request, or refuses it when the address typed or the client asked too often
    in the window (the same whether the address belongs to an account: nothing is revealed)."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    account, address = session.exec(
        select(
            func.count().filter(col(PasswordResetRequest.email) == email),
            func.count().filter(col(PasswordResetRequest.ip) == ip),
        ).where(
            col(PasswordResetRequest.at) > since,
            (col(PasswordResetRequest.email) == email) | (col(PasswordResetRequest.ip) == ip),
        )
    ).one()
    if account >= PER_ACCOUNT or address >= PER_ADDRESS:
        raise TooManyAttempts(settings.login_window_minutes * 60)
    session.add(PasswordResetRequest(email=email, ip=ip))
    # Housekeeping where it costs little: requests and links long past.
    old = utcnow() - timedelta(days=30)
    session.execute(delete(PasswordResetRequest).where(col(PasswordResetRequest.at) < old))
    session.execute(delete(PasswordReset).where(col(PasswordReset.expires_at) < old))


def issue(session: Session, *, user_id: int, lifetime: timedelta = LIFETIME) -> str:
    """A new link's secret (in the caller's transaction); only its hash is kept."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        PasswordReset(token_hash=hash_token(raw), user_id=user_id, created_at=now, expires_at=now + lifetime)
    )
    return raw


def valid(session: Session, raw: str) -> PasswordReset | None:
    """The unused, unexpired link behind this secret."""
    if not raw or len(raw) > 100:
        return None
    reset = session.exec(select(PasswordReset).where(PasswordReset.token_hash == hash_token(raw))).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    return reset


def use(session: Session, reset: PasswordReset) -> bool:
    """Spends this link and every other one of the account still open (in the caller's
    transaction): a link is good once, and an older mail no longer sets a password. False when
    another request spent it first."""
    now = utcnow()
    spent = session.exec(
        update(PasswordReset)
        .where(col(PasswordReset.id) == reset.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    end_open(session, reset.user_id)
    return bool(spent.rowcount)


def end_open(session: Session, user_id: int) -> None:
    """Spends every link of the account still open (in the caller's transaction): a password set
    another way ends them too, or a link in a mailbox read by someone else would still set it."""
    session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == user_id, col(PasswordReset.used_at).is_(None))
        .values(used_at=utcnow())
    )
