"""What another domain adds to an action's page, without actions knowing that domain.

The local strategy builds on actions (an objective is carried by actions), so actions may not
import it. Instead, an action's page asks the one :class:`ActionExtension` registered here,
which the composition root (``veille.app``) fills once when the app is created; the strategy
provides it (``veille.strategy.at_actions``): the objectives the action carries. With nothing
registered (commands, tests building pieces alone) the page shows no such line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from veille.access import Viewer


@dataclass(frozen=True)
class Mention:
    """A line the page shows about the action: its text, and where it leads when the reader may
    open it (None: the text alone)."""

    text: str
    href: str | None = None


class ActionExtension(Protocol):
    def mentions(self, session: Session, viewer: Viewer, action_id: int) -> list[Mention]:
        """What the action is part of, for someone who reads the action (one query)."""
        ...


_registered: list[ActionExtension] = []


def register(extension: ActionExtension) -> None:
    """Sets the extension (once per process; registering again replaces it)."""
    _registered[:] = [extension]


def mentions(session: Session, viewer: Viewer, action_id: int) -> list[Mention]:
    return _registered[0].mentions(session, viewer, action_id) if _registered else []
