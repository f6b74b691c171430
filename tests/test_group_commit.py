"""The group commit of kept pages' audited reads (src/veille/groupcommit.py): the writes asked
for while the last ones were made go together, those of one class in one call; each request
is told whether its own were made."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pytest

from veille import groupcommit
from veille.groupcommit import GroupCommit

made: list[list[str]] = []


def _run(scenario: Coroutine[Any, Any, list[bool]]) -> list[bool]:
    """A loop of its own, in a thread: the browser tests leave one running in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, scenario).result()


@dataclass(frozen=True)
class _Mergeable:
    name: str

    def __call__(self, _connection: Any) -> None:
        made.append([self.name])

    @staticmethod
    def together(_connection: Any, writes: list[_Mergeable]) -> None:
        made.append([w.name for w in writes])


def test_writes_asked_for_meanwhile_go_together_and_each_is_told() -> None:
    made.clear()
    writing, go_on = threading.Event(), threading.Event()

    def first(_connection: Any) -> None:
        writing.set()
        assert go_on.wait(5)
        made.append(["first"])

    def failing(_connection: Any) -> None:
        raise OSError("the database is busy")

    async def scenario() -> list[bool]:
        group = GroupCommit(nullcontext)
        alone = asyncio.ensure_future(group.write([first]))
        assert await asyncio.to_thread(writing.wait, 5)  # the thread is making the first write
        together = [asyncio.ensure_future(group.write([_Mergeable(n)])) for n in ("a", "b", "c")]
        await asyncio.sleep(0)  # queued behind it
        go_on.set()
        told = [await alone, *[await t for t in together]]
        told.append(await group.write([_Mergeable("d"), failing]))
        group.stop()
        told.append(await group.write([_Mergeable("e")]))
        return told

    assert _run(scenario()) == [True, True, True, True, False, False]
    assert made == [["first"], ["a", "b", "c"], ["d"]]


def test_a_write_that_takes_too_long_is_told_it_was_not_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its page is then rendered (which writes its reads itself); the writer goes on."""
    monkeypatch.setattr(groupcommit, "WAIT_SECONDS", 0.2)
    go_on = threading.Event()

    def stuck(_connection: Any) -> None:
        assert go_on.wait(5)

    async def scenario() -> list[bool]:
        group = GroupCommit(nullcontext)
        told = [await group.write([stuck])]
        go_on.set()
        told.append(await group.write([lambda _connection: None]))
        group.stop()
        return told

    assert _run(scenario()) == [False, True]
