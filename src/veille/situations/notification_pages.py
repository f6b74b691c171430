"""HTML routes of a member's choice of mail for a body's new reports: a card of the body page
(loaded by htmx: the ``notifications`` block of its own page), also served as a page of its own
for browsers without JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.access import PageViewer
from veille.bodies.service import BodyAccess
from veille.deps import SessionDep
from veille.i18n import N_, translate
from veille.situations import flows
from veille.situations.enums import NotificationMode
from veille.types import Id
from veille.web import Form, is_htmx, redirect, render

router = APIRouter()
SAVED = N_("Your choice of mail for this body is saved.")
BAD_MODE = N_("Choose one of the proposed values.")


def _render(
    request: Request,
    access: BodyAccess,
    mode: str,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "situations/notifications.html",
        {
            "access": access,
            "body": access.body,
            "mode": mode,
            "notice": translate(notice) if notice else None,
            "errors": errors or {},
            "nav_active": "bodies",
        },
        block="notifications",
        status_code=status_code,
    )


@router.get("/bodies/{body_id}/notifications")
def notifications(body_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = flows.choice_access(session, viewer.user, body_id)
    return _render(request, access, flows.current_mode(session, access))


@router.post("/bodies/{body_id}/notifications")
def set_notifications(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    """The choice saved; htmx gets the card back with a notice. Without htmx the answer is a
    redirect to the body, which a block cannot be: that check stays."""
    access = flows.choice_access(session, viewer.user, body_id)
    try:
        mode = NotificationMode(str(form.get("mode", "")))
    except ValueError:
        current = flows.current_mode(session, access)
        return _render(request, access, current, errors={"mode": translate(BAD_MODE)}, status_code=422)

    flows.set_mode(session, access=access, mode=mode)
    if is_htmx(request):
        return _render(request, access, mode, notice=SAVED)
    return redirect(request, f"/bodies/{body_id}", flash=SAVED)
