"""Writing to and reading the audit log (docs/confidentiality.md, rule 6): ``record`` in the
transaction of each change, ``record_reads`` for reads of confidential records; the queries the
oversight pages build on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Insert,
    Integer,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    literal_column,
)
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.audit.kinds import Entity, Verb
from veille.audit.models import AuditEvent
from veille.groupcommit import write_all
from veille.orm import utcnow
from veille.pagecache import note_replay, note_written
from veille.pagination import Cursor, keyset_page


def record(
    session: Session,
    *,
    user_id: int | None,
    verb: Verb,
    entity: Entity,
    entity_id: int | None = None,
    **detail: object,
) -> None:
    """Adds an event to the current transaction, so that it is kept only if the change is."""
    note_written()
    session.add(AuditEvent(user_id=user_id, verb=verb, entity=entity, entity_id=entity_id, detail=detail))


def record_reads(
    session: Session, *, user_id: int | None, entity: Entity, entity_ids: list[int], **detail: object
) -> None:
    """One "read" event per record, written in a single statement (a list of 50 confidential
    records costs one insert, not fifty)."""
    if not entity_ids:
        return
    reads = Reads(user_id, entity, entity_ids, detail)
    write_all(session.connection(), [reads])
    note_replay(reads)  # the page showing them may be served again without being rendered


@dataclass(frozen=True)
class Reads:
    """A page's reads of confidential records: written at its rendering, and again at each view
    of it kept (``note_replay``), alone or with those of other pages (``statement``)."""

    user_id: int | None
    entity: str
    entity_ids: list[int]
    detail: dict[str, object]

    @staticmethod
    def statement(dialect: str, reads: Sequence[Reads]) -> tuple[Insert, dict[str, object]] | None:
        """Every read of ``reads`` in one statement: at a rendering, on the connection of a kept
        page served again, or by the group commit of kept pages served by heart."""
        rows = [(r.user_id, r.entity, i, r.detail) for r in reads for i in r.entity_ids]
        if not rows:
            return None
        return _READS[dialect], {"at": utcnow(), "rows": json.dumps(rows)}


def _reads_insert(dialect: str) -> Insert:
    """``INSERT ... SELECT`` one row per read, the reads bound as one JSON array of rows
    (PostgreSQL's ``json_array_elements``, SQLite's ``json_each``): one statement, compiled once
    whatever their number, where ``executemany`` cost 1 ms of Python for ten rows. One text,
    encoded by the json module's C code, where four arrays cost psycopg a regular expression per
    element (a group of nine pages of 20 reads: 1.1 ms of the worker's CPU, 0.4 bound so)."""
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    rows = bindparam("rows", type_=Text)
    if dialect == "postgresql":
        value = func.json_array_elements(cast(rows, JSON)).table_valued("value").c.value
        fields = [value.op(op)(literal_column(str(n))) for n, op in _FIELDS]
        columns: list[ColumnElement[Any]] = [
            cast(fields[0], Integer),
            fields[1],
            cast(fields[2], Integer),
            fields[3],
        ]
    else:
        value = func.json_each(rows).table_valued("value").c.value
        columns = [func.json_extract(value, f"$[{n}]") for n in range(4)]
    user_id, entity, entity_id, detail = columns
    return insert(table).from_select(
        ["at", "user_id", "verb", "entity", "entity_id", "detail"],
        select_columns(
            bindparam("at", type_=table.c.at.type), user_id, literal("read"), entity, entity_id, detail
        ),
    )


# A row's fields as PostgreSQL reads them: text of the first three, the detail as JSON.
_FIELDS = ((0, "->>"), (1, "->>"), (2, "->>"), (3, "->"))
_READS = {dialect: _reads_insert(dialect) for dialect in ("postgresql", "sqlite")}


def list_events(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    entity: str | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[AuditEvent], str | None]:
    """A page of events, newest first, matching every condition of ``where``."""
    return keyset_page(
        session,
        events(entity=entity, where=where),
        AuditEvent,
        Cursor.parse(cursor),
        limit,
        newest_first=True,
    )


def events(
    *, entity: str | None = None, where: Sequence[ColumnElement[bool]] = ()
) -> SelectOfScalar[AuditEvent]:
    stmt = select(AuditEvent).where(*where)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    return stmt


def count_reads(
    session: Session, *, entity: str, entity_ids: SelectOfScalar[int | None], start: datetime, end: datetime
) -> list[tuple[int | None, int, int]]:
    """How often each person read each of these records between ``start`` and ``end``:
    (user id, record id, reads), one query whatever the period."""
    rows = session.exec(
        select(AuditEvent.user_id, AuditEvent.entity_id, func.count())
        .where(
            AuditEvent.verb == "read",
            AuditEvent.entity == entity,
            col(AuditEvent.entity_id).in_(entity_ids),
            col(AuditEvent.at) >= start,
            col(AuditEvent.at) < end,
        )
        .group_by(col(AuditEvent.user_id), col(AuditEvent.entity_id))
    ).all()
    return [(user_id, entity_id, n) for user_id, entity_id, n in rows if entity_id is not None]


def record_consultation(
    session: Session, *, user_id: int | None, entity: Entity, entity_id: int | None = None, **detail: object
) -> None:
    """Audits a consultation of what the audit keeps (a search of the trail, its export, a
    charter report), then commits. A read request ends its read transaction first: SQLite cannot
    turn a transaction that has read into a writer once another has written."""
    session.commit()
    record(session, user_id=user_id, verb="consult", entity=entity, entity_id=entity_id, **detail)
    session.commit()
