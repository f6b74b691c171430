"""The person asking: found once per request from the session cookie (pages) or the bearer
token (API), with what the navigation may offer them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, bindparam
from sqlalchemy import select as select_columns
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from veille.auth import service as auth
from veille.auth.models import AuthToken, TokenKind
from veille.config import Settings
from veille.deps import SESSION_COOKIE, LoginRequired, SessionDep, get_settings
from veille.directory.models import User
from veille.directory.service import limited, note_limits, page_permissions
from veille.i18n import use_language
from veille.orm import utcnow
from veille.pagecache import Checked, note_version, version_now


def _resolve(request: Request, session: Session, raw: str | None, kind: TokenKind) -> User | None:
    """The active person behind a token still within its expiry, in one query."""
    if not raw:
        return None
    row = session.exec(
        select(AuthToken, User, limited(col(User.id)), version_now())
        .join(User, col(User.id) == AuthToken.user_id)
        .where(auth.token_matches(raw, kind))
        .options(joinedload(User.organisation))  # type: ignore[arg-type]
    ).first()
    if row is None:
        return None
    token, user, is_limited, version = row
    if not user.active or auth.token_expired(get_settings(request), token):
        return None
    note_version(version)  # read before anything the page shows: what a kept page is made from
    if auth.needs_touch(token):
        assert token.id is not None
        auth.touch_token(session, token.id)
    note_limits(session, user, bool(is_limited))
    request.state.user = user
    request.state.can = page_permissions(user)
    use_language(str(user.language))
    return user


# A kept page's check (below): built once, only the token's hash bound at each request.
_CHECK = (
    select_columns(
        col(AuthToken.id), col(AuthToken.kind), col(AuthToken.expires_at), col(AuthToken.last_used_at),
        col(User.active), version_now().label("version"),
    )
    .join(User, col(User.id) == AuthToken.user_id)
    .where(col(AuthToken.token_hash) == bindparam("hash"), col(AuthToken.kind) == TokenKind.session)
)  # fmt: skip


def session_version(settings: Settings, connection: Connection, raw: str) -> Checked | None:
    """The data version, if the session behind ``raw`` still opens pages (active person, within
    its limits; its last use written when due, as a rendered page would), and until when the
    session needs no other look: a page kept for it may be served again (pagecache.py). One
    statement of columns, on the connection the page's audited reads are then written on: this
    runs at every kept page the process cannot tell unchanged by itself."""
    row = connection.execute(_CHECK, {"hash": auth.hash_token(raw)}).first()
    if row is None or row.version is None:
        return None
    token = auth.TokenTimes(row.kind, row.expires_at, row.last_used_at)
    if not row.active or auth.token_expired(settings, token):
        return None
    if auth.needs_touch(token):
        connection.execute(auth.touch(row.id))  # committed with the page's audited reads
        token = token._replace(last_used_at=utcnow())
    return Checked(int(row.version), auth.looked_at_by(settings, token).timestamp())


def optional_page_user(request: Request, session: SessionDep) -> User | None:
    return _resolve(request, session, request.cookies.get(SESSION_COOKIE), TokenKind.session)


def page_user(user: Annotated[User | None, Depends(optional_page_user)]) -> User:
    if user is None:
        raise LoginRequired()
    return user


_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def api_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    return credentials.credentials if credentials else None


def api_user(request: Request, session: SessionDep, raw: Annotated[str | None, Depends(api_token)]) -> User:
    user = _resolve(request, session, raw, TokenKind.api)
    if user is None:
        raise LoginRequired()
    return user


PageUser = Annotated[User, Depends(page_user)]
OptionalPageUser = Annotated[User | None, Depends(optional_page_user)]
ApiUser = Annotated[User, Depends(api_user)]
