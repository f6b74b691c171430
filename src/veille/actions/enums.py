"""The codes of actions: kind, status and evaluation; stored as text, labelled in labels.py."""

from enum import StrEnum


class ActionKind(StrEnum):
    preventive = "preventive"
    deterrent = "deterrent"
    repressive = "repressive"


class ActionStatus(StrEnum):
    proposed = "proposed"
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    abandoned = "abandoned"


# proposed → planned → in_progress → done, or abandoned before it is done (README.md, Actions).
STATUS_MOVES: dict[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.proposed: frozenset({ActionStatus.planned, ActionStatus.abandoned}),
    ActionStatus.planned: frozenset({ActionStatus.in_progress, ActionStatus.abandoned}),
    ActionStatus.in_progress: frozenset({ActionStatus.done, ActionStatus.abandoned}),
    ActionStatus.done: frozenset(),
    ActionStatus.abandoned: frozenset(),
}
# Reopening is explicit: a done action goes back to work, an abandoned one back to planning.
REOPEN: dict[ActionStatus, ActionStatus] = {
    ActionStatus.done: ActionStatus.in_progress,
    ActionStatus.abandoned: ActionStatus.planned,
}
OPEN_STATUSES = (ActionStatus.proposed, ActionStatus.planned, ActionStatus.in_progress)


class Effect(StrEnum):
    """The effect observed when the action is evaluated."""

    positive = "positive"
    mixed = "mixed"
    none = "none"
    negative = "negative"


class Event(StrEnum):
    """What a line of an action's history records."""

    note = "note"
    created = "created"
    status = "status"
    reopened = "reopened"
    referred = "referred"
    evaluated = "evaluated"


class ReviewKind(StrEnum):
    """What the chair of a crime-treatment group records on its life."""

    mid_term = "mid_term"
    final = "final"
    renewal = "renewal"
