"""The audit log records changes and cannot be edited."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError


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
