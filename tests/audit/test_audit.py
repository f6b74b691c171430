"""The audit log records changes and cannot be edited."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from tests.conftest import count_queries
from veille.audit.models import AuditEvent
from veille.audit.service import Reads
from veille.groupcommit import write_all


def test_changes_are_audited_and_listed_for_the_admin(api_for, world):
    api_for(world.secretary).put(
        f"/api/v1/bodies/{world.body.id}/members/{world.other.id}", json={"role": "member"}
    )
    events = api_for(world.admin).get("/api/v1/audit", params={"entity": "body"}).json()["items"]
    assert events[0]["verb"] == "add_member"
    assert events[0]["user_id"] == world.secretary.id
    assert events[0]["detail"] == {"member_id": world.other.id, "role": "member"}


def test_audit_log_is_append_only(api_for, world, engine):
    api_for(world.chair).post(f"/api/v1/bodies/{world.body.id}/close")
    with engine.connect() as connection:
        for statement in ("UPDATE audit_event SET verb = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(DatabaseError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()


def test_the_reads_of_several_pages_are_written_in_one_statement(world, engine):
    """Kept pages served again have their reads written together (groupcommit.py): each read
    one row, with its person, record and detail, on both engines."""
    chair, member = world.chair.id, world.member.id
    reads = [Reads(chair, "situation", [11, 12], {"via": "feed"}), Reads(member, "action", [13], {})]
    with count_queries(engine) as log, engine.begin() as connection:
        write_all(connection, reads)
    assert log.count == 1
    with Session(engine) as session:
        rows = session.exec(
            select(
                AuditEvent.user_id,
                AuditEvent.verb,
                AuditEvent.entity,
                AuditEvent.entity_id,
                AuditEvent.detail,
            )
            .where(col(AuditEvent.verb) == "read")
            .order_by(col(AuditEvent.entity_id))
        ).all()
    assert [tuple(r) for r in rows] == [
        (chair, "read", "situation", 11, {"via": "feed"}),
        (chair, "read", "situation", 12, {"via": "feed"}),
        (member, "read", "action", 13, {}),
    ]
