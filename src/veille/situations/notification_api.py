"""JSON API of a member's choice of mail for a body's new reports."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import SQLModel

from veille.access import ApiViewer
from veille.deps import SessionDep
from veille.situations import flows
from veille.situations.enums import NotificationMode
from veille.types import Id

router = APIRouter(prefix="/bodies", tags=["notifications"])


class NotificationsIn(SQLModel):
    mode: NotificationMode


class NotificationsPublic(SQLModel):
    """``each``: a mail for each new report; ``digest``: a daily digest (the default);
    ``none``: no mail."""

    body_id: Id
    mode: NotificationMode


@router.get("/{body_id}/notifications", response_model=NotificationsPublic)
def get_notifications(body_id: Id, viewer: ApiViewer, session: SessionDep) -> NotificationsPublic:
    """Your choice of mail for the body's new reports (a daily digest unless you chose). A member
    who sees the body's content; 403 for its guests and for the staff who do not sit in it."""
    access = flows.choice_access(session, viewer.user, body_id)
    return NotificationsPublic(body_id=body_id, mode=flows.current_mode(session, access))


@router.put("/{body_id}/notifications", response_model=NotificationsPublic)
def put_notifications(
    body_id: Id, data: NotificationsIn, viewer: ApiViewer, session: SessionDep
) -> NotificationsPublic:
    """Sets your choice of mail for the body's new reports: each one, a daily digest, or none
    (audited). Who may read it may set it."""
    access = flows.choice_access(session, viewer.user, body_id)
    return NotificationsPublic(body_id=body_id, mode=flows.set_mode(session, access=access, mode=data.mode))
