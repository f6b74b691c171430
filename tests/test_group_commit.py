"""The group commit of kept pages' audited reads (src/veille/groupcommit.py), on PostgreSQL: the
reads asked for while the last ones were written go together, in one statement; each page is
told whether its own were written; a lost connection, a write that takes too long and a
disposed engine leave pages told "not written" (they are then rendered), never waiting."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, text

from tests.conftest import ON_POSTGRESQL, cut_connections
from tests.ops.server import wait_for
from veille import groupcommit
from veille.audit.service import Reads
from veille.db import make_engine
from veille.groupcommit import APPLICATION, GroupCommit, group_commit_of

pytestmark = ON_POSTGRESQL

T = TypeVar("T")


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    """A loop of its own, in a thread: the browser tests leave one running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, scenario).result()


def _read(n: int) -> list[Reads]:
    return [Reads(None, "situation", [n], {"view": n})]


def _transactions(engine: Engine) -> dict[int, int]:
    """Each read written (its report's id) and the transaction that wrote it, each checked
    whole (its person, kind and detail, as ``_read`` made it)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT entity_id, xmin::text::bigint, user_id, entity, detail FROM audit_event")
        ).all()
    assert all(
        (user, entity, detail) == (None, "situation", {"view": n}) for n, _, user, entity, detail in rows
    )
    return {n: transaction for n, transaction, *_ in rows}


def _writer(engine: Engine, state: str) -> Callable[[], bool]:
    """Whether the writer's connection is in ``state`` ("active": a statement waiting on a
    lock; "idle"; "gone": closed)."""

    def seen() -> bool:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT state, wait_event_type FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION},
            ).all()
        if state == "gone":
            return not found
        return any(s == state and (state != "active" or w == "Lock") for s, w in found)

    return seen


@contextmanager
def _locked(engine: Engine) -> Iterator[Callable[[], None]]:
    """The audit trail locked against inserts until the yielded function is called."""
    with engine.connect() as connection:
        connection.execute(text("LOCK TABLE audit_event IN SHARE MODE"))
        yield connection.commit
        connection.rollback()


def test_the_reads_asked_for_while_others_are_written_go_together(engine: Engine) -> None:
    group = GroupCommit(engine)

    async def scenario(release: Callable[[], None]) -> list[bool]:
        first = asyncio.ensure_future(group.write(_read(1)))
        await asyncio.to_thread(wait_for, _writer(engine, "active"), timeout=10, what="the first write")
        meanwhile = [asyncio.ensure_future(group.write(_read(n))) for n in (2, 3, 4)]
        await asyncio.sleep(0)  # asked for while the first is being written
        await asyncio.to_thread(release)
        return [await first, *[await write for write in meanwhile]]

    with _locked(engine) as release:
        assert _run(scenario(release)) == [True] * 4
    written = _transactions(engine)
    assert sorted(written) == [1, 2, 3, 4]
    assert written[2] == written[3] == written[4] != written[1]


def test_a_write_that_takes_too_long_is_told_it_was_not_made(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its page is then rendered (which writes its reads itself); the writer gives its
    connection up and goes on with a new one."""
    monkeypatch.setattr(groupcommit, "WAIT_SECONDS", 0.3)
    group = GroupCommit(engine)

    async def scenario(release: Callable[[], None]) -> list[bool]:
        told = [await group.write(_read(1))]
        monkeypatch.setattr(groupcommit, "WAIT_SECONDS", 10.0)
        await asyncio.to_thread(release)
        return [*told, await group.write(_read(2))]

    with _locked(engine) as release:
        assert _run(scenario(release)) == [False, True]
    assert 2 in _transactions(engine)  # (and the late one, if its statement went on: more, never less)


def test_a_lost_connection_is_replaced_at_once(engine: Engine) -> None:
    """PostgreSQL restarted, or an idle connection cut: the next group opens another."""
    group = GroupCommit(engine)

    async def scenario() -> list[bool]:
        told = [await group.write(_read(1))]
        await asyncio.to_thread(wait_for, _writer(engine, "idle"), timeout=10, what="the writer")
        assert cut_connections(engine, APPLICATION) == 1
        await asyncio.to_thread(wait_for, _writer(engine, "gone"), timeout=10, what="the cut")
        return [*told, await group.write(_read(2))]

    assert _run(scenario()) == [True, True]
    assert sorted(_transactions(engine)) == [1, 2]


def test_a_database_out_of_reach_tells_each_page_its_reads_were_not_written(engine: Engine) -> None:
    nowhere = make_engine(engine.url.set(host="127.0.0.1", port=_closed_port()).render_as_string(False))
    group = GroupCommit(nowhere)
    assert _run(group.write(_read(1))) is False
    nowhere.dispose()


def test_a_disposed_engine_closes_the_writer_and_later_writes_are_told_not_written(engine: Engine) -> None:
    own = make_engine(engine.url.render_as_string(hide_password=False))
    group = group_commit_of(own)

    async def scenario() -> list[bool]:
        told = [await group.write(_read(1))]
        own.dispose()
        await asyncio.to_thread(wait_for, _writer(engine, "gone"), timeout=10, what="the writer closed")
        return [*told, await group.write(_read(2))]

    assert _run(scenario()) == [True, False]


def _closed_port() -> int:
    """A port of this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_repeated_reads_are_committed_without_waiting_for_the_disk_and_nothing_else_is(
    engine: Engine,
) -> None:
    """A kept page's reads repeat those its rendering committed, flushed to disk: their commit
    does not wait for the flush (the writer's connection alone); every other write does."""

    async def writers_setting() -> str:
        async with await GroupCommit(engine).connect() as connection:
            found = await (await connection.execute("SHOW synchronous_commit")).fetchone()
            return str(found[0]) if found else ""

    assert _run(writers_setting()) == "off"
    with engine.connect() as connection:
        assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
