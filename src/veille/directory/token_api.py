"""API tokens: POST to obtain one, DELETE to revoke it; a person's own tokens listed, and
revoked one by one (as on "Mon compte")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlmodel import SQLModel

from veille.auth import service as auth
from veille.auth.models import TokenKind, TokenRequest, TokenResponse
from veille.deps import SessionDep, SettingsDep
from veille.directory import profile
from veille.directory import service as directory
from veille.directory.current import ApiUser, api_token
from veille.errors import InvalidInput, NotFound, ServiceError
from veille.types import Id

router = APIRouter(prefix="/auth", tags=["auth"])


class BadCredentials(ServiceError):
    status_code = 401


@router.post("/token", response_model=TokenResponse)
async def create_token(
    request: Request, body: TokenRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Exchanges an e-mail address and password for an API token (throttled like the login
    page; 401 on bad credentials)."""
    ip = request.client.host if request.client else "unknown"
    try:
        user = await run_in_threadpool(
            directory.authenticate, session, settings, email=body.email, password=body.password, ip=ip
        )
    except InvalidInput as exc:
        raise BadCredentials(auth.BAD_CREDENTIALS) from exc
    raw, token = await run_in_threadpool(auth.issue_token, session, settings, user=user, kind=TokenKind.api)
    return TokenResponse(access_token=raw, expires_at=token.expires_at)


@router.delete("/token", status_code=204)
def revoke_token(
    _user: ApiUser, session: SessionDep, raw: Annotated[str | None, Depends(api_token)]
) -> Response:
    """Revokes the token used for this request."""
    assert raw is not None
    auth.revoke_token(session, raw=raw)
    return Response(status_code=204)


class TokenPublic(SQLModel):
    id: int
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


@router.get("/tokens", response_model=list[TokenPublic])
def list_tokens(
    user: ApiUser, session: SessionDep, raw: Annotated[str | None, Depends(api_token)]
) -> list[TokenPublic]:
    """The person's own API tokens still valid, newest first (``current``: the one of this call)."""
    mine = auth.hash_token(raw or "")
    return [
        TokenPublic(
            id=t.id or 0,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
            current=t.token_hash == mine,
        )
        for t in profile.api_tokens(session, user)
    ]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_one(token_id: Id, user: ApiUser, session: SessionDep) -> Response:
    """Revokes one of the person's own API tokens; another person's, or none, is 404."""
    if not profile.revoke_api_token(session, user, token_id):
        raise NotFound()
    return Response(status_code=204)
