"""The outbox: mail waiting to be delivered, with its attachments.

A mail is written in the transaction of the change that causes it, and leaves only once that
change is committed; a sender delivers it later over SMTP (``service.deliver_pending``).
"""

from datetime import datetime

from sqlalchemy import Index, LargeBinary, Text
from sqlmodel import Field, Relationship, SQLModel

from veille.notifications.enums import OutboxStatus
from veille.orm import enum_type, timestamp


class OutboxAttachment(SQLModel, table=True):
    __tablename__ = "outbox_attachment"

    id: int | None = Field(default=None, primary_key=True)
    # Set by the mail's ``attachments`` relationship when the mail is written.
    mail_id: int | None = Field(
        default=None, foreign_key="outbox_mail.id", index=True, nullable=False, ondelete="CASCADE"
    )
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=255)
    data: bytes = Field(sa_type=LargeBinary)


class OutboxMail(SQLModel, table=True):
    __tablename__ = "outbox_mail"
    # The sender's query: the pending mail that is due, oldest first.
    __table_args__ = (Index("ix_outbox_mail_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=500)
    text: str = Field(sa_type=Text)
    html: str | None = Field(default=None, sa_type=Text)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")
    kind: str = Field(default="", max_length=40)
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=enum_type(OutboxStatus, 20))
    attempts: int = 0
    next_attempt_at: datetime = timestamp()
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = timestamp()
    sent_at: datetime | None = timestamp(nullable=True)

    attachments: list[OutboxAttachment] = Relationship(
        sa_relationship_kwargs={
            "lazy": "raise",
            "order_by": "OutboxAttachment.id",
            "cascade": "all, delete-orphan",
        }
    )
