"""The live meeting: which writes make which events of a meeting (``veille.events``), and the
stream that tells one reader's page what changed, checking at each event that they may still
see the meeting.

The events name a part of the page (``meeting``: the status and the header; ``attendance``;
``agenda``; ``notes``: an item's notes and decisions; ``round_table``; ``actions``;
``presence``: who is looking; ``current``: the projected item). A stream carries only these
names: the page then fetches the part, rendered for its reader. What only members see is a
private event, never sent to a guest's stream (a confidential item's notes, the round table,
the actions, the links, who is looking)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from typing import Any

from anyio import CancelScope, to_thread
from sqlalchemy import Engine, inspect
from sqlmodel import Session, col, select

from veille.access import viewer_of
from veille.auth import service as auth
from veille.auth.models import AuthToken, TokenKind
from veille.config import Settings
from veille.db import open_session
from veille.directory.models import User
from veille.errors import Forbidden, NotFound
from veille.events import Change, hub_of, payload_of, since, watch
from veille.meetings import presence
from veille.meetings.access import MeetingAccess, get_meeting_access
from veille.meetings.models import (
    AgendaItem,
    AgendaItemAction,
    AgendaItemSituation,
    Invitation,
    Meeting,
    RoundTableEntry,
)

# What a save of the notes form writes; any other column of an item changes the agenda.
NOTES = frozenset({"notes", "decisions", "version", "updated_at", "updated_by"})


def topic(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def _meeting(_session: Session, record: object, _how: str) -> Iterable[Change]:
    assert isinstance(record, Meeting)
    return [Change(topic(record.id or 0), "meeting")]


def _item(_session: Session, record: object, how: str) -> Iterable[Change]:
    assert isinstance(record, AgendaItem)
    state = inspect(record)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    if how == "dirty" and changed <= NOTES:
        return [Change(topic(record.meeting_id), "notes", record.confidential)]
    return [Change(topic(record.meeting_id), "agenda", record.confidential and "confidential" not in changed)]


def _link(session: Session, record: object, _how: str) -> Iterable[Change]:
    assert isinstance(record, AgendaItemSituation | AgendaItemAction)
    with session.no_autoflush:
        item = session.get(AgendaItem, record.agenda_item_id)
    return [Change(topic(item.meeting_id), "agenda", True)] if item is not None else []


def by_meeting(kind: str, private: bool = True) -> Callable[[Session, object, str], Iterable[Change]]:
    """A watcher for records that name their meeting (``meeting_id``); app.py gives it the
    tables of the domains above meetings (the actions recorded at a meeting)."""

    def watcher(_session: Session, record: object, _how: str) -> Iterable[Change]:
        meeting_id = getattr(record, "meeting_id", None)
        return [Change(topic(meeting_id), kind, private)] if meeting_id else []

    return watcher


def _presence(_session: Session, record: object, how: str) -> Iterable[Change]:
    assert isinstance(record, presence.MeetingPresence)
    return [] if how == "dirty" else [Change(topic(record.meeting_id), "presence", True)]


watch(Meeting, _meeting)
watch(AgendaItem, _item)
watch(AgendaItemSituation, _link)
watch(AgendaItemAction, _link)
watch(Invitation, by_meeting("attendance", private=False))
watch(RoundTableEntry, by_meeting("round_table"))
watch(presence.MeetingPresence, _presence)
watch(presence.MeetingScreen, by_meeting("current"))


def _news(
    session: Session, settings: Settings, secret: str, user_id: int, meeting_id: int, after: int
) -> tuple[bool, list[tuple[int, str]]] | None:
    """The person's standing, read now, and the events after ``after`` they may be told of;
    None once they may no longer see the meeting (a member who left the body, was excluded, an
    account deactivated) or their session behind ``secret`` has ended (logged out, revoked,
    expired, idle too long): their stream stops there."""
    row = session.exec(
        select(User, AuthToken)
        .join(AuthToken, col(AuthToken.user_id) == User.id)
        .where(auth.token_matches(secret, TokenKind.session))
    ).first()
    if row is None:
        return None
    user, token = row
    if user.id != user_id or not user.active or auth.token_expired(settings, token):
        return None
    try:
        full = get_meeting_access(session, viewer_of(session, user), meeting_id).full
    except (NotFound, Forbidden):
        return None
    return full, since(session, topic(meeting_id), after, private=full)


def _run(engine: Engine, work: Callable[[Session], Any]) -> Any:
    with open_session(engine) as session:
        return work(session)


async def _in_thread(engine: Engine, work: Callable[[Session], Any]) -> Any:
    """A short session of its own, off the event loop (a stream holds no connection)."""
    return await to_thread.run_sync(_run, engine, work)


async def stream(
    engine: Engine, settings: Settings, access: MeetingAccess, secret: str, after: int
) -> AsyncIterator[dict[str, Any]]:
    """The events of the meeting after the event id ``after``, for one reader in the session
    behind ``secret``, until their access or that session ends, or they leave; the hub wakes
    it, and it reads anyway on each heartbeat."""
    meeting_id, user_id = access.meeting.id or 0, access.user.id or 0
    stream_id = secrets.token_hex(16)
    with hub_of(engine).subscribe(topic(meeting_id)) as woken:
        if access.full:
            await _in_thread(
                engine, partial(presence.arrive, stream_id=stream_id, meeting_id=meeting_id, user_id=user_id)
            )
        try:
            read = partial(_news, settings=settings, secret=secret, user_id=user_id, meeting_id=meeting_id)
            while True:
                woken.clear()
                news = await _in_thread(engine, partial(read, after=after))
                if news is None:
                    return
                full, rows = news
                for message in payload_of(rows):
                    yield message
                after = max([after, *(event_id for event_id, _ in rows)])
                try:
                    await asyncio.wait_for(woken.wait(), presence.HEARTBEAT_SECONDS)
                except TimeoutError:
                    if full:
                        await _in_thread(engine, partial(presence.still_here, stream_id=stream_id))
        finally:
            if access.full:
                with CancelScope(shield=True):
                    await _in_thread(engine, partial(presence.leave, stream_id=stream_id))
