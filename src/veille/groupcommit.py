"""Writes that requests wait for, made together: one thread per engine makes all those asked for
while it made the last ones, those of one kind in one statement (a group commit).

Kept pages that show confidential reports write their reads again at each view
(``pagecache.py``). Each made alone cost a thread of the worker's pool, a connection, its ping,
a statement and a commit: with two workers on two CPUs the threads' hand-overs cost more than
the page. Here the event loop hands the writes to one thread per engine and waits, without a
thread of its own, for them to be committed; a page is sent only once its reads are written.
When the writing fails or takes longer than ``WAIT_SECONDS``, every page of the group is told
so and rendered instead, which audits its reads again (the trail may then say a read twice,
never less).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

# A write; one whose class has ``together(connection, writes)`` is made in one go with the others
# of its class (the audited reads of every page of the group: one statement).
Write = Callable[[Connection], None]
# Writes asked for, and where to tell the request waiting for them whether they were committed.
_Waiting = tuple[list[Write], asyncio.AbstractEventLoop, "asyncio.Future[bool]"]
WAIT_SECONDS = 5.0  # then the page is rendered: its rendering writes its reads itself


class GroupCommit:
    """The writer: its thread starts at the first write; ``begin`` opens the connection its
    writes are made on (on PostgreSQL outside a transaction: the audited reads of the whole
    group are one statement, whole in itself)."""

    def __init__(self, begin: Callable[[], AbstractContextManager[Connection]]) -> None:
        self.begin = begin
        self.waiting: list[_Waiting] = []
        self.lock = threading.Lock()
        self.asked = threading.Event()
        self.stopped = False
        self.thread: threading.Thread | None = None

    async def write(self, writes: list[Write]) -> bool:
        """Whether ``writes`` were committed (with those asked for meanwhile)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        with self.lock:
            if self.stopped:
                return False
            self.waiting.append((writes, loop, done))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="veille-group-commit", daemon=True)
                self.thread.start()
        self.asked.set()
        try:
            return await asyncio.wait_for(done, WAIT_SECONDS)
        except TimeoutError:
            return False

    def stop(self) -> None:
        """No more writes: those waiting are told they were not made."""
        with self.lock:
            self.stopped = True
        self.asked.set()

    def _run(self) -> None:
        while True:
            self.asked.wait()
            self.asked.clear()
            with self.lock:
                group, self.waiting = self.waiting, []
                stopped = self.stopped
            if stopped:
                _tell(group, committed=False)
                return
            if group:
                _tell(group, committed=self._commit(group))

    def _commit(self, group: list[_Waiting]) -> bool:
        try:
            with self.begin() as connection:
                write_all(connection, [write for writes, _, _ in group for write in writes])
        except Exception:
            log.warning(
                "%d kept pages' audited reads could not be written; rendered instead",
                len(group),
                exc_info=True,
            )
            return False
        return True


def write_all(connection: Connection, writes: list[Write]) -> None:
    """``writes`` on ``connection``, those of one class with ``together`` in one call."""
    alone: list[Write] = []
    merged: dict[Callable[[Connection, list[Write]], None], list[Write]] = {}
    for write in writes:
        together = getattr(type(write), "together", None)
        if together is None:
            alone.append(write)
        else:
            merged.setdefault(together, []).append(write)
    for together, kind in merged.items():
        together(connection, kind)
    for write in alone:
        write(connection)


def group_commit_of(engine: Engine, begin: Callable[[], AbstractContextManager[Connection]]) -> GroupCommit:
    """A writer for ``engine``, stopped when the engine is disposed."""
    group = GroupCommit(begin)
    event.listen(engine, "engine_disposed", lambda _engine: group.stop())
    return group


def _tell(group: list[_Waiting], *, committed: bool) -> None:
    for _, loop, done in group:
        with contextlib.suppress(RuntimeError):  # its loop closed: no one waits any more
            loop.call_soon_threadsafe(_settle, done, committed)


def _settle(done: asyncio.Future[bool], committed: bool) -> None:
    if not done.done():  # (a request that went away cancelled its wait)
        done.set_result(committed)
