"""The audit log: append-only (database triggers refuse updates and deletes)."""

from datetime import datetime

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from veille.orm import timestamp


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp(index=True)
    user_id: int | None = Field(default=None, index=True)
    verb: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    detail: dict[str, object] = Field(default_factory=dict, sa_type=JSON)


class AuditEventPublic(SQLModel):
    id: int
    at: datetime
    user_id: int | None
    verb: str
    entity: str
    entity_id: int | None
    detail: dict[str, object]
