"""The audit trail for admins (JSON): every change and every read of a confidential report,
searched with the filters of the audit page (``oversight.search.Filters``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import SQLModel

from veille.audit.models import AuditEventPublic
from veille.deps import SessionDep, SettingsDep
from veille.directory.current import ApiUser
from veille.oversight import search
from veille.pagination import CursorParam, Limit

router = APIRouter(tags=["audit"])


class AuditPage(SQLModel):
    items: list[AuditEventPublic]
    next_cursor: str | None


@router.get("/audit", response_model=AuditPage)
def list_audit(
    user: ApiUser,
    session: SessionDep,
    settings: SettingsDep,
    filters: Annotated[search.Filters, Query()],
    limit: Limit = 50,
    cursor: CursorParam = None,
) -> AuditPage:
    """The audit trail, newest first, a page at a time (admins): by person (`user_id`), their
    organisation, a body (its own events and those of its reports, problem files, meetings,
    agenda items and actions), kind of event (`verb`), record (`entity`, `entity_id`) and period
    (`since`, `until`: days in the city's time zone). The consultation is itself audited."""
    items, next_cursor = search.search(
        session, user, filters, tz=settings.tz, via="api", limit=limit, cursor=cursor
    )
    return AuditPage(items=[AuditEventPublic.model_validate(e) for e in items], next_cursor=next_cursor)
