"""What another domain adds to a meeting, without meetings knowing that domain.

Actions build on meetings (an action names the meeting that decided it, an agenda item links
actions to follow up), so meetings may not import actions. Instead, meetings call the one
:class:`MeetingExtension` registered here, which the composition root (``veille.app``) fills
once when the app is created; actions provide it (``veille.actions.at_meetings``). It adds:

- to the meeting page, extra context and templates shown in named slots of the agenda
  (``linked``: inside an item's linked records; ``item``: after them);
- to an agenda item's edit form (loaded when it is opened), what it may link (slot ``choices``);
- to the minutes, the decisions recorded at the meeting;
- to an agenda item's save, the check of the ``action_ids`` it links.

With nothing registered (commands, tests building pieces alone) meetings work without those
sections: no decisions, no extra parts, and an item may link no action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlmodel import Session

from veille.access import Viewer
from veille.meetings.models import AgendaItem

if TYPE_CHECKING:
    from veille.meetings.access import MeetingAccess

SLOTS = ("linked", "item", "choices")


class Decision(Protocol):
    """A decision recorded at a meeting, as the minutes print it."""

    @property
    def id(self) -> int | None: ...
    @property
    def agenda_item_id(self) -> int | None: ...
    @property
    def title(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def lead_organisation_id(self) -> int: ...
    @property
    def due_on(self) -> date | None: ...
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class MeetingPage:
    """What the meeting page knows when it asks for an extension's part: the reader (a member
    who sees the meeting in full), the agenda, each item's links (report ids, action ids) and
    when the body's previous meeting began."""

    access: MeetingAccess
    viewer: Viewer
    items: list[AgendaItem]
    links: dict[int, tuple[list[int], list[int]]]
    since: datetime | None
    today: date


@dataclass(frozen=True)
class ItemForm:
    """What an agenda item's edit form knows when it asks for an extension's choices: who
    edits it, the item, its links (report ids, action ids)."""

    access: MeetingAccess
    item: AgendaItem
    links: tuple[list[int], list[int]]
    today: date


class MeetingExtension(Protocol):
    @property
    def templates(self) -> Mapping[str, str]:
        """Slot name (one of SLOTS) → the template included there, inside each agenda item."""
        ...

    def page_context(self, session: Session, page: MeetingPage) -> dict[str, Any]:
        """Values for the page's templates (those of the slots ``linked`` and ``item``)."""
        ...

    def form_context(self, session: Session, form: ItemForm) -> dict[str, Any]:
        """Values for an item's edit form (the template of the slot ``choices``)."""
        ...

    def decisions(self, session: Session, viewer: Viewer, meeting_id: int) -> Sequence[Decision]:
        """The decisions recorded at the meeting, as far as the reader sees them."""
        ...

    def linkable(self, session: Session, viewer: Viewer, ids: set[int], body_id: int) -> set[int]:
        """Which of these ids an agenda item of the body may link for this person."""
        ...


_registered: list[MeetingExtension] = []


def register(extension: MeetingExtension) -> None:
    """Sets the extension (once per process; registering again replaces it)."""
    _registered[:] = [extension]


def current() -> MeetingExtension | None:
    return _registered[0] if _registered else None


def _slots(extension: MeetingExtension | None) -> dict[str, list[str]]:
    """The templates of each slot (none without an extension)."""
    templates = extension.templates if extension else {}
    return {slot: [templates[slot]] if slot in templates else [] for slot in SLOTS}


def page_context(session: Session, page: MeetingPage) -> dict[str, Any]:
    """The extension's values for the meeting page, and the templates of each slot."""
    extension = current()
    values = extension.page_context(session, page) if extension else {}
    return values | {"slots": _slots(extension)}


def form_context(session: Session, form: ItemForm) -> dict[str, Any]:
    """The extension's values for an item's edit form, and the templates of each slot."""
    extension = current()
    values = extension.form_context(session, form) if extension else {}
    return values | {"slots": _slots(extension)}


def decisions(session: Session, viewer: Viewer, meeting_id: int) -> list[Decision]:
    extension = current()
    return list(extension.decisions(session, viewer, meeting_id)) if extension else []


def linkable(session: Session, viewer: Viewer, ids: set[int], body_id: int) -> set[int]:
    """Nothing may be linked without an extension to check it."""
    extension = current()
    return extension.linkable(session, viewer, ids, body_id) if extension else set()
