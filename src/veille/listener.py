"""The process's one listening PostgreSQL connection per database: ``LISTEN`` on every channel of
the project, each notification handed to what subscribed to its channel.

Two subscribers: the live streams' hub (``events.py``: a meeting's screens are woken) and the
pages' version watch (``heard.py``: a kept page is served without asking the database while
the version it was made from is still the last one heard). Notifications are sent at commit,
never for a rolled-back change, and arrive in commit order; those sent while the connection is
down are lost, so each subscriber is told when it is lost and when it is back, and is called
every second while it lasts (``tick``, on the connection: the watch reads the version again).
It reconnects after a failure, waiting longer each time, until the engine is disposed.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

LIVE, VERSION = "veille_live", "veille_version"
CHANNELS = (LIVE, VERSION)
TICK_SECONDS = 1.0
APPLICATION = "veille-listener"  # its connection's name in pg_stat_activity
# A connection that went silent (a network cut that no packet tells of) is found out within
# seconds, not left to the system's TCP timeouts: the version watch's every-second read gives
# up after 5 s, keepalives probe an idle connection after 10 s.
CONNECTION: dict[str, str | int] = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "options": "-c statement_timeout=5000",
}


def conninfo(engine: Engine, application: str, settings: str = "") -> str:
    """A connection of its own to ``engine``'s database, outside its pool, named ``application``
    in ``pg_stat_activity``, with the timeouts above and ``settings`` (``-c name=value``)."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    options = f"{CONNECTION['options']} {settings}".strip()
    return make_conninfo(url, **(CONNECTION | {"application_name": application, "options": options}))


class Subscriber(Protocol):
    def notified(self, payload: str) -> None:
        """A notification of the subscriber's channel (ValueError: not one it can read)."""

    def tick(self, connection: psycopg.Connection[tuple[object, ...]], *, reconnected: bool) -> None:
        """Listening (again, after a failure, when ``reconnected``), and every second meanwhile."""

    def lost(self) -> None:
        """The connection failed: what is sent until it is back will not be heard."""


class Listener(threading.Thread):
    """The listening connection and its thread (daemon: it never holds a process back)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(name="veille-listener", daemon=True)
        self.conninfo = conninfo(engine, APPLICATION)
        self.subscribers: dict[str, list[Subscriber]] = {channel: [] for channel in CHANNELS}
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        """Added at once; ticked within a second (the connection may already be listening)."""
        with self.lock:
            self.subscribers[channel].append(subscriber)

    def _all(self) -> list[Subscriber]:
        with self.lock:
            return [s for found in self.subscribers.values() for s in found]

    def run(self) -> None:
        pause = 0.5
        while not self.stopped.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    for channel in CHANNELS:
                        connection.execute(f"LISTEN {channel}")
                    pause = 0.5
                    self._listen(connection)
            except Exception:  # the connection, or a subscriber's mistake: listen afresh
                for subscriber in self._all():
                    subscriber.lost()
                if self.stopped.is_set():  # the engine was disposed, the database may be gone
                    return
                log.exception("listener: connection lost, reconnecting")
                self.stopped.wait(pause)
                pause = min(pause * 2, 10.0)

    def _listen(self, connection: psycopg.Connection[tuple[object, ...]]) -> None:
        reconnected = True
        while not self.stopped.is_set():
            for subscriber in self._all():
                subscriber.tick(connection, reconnected=reconnected)
            reconnected = False
            for notice in connection.notifies(timeout=TICK_SECONDS):
                with self.lock:
                    found = list(self.subscribers.get(notice.channel, ()))
                for subscriber in found:
                    try:
                        subscriber.notified(notice.payload)
                    except ValueError:  # a payload no commit of ours sends
                        log.warning("listener: %r on %s ignored", notice.payload, notice.channel)


_listeners: dict[Engine, Listener] = {}
_listeners_lock = threading.Lock()


def listener_of(engine: Engine) -> Listener:
    """The engine's listener, started at its first subscriber (PostgreSQL only) and stopped when
    the engine is disposed."""
    with _listeners_lock:
        if engine not in _listeners:
            _listeners[engine] = Listener(engine)
            _listeners[engine].start()
            event.listen(engine, "engine_disposed", _forget)
        return _listeners[engine]


def _forget(engine: Engine) -> None:
    with _listeners_lock:
        listener = _listeners.pop(engine, None)
    if listener is not None:
        listener.stopped.set()
