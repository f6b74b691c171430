"""The audit trail for admins (JSON): every change and every read of a confidential report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import SQLModel

from veille.audit import service as audit
from veille.audit.models import AuditEventPublic
from veille.deps import SessionDep
from veille.directory.current import ApiUser
from veille.directory.service import require_admin

router = APIRouter(tags=["audit"])


class AuditPage(SQLModel):
    items: list[AuditEventPublic]
    next_cursor: str | None


@router.get("/audit", response_model=AuditPage)
def list_audit(
    user: ApiUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    entity: str | None = None,
) -> AuditPage:
    """The audit trail, newest first, optionally of one kind of record (admins; a page at a time)."""
    require_admin(user)
    items, next_cursor = audit.list_events(session, limit=limit, cursor=cursor, entity=entity)
    return AuditPage(items=[AuditEventPublic.model_validate(e) for e in items], next_cursor=next_cursor)
