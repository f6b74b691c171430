"""Optimistic locking, once: a save made from an older version of a record is refused, never
merged."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy import inspect
from sqlmodel import Session, SQLModel

from veille.errors import Conflict


class Versioned(Protocol):
    version: int


R = TypeVar("R", bound=SQLModel)


def lock_version(session: Session, record: R, version: int | None, stale: str) -> R:
    """Reads the record again, locked until commit (PostgreSQL; SQLite's writers already run one
    at a time), and refuses with ``stale`` if the version it was edited from is not the current
    one, so that of two saves of one version exactly one lands. ``None``: the client sent no
    version (API callers that do not lock)."""
    # Its columns only: a relationship it was loaded with (a body's sectors, joined) cannot be
    # locked on PostgreSQL (FOR UPDATE on the nullable side of an outer join).
    columns = [attr.key for attr in inspect(type(record)).column_attrs]
    session.refresh(record, attribute_names=columns, with_for_update=True)
    if version is not None and getattr(record, "version") != version:  # noqa: B009
        raise Conflict(stale)
    return record


def bump(record: Versioned) -> None:
    """The next version, to be committed with the change."""
    record.version += 1
