"""The event bus: a change tells the screens that follow a topic (a meeting) *what* changed, never
its content, so that each screen fetches what it shows with its reader's rights.

- **Writing.** Watchers registered with :func:`watch` look at what each flush writes and name
  the events it makes (topic, kind, private). Each distinct event of a transaction becomes one
  ``live_event`` row, written in that transaction: its id orders the events, and a stream that
  reconnects asks for those after the last id it saw (``Last-Event-ID``), so nothing missed is
  lost. The table keeps an hour of events.
- **Waking the streams.** On PostgreSQL the same transaction runs ``pg_notify``, delivered to
  every listening process at commit (never for a rolled-back change); each process has one
  listening connection (``listener.py``), not one per stream. On SQLite the session's commit
  wakes the streams of this process (an ``after_commit`` hook, as the mail sender is woken).
  A notification only wakes: streams read the rows, so a lost one costs a delay (every stream
  also reads on its heartbeat), never an event.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine, Index, delete, event, func, insert, literal_column, select, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import Field, Session, SQLModel, col

from veille.db import DbSession
from veille.listener import LIVE, listener_of
from veille.orm import UTCDateTime, utcnow

KEEP = timedelta(hours=1)
NOTIFY = text("SELECT pg_notify(:channel, :topic)")
_PENDING = "veille_events"  # session.info key: the topics of this transaction's events


class LiveEvent(SQLModel, table=True):
    """One change that screens follow; its id is the stream's event id."""

    __tablename__ = "live_event"
    __table_args__ = (Index("ix_live_event_topic_id", "topic", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=60)
    kind: str = Field(max_length=30)
    # Of interest to those who see the topic in full only (a guest's stream skips it).
    private: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Change(NamedTuple):
    topic: str
    kind: str
    private: bool = False


Watcher = Callable[[Session, object, str], Iterable[Change]]
_watchers: dict[type, Watcher] = {}


def watch(model: type, watcher: Watcher) -> None:
    """``watcher(session, record, how)`` names the events of a written record of ``model``;
    ``how`` is ``new``, ``dirty`` or ``deleted``."""
    _watchers[model] = watcher


@event.listens_for(DbSession, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    changes: set[Change] = set()
    for how, records in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for record in records:
            watcher = _watchers.get(type(record))
            if watcher is not None and (how != "dirty" or session.is_modified(record)):
                changes.update(watcher(session, record, how))
    if changes:
        publish(session, changes)


def publish(session: Session, changes: Iterable[Change]) -> None:
    """Writes the events in the session's transaction (once each per transaction) and, on
    PostgreSQL, notifies the listening processes at commit."""
    sent: set[Change] = session.info.setdefault(_PENDING, set())
    fresh = sorted(set(changes) - sent)
    if not fresh:
        return
    sent.update(fresh)
    connection = session.connection()
    ids: list[int] = [
        connection.execute(
            insert(LiveEvent)
            .values(topic=c.topic, kind=c.kind, private=c.private, created_at=utcnow())
            .returning(literal_column("id"))
        ).scalar_one()
        for c in fresh
    ]
    if max(ids) % 200 == 0:  # now and then, forget what no stream needs any more
        connection.execute(delete(LiveEvent).where(col(LiveEvent.created_at) < utcnow() - KEEP))
    if connection.dialect.name == "postgresql":
        for topic in sorted({c.topic for c in fresh}):
            connection.execute(NOTIFY, {"channel": LIVE, "topic": topic})


@event.listens_for(DbSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    sent: set[Change] | None = session.info.pop(_PENDING, None)
    engine = session.info.get("engine")
    if sent and isinstance(engine, Engine) and engine.dialect.name != "postgresql":
        hub = _hubs.get(engine)
        if hub is not None:
            for topic in {c.topic for c in sent}:
                hub.wake(topic)


@event.listens_for(DbSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)


def last_id(session: Session, topic: str) -> int:
    """The id of the topic's last event: a page rendered now has seen everything up to it."""
    query = select(func.coalesce(func.max(col(LiveEvent.id)), 0)).where(col(LiveEvent.topic) == topic)
    return int(session.execute(query).scalar_one())


def since(session: Session, topic: str, after: int, *, private: bool) -> list[tuple[int, str]]:
    """The kinds of the topic's events after ``after`` (one each, with its last id), without the
    private ones unless asked."""
    query = (
        select(col(LiveEvent.kind), func.max(col(LiveEvent.id)))
        .where(col(LiveEvent.topic) == topic, col(LiveEvent.id) > after)
        .group_by(col(LiveEvent.kind))
    )
    if not private:
        query = query.where(col(LiveEvent.private).is_(False))
    return sorted((int(last), str(kind)) for kind, last in session.execute(query).all())


@dataclass
class Hub:
    """The streams of one process, by topic; woken from any thread."""

    engine: Engine
    subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    listening: bool = False

    @contextmanager
    def subscribe(self, topic: str) -> Iterator[asyncio.Event]:
        """An asyncio event set whenever the topic may have news; called from the event loop."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self.lock:
            self.subscribers.setdefault(topic, set()).add(entry)
            if not self.listening and self.engine.dialect.name == "postgresql":
                self.listening = True
                listener_of(self.engine).subscribe(LIVE, self)
        try:
            yield entry[1]
        finally:
            with self.lock:
                self.subscribers.get(topic, set()).discard(entry)

    def notified(self, payload: str) -> None:
        self.wake(payload)

    def tick(self, _connection: object, *, reconnected: bool) -> None:
        if reconnected:  # the streams read what they may have missed
            self.wake(None)

    def lost(self) -> None:
        """Nothing to do: the streams read again when the connection is back (``tick``)."""

    def wake(self, topic: str | None) -> None:
        """Wakes the topic's streams (every stream for None: after the listener reconnected)."""
        with self.lock:
            entries = [e for t, s in self.subscribers.items() if topic in (None, t) for e in s]
        for loop, flag in entries:
            if not loop.is_closed():
                loop.call_soon_threadsafe(flag.set)


_hubs: dict[Engine, Hub] = {}
_hubs_lock = threading.Lock()


def hub_of(engine: Engine) -> Hub:
    """The process's hub for this database (made at the first stream, forgotten when the engine
    is disposed)."""
    with _hubs_lock:
        if engine not in _hubs:
            _hubs[engine] = Hub(engine)
            event.listen(engine, "engine_disposed", _forget)
        return _hubs[engine]


def _forget(engine: Engine) -> None:
    with _hubs_lock:
        _hubs.pop(engine, None)


def payload_of(rows: Iterable[tuple[int, str]]) -> list[dict[str, Any]]:
    """Server-sent events of ``since``'s rows: the kind is the event's name and its data."""
    return [{"id": str(event_id), "event": kind, "data": kind} for event_id, kind in rows]
