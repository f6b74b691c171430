"""Admin pages of the outbox: what was sent, what waits, what failed, and why."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.i18n import N_
from veille.notifications import admin, service
from veille.notifications.enums import OutboxStatus
from veille.pagination import PageNumber
from veille.types import Id
from veille.web import redirect, render

router = APIRouter(prefix="/admin/outbox")

STATUS_LABELS = {
    OutboxStatus.pending: N_("Waiting"),
    OutboxStatus.sent: N_("Sent"),
    OutboxStatus.failed: N_("Failed"),
}
STATUS_BADGES = {OutboxStatus.pending: "warning", OutboxStatus.sent: "success", OutboxStatus.failed: "danger"}


def _context(settings: SettingsDep) -> dict[str, object]:
    return {
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "smtp_configured": bool(settings.smtp_host),
        "max_attempts": service.MAX_ATTEMPTS,
        "nav_active": "admin",
    }


@router.get("")
def outbox(
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    status: OutboxStatus | None = None,
    page: PageNumber = 1,
) -> Response:
    mails = admin.list_mail(session, actor=user, status=status, page=page)
    return render(
        request,
        "notifications/outbox.html",
        {
            **_context(settings),
            "page": mails,
            "status": status,
            "counts": admin.count_by_status(session, actor=user),
            "base_url": f"/admin/outbox?status={status}" if status else "/admin/outbox",
        },
    )


@router.get("/{mail_id}")
def mail_detail(
    mail_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    mail, attachments = admin.get_mail(session, actor=user, mail_id=mail_id)
    account = directory.get_user(session, actor=user, user_id=mail.user_id) if mail.user_id else None
    return render(
        request,
        "notifications/mail.html",
        {
            **_context(settings),
            "mail": mail,
            "headers": service.headers(mail, settings),
            "attachments": attachments,
            "account": account,
            "text_shown": admin.text_shown(mail),
        },
    )


@router.post("/{mail_id}/retry")
def retry_mail(
    mail_id: Id,
    request: Request,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    admin.retry_mail(session, actor=user, mail_id=mail_id)
    message = (
        N_("The mail is back in the queue: it is being sent again.")
        if settings.smtp_host
        else N_("The mail is back in the queue: it will leave once mail delivery is configured.")
    )
    return redirect(request, f"/admin/outbox/{mail_id}", flash=message)
