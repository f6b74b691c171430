"""Server-side sessions, API tokens and the record of login attempts."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from veille.orm import enum_type, timestamp


class TokenKind(StrEnum):
    session = "session"
    api = "api"


class AuthToken(SQLModel, table=True):
    """A browser session or an API token; only the SHA-256 of the secret is kept."""

    __tablename__ = "auth_token"

    id: int | None = Field(default=None, primary_key=True)
    kind: TokenKind = Field(sa_type=enum_type(TokenKind, 10))
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp()
    last_used_at: datetime = timestamp()
    expires_at: datetime = timestamp()


class LoginAttempt(SQLModel, table=True):
    """Failed and successful logins, counted in the database so limits hold across workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    at: datetime = timestamp()
    succeeded: bool = False


class LoginRelease(SQLModel, table=True):
    """An admin's release of an account locked by failed logins: its failures before ``at`` no
    longer count, from any address (the audit log keeps who released it)."""

    __tablename__ = "login_release"
    __table_args__ = (Index("ix_login_release_email_at", "email", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    at: datetime = timestamp()


class PasswordReset(SQLModel, table=True):
    """A one-time link to set a new password: only the SHA-256 of its secret is kept; it is
    used once (``used_at``) and ends at ``expires_at``."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp()
    expires_at: datetime = timestamp()
    used_at: datetime | None = timestamp(nullable=True)


class PasswordResetRequest(SQLModel, table=True):
    """Every request of a reset link, known address or not, counted per address typed and per
    client address so that the limits hold across workers and reveal nothing."""

    __tablename__ = "password_reset_request"
    __table_args__ = (
        Index("ix_password_reset_request_email_at", "email", "at"),
        Index("ix_password_reset_request_ip_at", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    at: datetime = timestamp()


class TokenRequest(SQLModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class TokenResponse(SQLModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth token type, not a secret)
    expires_at: datetime
