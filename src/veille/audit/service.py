"""Writing to and reading the audit log (DESIGN.md §4 rule 6)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlmodel import Session, select

from veille.audit.models import AuditEvent
from veille.orm import utcnow
from veille.pagination import Cursor, keyset_page


def record(
    session: Session,
    *,
    user_id: int | None,
    verb: str,
    entity: str,
    entity_id: int | None = None,
    **detail: object,
) -> None:
    """Adds an event to the current transaction, so that it is kept only if the change is."""
    session.add(AuditEvent(user_id=user_id, verb=verb, entity=entity, entity_id=entity_id, detail=detail))


def record_reads(
    session: Session, *, user_id: int | None, entity: str, entity_ids: list[int], **detail: object
) -> None:
    """One "read" event per record, written in a single statement (a list of 50 confidential
    records costs one insert, not fifty)."""
    if not entity_ids:
        return
    at = utcnow()
    rows = [
        {"at": at, "user_id": user_id, "verb": "read", "entity": entity, "entity_id": i, "detail": detail}
        for i in entity_ids
    ]
    session.execute(insert(AuditEvent), rows)


def list_events(
    session: Session, *, limit: int, cursor: str | None, entity: str | None = None
) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    return keyset_page(session, stmt, AuditEvent, Cursor.parse(cursor), limit, newest_first=True)
