"""What actions add to a meeting, through meetings' extension point (``meetings.extensions``),
since meetings may not import actions: the actions each agenda item follows up (and, for those
who edit the agenda, the body's open actions they may link), the actions decided at the meeting
(shown by item and printed in the minutes), the standing item "follow-up of actions", and the
check of the action ids an agenda item links. ``veille.app`` registers it once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session

from veille.access import Viewer
from veille.actions import lists as actions
from veille.actions.models import Action
from veille.bodies import service as bodies
from veille.meetings import extensions
from veille.meetings.enums import MeetingStatus, StandingItem
from veille.meetings.extensions import ItemForm, MeetingPage
from veille.meetings.models import AgendaItem
from veille.orm import utcnow

TITLE_LENGTH = 200  # Action.title


def decision_lines(item: AgendaItem) -> list[str]:
    """The decisions typed in an agenda item, one a line (list bullets dropped)."""
    lines = (line.strip().lstrip("-•*–").strip() for line in item.decisions.splitlines())
    return [line for line in lines if line]


def decision_title(item: AgendaItem, number: int | None) -> str:
    """The title an action recorded from an item's decision starts with: its ``number``-th
    decision (from 1; the last one typed when none is named), cut to an action title's length;
    empty when the item records no decision yet (never the item's title, which names the
    subject, not what was decided)."""
    lines = decision_lines(item)
    if not lines:
        return ""
    chosen = lines[number - 1] if number is not None and number <= len(lines) else lines[-1]
    return chosen if len(chosen) <= TITLE_LENGTH else chosen[: TITLE_LENGTH - 1].rstrip() + "…"


# Shown in each agenda item: its actions followed up (beside its reports), then the follow-up
# and the actions it decided; in its edit form, the actions it may link.
TEMPLATES = {
    "linked": "actions/meeting_linked.html",
    "item": "actions/meeting_item.html",
    "choices": "actions/meeting_choices.html",
}


class ActionsAtMeetings:
    """The actions' part of a meeting (``extensions.MeetingExtension``)."""

    @property
    def templates(self) -> Mapping[str, str]:
        return TEMPLATES

    def page_context(self, session: Session, page: MeetingPage) -> dict[str, Any]:
        """The actions the meeting decided, by agenda item; the standing item "follow-up of
        actions" (what changed on each open action since the previous meeting); the actions
        linked to each item as far as the reader sees them."""
        meeting, viewer = page.access.meeting, page.viewer
        decisions: dict[int, list[Action]] = {}
        for action in actions.decided_at(session, viewer, meeting.id or 0):
            decisions.setdefault(action.agenda_item_id or 0, []).append(action)
        follow_up: list[actions.FollowUp] = []
        if any(i.standing == StandingItem.actions_follow_up for i in page.items):
            until = (
                max(meeting.starts_at, utcnow())
                if meeting.status != MeetingStatus.minutes_approved
                else meeting.ends_at
            )
            follow_up = actions.follow_up(session, viewer, meeting.body_id, page.since, until, page.today)
        body_ids = {e.from_body_id for f in follow_up for e in f.entries} | {
            e.to_body_id for f in follow_up for e in f.entries
        }
        linked = actions.linked_rows(
            session, viewer, {x for _, a in page.links.values() for x in a}, page.today
        )
        by_id = {r.action.id: r for r in linked}
        return {
            "decisions": decisions,
            "decision_lines": {i.id: decision_lines(i) for i in page.items},
            "follow_up": follow_up,
            "body_names": bodies.names(session, {i for i in body_ids if i}),
            "item_actions": {i: [by_id[x] for x in a if x in by_id] for i, (_, a) in page.links.items()},
        }

    def form_context(self, session: Session, form: ItemForm) -> dict[str, Any]:
        """The body's open actions the item may follow up, and those it follows up already."""
        access = form.access
        return {
            "link_actions": actions.linkable(
                session, access.viewer, access.meeting.body_id, form.today, keep=form.links[1]
            )
        }

    def decisions(self, session: Session, viewer: Viewer, meeting_id: int) -> Sequence[Action]:
        return actions.decided_at(session, viewer, meeting_id)

    def linkable(self, session: Session, viewer: Viewer, ids: set[int], body_id: int) -> set[int]:
        return actions.ids_in_body(session, viewer, ids, body_id)


def register() -> None:
    """Called once by the composition root (``veille.app``)."""
    extensions.register(ActionsAtMeetings())
