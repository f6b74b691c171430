"""The data version as this process last heard it, on PostgreSQL: a kept page (``pagecache.py``)
whose session was checked a moment ago is served without a round trip while the version it was
made from is still the last one heard."""

from __future__ import annotations

import threading
import time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine

from veille.listener import VERSION, listener_of

# How long the version last heard is trusted without another word from the listener (it reads
# the version every second).
HEARD_FOR_SECONDS = 3.0


class VersionWatch:
    """The data version as this process last heard it (PostgreSQL), so that a kept page whose
    session was checked a moment ago can be served without asking the database.

    Heard from the listener (``listener.py``): read on its connection when it listens and every
    second, and each commit's ``pg_notify``, in commit order; raised at once by this process's
    own commits (before they complete: a version heard early only sends a page to the database).
    Unknown while the listener is down, or silent for ``HEARD_FOR_SECONDS``: then every kept
    page asks the database, as always. Another process's commit is heard a few milliseconds
    late; the writer's own next page waits for none (``SEEN_COOKIE``)."""

    def __init__(self) -> None:
        self.version: int | None = None
        self.at = 0.0
        self.raised = 0  # the highest this process's commits raised it to since the last read
        self.lock = threading.Lock()

    def current(self) -> int | None:
        with self.lock:
            fresh = time.monotonic() - self.at <= HEARD_FOR_SECONDS
            return self.version if fresh else None

    def raise_to(self, version: int) -> None:
        with self.lock:
            self.raised = max(self.raised, version)
            if self.version is not None:
                self.version = max(self.version, version)

    def notified(self, payload: str) -> None:
        version = int(payload)  # ValueError: not a commit's
        with self.lock:
            if self.version is not None:
                self.version = max(self.version, version)
                self.at = time.monotonic()

    def tick(self, connection: Any, *, reconnected: bool) -> None:
        with self.lock:
            self.raised = 0
        row = connection.execute("SELECT n FROM data_version WHERE id = 1").fetchone()
        with self.lock:
            if row is None:
                self.version = None
                return
            # After a failure, what was missed is only in the table; this process's own commits
            # made meanwhile are already in it or in ``raised``.
            kept = 0 if reconnected or self.version is None else self.version
            self.version = max(int(row[0]), self.raised, kept)
            self.at = time.monotonic()

    def lost(self) -> None:
        with self.lock:
            self.version = None


_WATCHES: WeakKeyDictionary[Engine, VersionWatch] = WeakKeyDictionary()
_WATCHES_LOCK = threading.Lock()


def version_heard(engine: Engine) -> int | None:
    """The version ``engine``'s process last heard, if it is sure of it; the watch and its
    listener start at the first call (PostgreSQL only: SQLite asks its file, at no round trip)."""
    with _WATCHES_LOCK:
        watch = _WATCHES.get(engine)
        if watch is None:
            watch = _WATCHES[engine] = VersionWatch()
            listener_of(engine).subscribe(VERSION, watch)
    return watch.current()


def raise_heard(url: Any, version: int) -> None:
    """This process's commit: heard at once by its watches of that database (any engine of the
    process may have written: a command's, a test's)."""
    with _WATCHES_LOCK:
        watches = [w for e, w in _WATCHES.items() if e.url == url]
    for watch in watches:
        watch.raise_to(version)
