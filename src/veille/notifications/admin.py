"""The outbox as its admin pages read it: the mail newest first, counts by status, one mail's
headers and attachments (never their data), and a failed mail put back in the queue. Only
platform admins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.directory.models import User
from veille.directory.service import require_admin
from veille.errors import Conflict, NotFound
from veille.i18n import N_
from veille.notifications import service as outbox
from veille.notifications.enums import OutboxStatus
from veille.notifications.models import OutboxAttachment, OutboxMail
from veille.orm import utcnow
from veille.pagination import Page, numbered_page


def text_shown(mail: OutboxMail) -> bool:
    """Whether the admin pages show the mail's text (``WITHHELD_KINDS``)."""
    return mail.kind not in outbox.WITHHELD_KINDS


@dataclass(frozen=True)
class AttachmentInfo:
    filename: str
    content_type: str
    size: int


def list_mail(session: Session, *, actor: User, status: OutboxStatus | None, page: int) -> Page[OutboxMail]:
    """Newest first; the bodies are not loaded."""
    require_admin(actor)
    stmt = (
        select(OutboxMail)
        .options(
            defer(OutboxMail.text, raiseload=True),  # type: ignore[arg-type]
            defer(OutboxMail.html, raiseload=True),  # type: ignore[arg-type]
        )
        .order_by(col(OutboxMail.id).desc())
    )
    if status is not None:
        stmt = stmt.where(OutboxMail.status == status)
    return numbered_page(session, stmt, page)


def count_by_status(session: Session, *, actor: User) -> dict[OutboxStatus, int]:
    require_admin(actor)
    rows = session.exec(select(OutboxMail.status, func.count()).group_by(col(OutboxMail.status))).all()
    return dict.fromkeys(OutboxStatus, 0) | {OutboxStatus(status): count for status, count in rows}


def get_mail(session: Session, *, actor: User, mail_id: int) -> tuple[OutboxMail, list[AttachmentInfo]]:
    """The mail and its attachments' names, types and sizes (their data is not loaded)."""
    require_admin(actor)
    mail = session.get(OutboxMail, mail_id)
    if mail is None:
        raise NotFound()
    rows = session.exec(
        select(
            OutboxAttachment.filename,
            OutboxAttachment.content_type,
            func.length(OutboxAttachment.data),
        )
        .where(OutboxAttachment.mail_id == mail_id)
        .order_by(col(OutboxAttachment.id))
    ).all()
    return mail, [AttachmentInfo(filename, content_type, size or 0) for filename, content_type, size in rows]


def retry_mail(session: Session, *, actor: User, mail_id: int) -> OutboxMail:
    """Puts a failed mail back in the queue, due now, with a fresh count of attempts."""
    require_admin(actor)
    mail = session.get(OutboxMail, mail_id)
    if mail is None:
        raise NotFound()
    if mail.status != OutboxStatus.failed:
        raise Conflict(N_("Only a mail whose delivery failed can be sent again."))
    mail.status = OutboxStatus.pending
    mail.attempts = 0
    mail.next_attempt_at = utcnow()
    session.add(mail)
    audit.record(session, user_id=actor.id, verb="retry", entity="outbox_mail", entity_id=mail.id)
    outbox.wake_at_commit(session)  # the sender takes it at once
    session.commit()
    return mail
