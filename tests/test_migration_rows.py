"""Migrations keep what points at the tables they change: on SQLite a changed table is copied,
the old one dropped and the copy renamed, and with foreign keys on, the drop cascaded to every
row that pointed at it (a report's shares and updates, a body's sectors). Both engines."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from tests.factories import Factory, World
from veille.bodies.models import BodySector
from veille.migrate import downgrade, upgrade
from veille.situations.enums import Confidentiality
from veille.situations.models import SituationShare, SituationUpdateRecord


def _counts(session: Session) -> tuple[int, int, int]:
    shares, updates, sectors = (
        session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in (SituationShare, SituationUpdateRecord, BodySector)
    )
    return shares, updates, sectors


def test_going_down_and_up_again_keeps_the_rows_pointing_at_copied_tables(
    session: Session, world: World, factory: Factory, engine: Engine
) -> None:
    report = factory.situation(world.body, world.member, confidentiality=Confidentiality.restricted)
    assert report.id is not None
    session.add(SituationUpdateRecord(situation_id=report.id, text="Toujours là.", author_id=world.member.id))
    session.commit()
    before = _counts(session)
    assert all(before), before
    session.close()
    # Down past the report's point (situation copied) and the communes (sector copied).
    downgrade(engine, "0012")
    upgrade(engine)
    assert _counts(session) == before
