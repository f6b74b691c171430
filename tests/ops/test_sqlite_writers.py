"""SQLite's writers of one process take turns (``db._WriterQueue``): each end of a write gives
the turn back (commit, rollback, an error, a connection dropped), so that no writer waits for a
turn nobody holds; a turn not given within the lock timeout is "database is locked", which a
request answers 503 (``db.is_busy``)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from veille.db import is_busy, make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}", lock_timeout=0.5)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (n INTEGER)"))
    return engine


def _write(engine: Engine, n: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO note VALUES (:n)"), {"n": n})


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM note")).scalar_one())


def test_every_end_of_a_write_gives_the_turn_back(engine: Engine) -> None:
    """Each other write runs while the first connection is still out of the pool: it would
    wait 0.5 s and fail had the end of the first write not given the turn back."""
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO note VALUES (1)"))
        connection.commit()
        _write(engine, 2)
        connection.execute(text("INSERT INTO note VALUES (3)"))
        connection.rollback()
        _write(engine, 4)
        connection.execute(text("INSERT INTO note VALUES (5)"))
        with pytest.raises(DBAPIError):
            connection.execute(text("INSERT INTO missing VALUES (5)"))
        connection.rollback()
        _write(engine, 6)
    with engine.connect() as connection:  # closed with its write open: the pool undoes it
        connection.execute(text("INSERT INTO note VALUES (7)"))
    _write(engine, 8)
    with engine.connect() as connection:  # dropped after an error
        connection.execute(text("INSERT INTO note VALUES (9)"))
        connection.invalidate()
        transaction = connection.get_transaction()
        assert transaction is not None
        transaction.rollback()
        _write(engine, 10)
    assert _count(engine) == 6


def test_a_turn_not_given_in_time_is_busy_then_the_next_writer_goes(engine: Engine) -> None:
    refused: list[BaseException] = []

    def other() -> None:
        try:
            _write(engine, 2)
        except Exception as exc:  # the refusal is what is looked at
            refused.append(exc)

    with engine.begin() as holder:
        holder.execute(text("INSERT INTO note VALUES (1)"))
        waiting = threading.Thread(target=other)
        waiting.start()
        waiting.join()
    assert len(refused) == 1 and is_busy(refused[0])
    assert isinstance(refused[0], sqlite3.OperationalError | DBAPIError)
    _write(engine, 3)
    assert _count(engine) == 2


def test_many_writers_of_one_process_all_land(engine: Engine) -> None:
    threads = [threading.Thread(target=_write, args=(engine, n)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count(engine) == 40
