"""Writes that requests wait for, made together on the event loop (PostgreSQL): all those asked
for while the last ones were written go in one statement per class (a group commit).

Kept pages that show confidential reports write their reads again at each view
(``pagecache.py``). Each made alone cost a thread of the worker's pool, a connection, its ping,
a statement and a commit; made together by a thread of their own, they still cost the worker
two hand-overs of Python's lock per page, which on two CPUs cost more than the page (issue 15,
docs/performance.md). Here the event loop writes them itself, on a connection of its own that
it waits on without a thread (psycopg's asynchronous connection), and a page is sent only once
its reads are written. When the writing fails or takes longer than ``WAIT_SECONDS``, every page
of the group is told so and rendered instead, which audits its reads again (the trail may then
say a read twice, never less).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from weakref import WeakKeyDictionary

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import UpdateBase

from veille.listener import CONNECTION

log = logging.getLogger(__name__)

WAIT_SECONDS = 5.0  # then the page is rendered: its rendering writes its reads itself
APPLICATION = "veille-group-commit"  # its connections' name in pg_stat_activity


class Write(Protocol):
    """A write a kept page needs made again each time it is served (a read of a confidential
    report is audited at every view); those of one class are made in one statement."""

    @staticmethod
    def statement(dialect: str, writes: Sequence[Any]) -> tuple[UpdateBase, dict[str, object]] | None:
        """The one statement that makes ``writes`` (all of this class), or None: nothing to make."""


def statements(dialect: str, writes: Sequence[Write]) -> list[tuple[UpdateBase, dict[str, object]]]:
    """The statements that make ``writes``: one per class, in the order they were asked for."""
    kinds: dict[type[Write], list[Write]] = {}
    for write in writes:
        kinds.setdefault(type(write), []).append(write)
    made = (kind.statement(dialect, group) for kind, group in kinds.items())
    return [statement for statement in made if statement is not None]


def write_all(connection: Connection, writes: Sequence[Write]) -> None:
    """``writes`` on ``connection``, one statement per class."""
    if not writes:
        return
    for statement, values in statements(connection.dialect.name, writes):
        connection.execute(statement, values)


class GroupCommit:
    """The writer of one engine: per event loop, one connection and the writes waiting for it."""

    def __init__(self, engine: Engine) -> None:
        self.url = engine.url
        self.dialect: Dialect = engine.dialect
        self.stopped = False
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopWriter] = WeakKeyDictionary()
        self._compiled: dict[int, tuple[UpdateBase, Any]] = {}

    async def write(self, writes: Sequence[Write]) -> bool:
        """Whether ``writes`` were committed (with those asked for meanwhile)."""
        if self.stopped:
            return False
        loop = asyncio.get_running_loop()
        writer = self._loops.get(loop)
        if writer is None:
            writer = self._loops[loop] = _LoopWriter(self)
        return await writer.write(writes)

    def stop(self) -> None:
        """No more writes (the engine is disposed): each loop's writer closes its connection."""
        self.stopped = True
        for loop, writer in list(self._loops.items()):
            with contextlib.suppress(RuntimeError):  # its loop closed: so did its connection
                loop.call_soon_threadsafe(writer.asked.set)

    async def connect(self) -> psycopg.AsyncConnection[Any]:
        """A connection of the loop's writer: each statement its own transaction."""
        url = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conninfo = make_conninfo(url, **(CONNECTION | {"application_name": APPLICATION}))
        return await psycopg.AsyncConnection.connect(conninfo, autocommit=True)

    def compiled(self, statement: UpdateBase, values: dict[str, object]) -> tuple[str, Mapping[str, object]]:
        """``statement`` as psycopg takes it, compiled once (a statement is a module's constant)."""
        kept = self._compiled.get(id(statement))
        if kept is None or kept[0] is not statement:
            kept = self._compiled[id(statement)] = (statement, statement.compile(dialect=self.dialect))
        compiled = kept[1]
        return compiled.string, compiled.construct_params(values)


class _LoopWriter:
    """The writes of one event loop: a task writes those waiting, then those asked for
    meanwhile, on its connection (opened at the first write, again after a failure)."""

    def __init__(self, group: GroupCommit) -> None:
        self.group = group
        self.waiting: list[tuple[Sequence[Write], asyncio.Future[bool]]] = []
        self.asked = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def write(self, writes: Sequence[Write]) -> bool:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((writes, done))
        self.asked.set()
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="veille-group-commit")
        try:
            return await asyncio.wait_for(done, WAIT_SECONDS)
        except TimeoutError:
            return False

    async def _run(self) -> None:
        connection: psycopg.AsyncConnection[Any] | None = None
        try:
            while not self.group.stopped:
                await self.asked.wait()
                self.asked.clear()
                group, self.waiting = self.waiting, []
                if not group:
                    continue
                try:
                    connection = connection or await self.group.connect()
                    await self._commit(connection, [write for writes, _ in group for write in writes])
                    committed = True
                except Exception:  # a failed connection or statement, or a bug: the pages are rendered
                    log.warning(
                        "%d kept pages' audited reads could not be written; rendered instead",
                        len(group),
                        exc_info=True,
                    )
                    if connection is not None:
                        await connection.close()
                    connection, committed = None, False
                for _, done in group:
                    if not done.done():  # (a request that went away cancelled its wait)
                        done.set_result(committed)
        finally:
            for _, done in self.waiting:
                if not done.done():
                    done.set_result(False)
            if connection is not None:
                await connection.close()

    async def _commit(self, connection: psycopg.AsyncConnection[Any], writes: list[Write]) -> None:
        for statement, values in statements(self.group.dialect.name, writes):
            sql, params = self.group.compiled(statement, values)
            await connection.execute(sql, params)


def group_commit_of(engine: Engine) -> GroupCommit:
    """A writer for ``engine``, stopped when the engine is disposed."""
    group = GroupCommit(engine)
    event.listen(engine, "engine_disposed", lambda _engine: group.stop())
    return group
