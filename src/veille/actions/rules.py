"""The rules of an action's life, in one place so that the pages, the API, the board, the mails
and the statistics apply the same ones: which status moves are allowed and how a finished
action is reopened, when an action is overdue or due soon, when it may be evaluated, and the
end date a crime-treatment group (GLTD) sets for its actions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_
from sqlmodel import col

from veille.actions.enums import OPEN_STATUSES, REOPEN, STATUS_MOVES, ActionStatus, Event
from veille.actions.models import Action
from veille.bodies.enums import TIME_BOUND
from veille.bodies.models import Body
from veille.errors import Conflict, InvalidInput
from veille.i18n import N_
from veille.orm import utcnow

STALE = N_("Someone else changed this action in the meantime. Reload it and try again.")
MOVE = N_("This action cannot go to that status from its current one.")
REOPEN_FIRST = N_("This action is finished: reopen it explicitly to change its status.")
NOT_DONE = N_("An action is evaluated once it is done.")
GROUP_END = N_("In a group bounded in time, every action is due by the group's end date.")
# An open action due within this period is "due soon" (lists, board, weekly reminder).
DUE_SOON = timedelta(days=14)


def move(action: Action, status: ActionStatus, *, reopen: bool) -> Event | None:
    """Applies a status change along the allowed moves; the history event it makes (None: the
    status is unchanged). A done or abandoned action moves only when reopened explicitly, which
    clears its evaluation; done sets the progress to 100 (the service puts back the progress it
    had when one reopens it)."""
    if status == action.status:
        return None
    if reopen:
        if REOPEN.get(action.status) != status:
            raise Conflict(MOVE)
        action.done_at = None
        action.evaluation, action.effect, action.indicator = "", None, ""
        action.evaluated_at = action.evaluated_by = None
        event = Event.reopened
    elif status in STATUS_MOVES[action.status]:
        event = Event.status
    else:
        raise Conflict(REOPEN_FIRST if action.status in REOPEN else MOVE)
    action.status = status
    if status == ActionStatus.done:
        action.progress, action.done_at = 100, utcnow()
    return event


def require_done(action: Action) -> None:
    """An action is evaluated once it is done."""
    if action.status != ActionStatus.done:
        raise Conflict(NOT_DONE)


def deadline(body: Body) -> date | None:
    """The date a body's actions are due by: the end of a crime-treatment group, or of a
    thematic group bounded in time (bodies.enums.TIME_BOUND); None for the others."""
    return body.ends_on if body.kind in TIME_BOUND else None


def check_due(body: Body, due_on: date | None) -> None:
    """A group bounded in time works against the clock: every action is due by its end date."""
    ends_on = deadline(body)
    if ends_on is not None and (due_on is None or due_on > ends_on):
        raise InvalidInput({"due_on": GROUP_END})


def is_overdue(action: Action, today: date) -> bool:
    return action.status in OPEN_STATUSES and action.due_on is not None and action.due_on < today


def is_due_soon(action: Action, today: date) -> bool:
    due = action.due_on
    return action.status in OPEN_STATUSES and due is not None and today <= due <= today + DUE_SOON


def overdue(today: date) -> ColumnElement[bool]:
    """SQL: the action is open and past its due date."""
    return and_(col(Action.status).in_(OPEN_STATUSES), col(Action.due_on) < today)
