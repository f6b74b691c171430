"""Writes that requests wait for, made together on the event loop (PostgreSQL): all those asked
for while the last ones were written go in one statement per class (a group commit).

Kept pages that show confidential reports write their reads again at each view
(``pagecache.py``). Each made alone cost a thread of the worker's pool, a connection, its ping,
a statement and a commit; made together by a thread of their own, they still cost the worker
two hand-overs of Python's lock per page, which on two CPUs cost more than the page (issue 15,
docs/performance.md). Here the event loop writes them itself, on a connection of its own that
it waits on without a thread (psycopg's asynchronous connection), and a page is sent only once
its reads are written (committed without waiting for the disk: ``DURABILITY``). When the
writing fails or takes longer than ``WAIT_SECONDS``, every page of the group is told so and
rendered instead, which audits its reads again (the trail may then say a read twice, never
less).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.dml import UpdateBase

from veille.listener import conninfo

log = logging.getLogger(__name__)

WAIT_SECONDS = 5.0  # then the page is rendered: its rendering writes its reads itself
APPLICATION = "veille-group-commit"  # its connections' name in pg_stat_activity
# A kept page is one its session rendered at this very version, whose rendering wrote the same
# reads in a commit of its own, flushed to disk: these repeat them. Their commit does not wait
# for the flush (PostgreSQL's asynchronous commit, for this connection only): a crash of the
# database may lose the repeats of its last fraction of a second, never a first read, and the
# page no longer waits for the disk (two workers on the audited feed: 4,000 → 6,500 pages/s).
DURABILITY = "-c synchronous_commit=off"


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
        self.conninfo = partial(conninfo, engine, APPLICATION, DURABILITY)
        self.dialect: Dialect = engine.dialect
        self.stopped = False
        self._loops: dict[asyncio.AbstractEventLoop, _LoopWriter] = {}
        self._lock = threading.Lock()  # the loops' writers, stopped from any thread
        self._compiled: dict[int, tuple[UpdateBase, _Compiled]] = {}

    async def write(self, writes: Sequence[Write]) -> bool:
        """Whether ``writes`` were committed (with those asked for meanwhile)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.stopped:
                return False
            writer = self._loops.get(loop)
            if writer is None:
                writer = self._loops[loop] = _LoopWriter(self)
        return await writer.write(writes)

    def stop(self) -> None:
        """No more writes (the engine is disposed): each loop's writer closes its connection."""
        with self._lock:
            self.stopped = True
            writers = list(self._loops.items())
        for loop, writer in writers:
            with contextlib.suppress(RuntimeError):  # its loop closed: so did its connection
                loop.call_soon_threadsafe(writer.asked.set)

    def forget(self, loop: asyncio.AbstractEventLoop, writer: _LoopWriter) -> None:
        """``loop``'s ``writer`` ended (stopped, or its loop closing)."""
        with self._lock:
            if self._loops.get(loop) is writer:
                del self._loops[loop]

    async def connect(self) -> psycopg.AsyncConnection[Any]:
        """A connection of the loop's writer: each statement its own transaction."""
        return await psycopg.AsyncConnection.connect(self.conninfo(), autocommit=True)

    def compiled(self, statement: UpdateBase, values: dict[str, object]) -> tuple[str, dict[str, object]]:
        """``statement`` as psycopg takes it, compiled once (a statement is a module's constant),
        its values converted as SQLAlchemy would (each bound type's processor)."""
        kept = self._compiled.get(id(statement))
        if kept is None or kept[0] is not statement:
            kept = self._compiled[id(statement)] = (statement, _Compiled(statement, self.dialect))
        return kept[1].sql, kept[1].params(values)


class _Compiled:
    """A statement compiled for psycopg, and the processors of its bound values."""

    def __init__(self, statement: UpdateBase, dialect: Dialect) -> None:
        self.compiled = statement.compile(dialect=dialect)
        self.sql = self.compiled.string
        names = self.compiled.bind_names
        if any(bind.expanding for bind in names):
            raise ValueError("a write of a kept page binds no list of values (IN): it is written as one")
        processors = (
            (name, bind.type.dialect_impl(dialect).bind_processor(dialect)) for bind, name in names.items()
        )
        self.processors = {key: processor for key, processor in processors if processor is not None}

    def params(self, values: dict[str, object]) -> dict[str, object]:
        params = dict(self.compiled.construct_params(values))
        for key, processor in self.processors.items():
            params[key] = processor(params[key])
        return params


class _LoopWriter:
    """The writes of one event loop: a task writes those waiting, then those asked for
    meanwhile, on its connection (opened at the first write; a reused one that failed is
    replaced once at once: PostgreSQL restarted, or an idle connection was cut)."""

    def __init__(self, group: GroupCommit) -> None:
        self.group = group
        self.waiting: list[tuple[Sequence[Write], asyncio.Future[bool]]] = []
        self.writing: list[asyncio.Future[bool]] = []
        self.asked = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.connection: psycopg.AsyncConnection[Any] | None = None

    async def write(self, writes: Sequence[Write]) -> bool:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        self.waiting.append((writes, done))
        self.asked.set()
        if self.task is None or self.task.done():
            # A context of its own: it outlives the request that started it.
            self.task = loop.create_task(self._run(), name=APPLICATION, context=contextvars.Context())
            self.task.add_done_callback(lambda _task: self.group.forget(loop, self))
        try:
            return await asyncio.wait_for(done, WAIT_SECONDS)
        except TimeoutError:
            return False

    async def _run(self) -> None:
        try:
            while not self.group.stopped:
                await self.asked.wait()
                self.asked.clear()
                # Not those whose page stopped waiting: it was rendered, which wrote them.
                group = [(writes, done) for writes, done in self.waiting if not done.done()]
                self.waiting, self.writing = [], [done for _, done in group]
                if group:
                    committed = await self._commit([write for writes, _ in group for write in writes])
                    _tell(self.writing, committed)
                self.writing = []
        finally:
            _tell([*self.writing, *(done for _, done in self.waiting)], False)
            if self.connection is not None:
                await self.connection.close()

    async def _commit(self, writes: list[Write]) -> bool:
        """Whether ``writes`` were committed, within ``WAIT_SECONDS`` (a connection that hangs
        without failing, a network cut that no packet tells of, gives up then)."""
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                for attempt in (1, 2):
                    reused = self.connection is not None
                    try:
                        self.connection = self.connection or await self.group.connect()
                        for statement, values in statements(self.group.dialect.name, writes):
                            await self.connection.execute(*self.group.compiled(statement, values))
                        return True
                    except psycopg.OperationalError:
                        await self._close()
                        if not reused or attempt == 2:
                            raise
        except Exception:  # a failed connection or statement, or a bug: the pages are rendered
            log.warning("kept pages' audited reads could not be written; rendered instead", exc_info=True)
            await self._close()
        return False

    async def _close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            await connection.close()


def _tell(waiting: list[asyncio.Future[bool]], committed: bool) -> None:
    for done in waiting:
        if not done.done():  # (a request that went away cancelled its wait)
            done.set_result(committed)


def group_commit_of(engine: Engine) -> GroupCommit:
    """A writer for ``engine``, stopped when the engine is disposed."""
    group = GroupCommit(engine)
    event.listen(engine, "engine_disposed", lambda _engine: group.stop())
    return group
