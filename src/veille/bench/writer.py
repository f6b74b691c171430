"""Bulk writing for the generator: rows as lists of dicts, inserted in batches by SQLAlchemy
Core (one ``executemany`` per batch instead of one ORM flush per record), with ids chosen here so
that children can name their parents without reading them back, and a progress bar on stderr.

Ids are given explicitly, from one past the largest present; PostgreSQL's sequences do not see
such ids, so :meth:`Writer.finish` moves each sequence past them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlmodel import SQLModel

BATCH = 5_000


class Progress:
    """A one-line bar on stderr: the step, a bar, done/total and the time spent."""

    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.step = ""
        self.started = time.monotonic()
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._shown = -1.0

    def advance(self, count: int, step: str | None = None) -> None:
        self.done = min(self.done + count, self.total)
        if step is not None:
            self.step = step
        now = time.monotonic()
        if self.enabled and (now - self._shown >= 0.2 or self.done == self.total):
            self._shown = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        width = 30
        filled = int(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        line = (
            f"\r{self.step:<22.22} [{bar}] {100 * self.done / self.total:5.1f} % {now - self.started:6.1f} s"
        )
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()


class Writer:
    """Inserts rows into one connection's transaction, in batches, and hands out ids."""

    def __init__(self, connection: Connection, progress: Progress) -> None:
        self.connection = connection
        self.progress = progress
        self._next: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    @property
    def postgresql(self) -> bool:
        return self.connection.dialect.name == "postgresql"

    def ids(self, model: type[SQLModel], count: int) -> range:
        """``count`` fresh ids of the table, in order."""
        table = _table(model)
        if table.name not in self._next:
            largest = self.connection.execute(select(func.max(table.c.id))).scalar()
            self._next[table.name] = (largest or 0) + 1
        first = self._next[table.name]
        self._next[table.name] = first + count
        return range(first, first + count)

    def insert(self, model: type[SQLModel], rows: Iterable[Mapping[str, Any]], *, step: str = "") -> None:
        """Writes the rows (dicts of column values) in batches; ``step`` names the bar's step."""
        table = _table(model)
        batch: list[Mapping[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._flush(table, batch, step)
                batch = []
        if batch:
            self._flush(table, batch, step)

    def raw(self, statement: Any, rows: list[dict[str, Any]], *, step: str = "") -> None:
        """A prepared statement (the search index's) over many rows, in batches."""
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            self.connection.execute(statement, chunk)
            self.progress.advance(len(chunk), step or None)

    def _flush(self, table: Table, batch: list[Mapping[str, Any]], step: str) -> None:
        self.connection.execute(insert(table), batch)
        self.counts[table.name] = self.counts.get(table.name, 0) + len(batch)
        self.progress.advance(len(batch), step or None)

    def finish(self) -> None:
        """PostgreSQL: every sequence moved past the ids given here."""
        if not self.postgresql:
            return
        for name in self._next:
            self.connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "  # noqa: S608 (table names of the models)
                    f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{name}"'
                )
            )


def _table(model: type[SQLModel]) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table
