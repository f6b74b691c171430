"""Bodies by sector: the sectors a set of bodies covers, the bodies covering a sector (the
diagnostics of a sector)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from veille.bodies.enums import BodyStatus
from veille.bodies.models import Body, BodySector


def sectors_of(session: Session, body_ids: Iterable[int]) -> dict[int, bool]:
    """The sectors these bodies cover, each with whether one of those bodies is open."""
    ids = sorted(body_ids)
    if not ids:
        return {}
    found = session.exec(
        select(BodySector.sector_id, Body.status)
        .join(Body, col(Body.id) == BodySector.body_id)
        .where(col(BodySector.body_id).in_(ids))
    ).all()
    open_: dict[int, bool] = {}
    for sector_id, status in found:
        open_[sector_id] = open_.get(sector_id, False) or status == BodyStatus.active
    return open_


def covering(session: Session, sector_id: int) -> list[Body]:
    """The bodies covering the sector, by name, with their sectors."""
    return list(
        session.exec(
            select(Body)
            .where(col(Body.id).in_(select(BodySector.body_id).where(BodySector.sector_id == sector_id)))
            .options(selectinload(Body.sectors))  # type: ignore[arg-type]
            .order_by(col(Body.name))
        ).all()
    )
