"""A sector's outline on the map: a GeoJSON polygon (or multipolygon), checked by ``veille.geo``
and kept on the sector; the staff set it (a coordinator limited to some communes, those of their
communes' sectors only, as the sectors themselves), every signed-in person reads it (the map
draws it)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from veille.audit import service as audit
from veille.directory.models import Sector, User
from veille.directory.service import get_sector, require_sector_reach, require_staff
from veille.geo import outline_text, stored_outline


def outline_of(sector: Sector) -> dict[str, Any] | None:
    return stored_outline(sector.outline_geojson)


def outlined_sector(session: Session, *, actor: User, sector_id: int) -> Sector:
    """The sector whose outline the person sets: the staff only (403), a sector that exists
    (404), of their communes for a coordinator limited to some (403, as ``save_sector``)."""
    require_staff(actor)
    sector = get_sector(session, sector_id)
    require_sector_reach(session, actor, sector)
    return sector


def set_outline(session: Session, *, actor: User, sector_id: int, outline: Any) -> Sector:
    """Sets (or, with nothing, removes) a sector's outline: for whom ``outlined_sector`` lets
    in, a GeoJSON polygon or multipolygon (422 on ``outline``). Commits."""
    sector = outlined_sector(session, actor=actor, sector_id=sector_id)
    sector.outline_geojson = outline_text(outline)
    session.add(sector)
    audit.record(
        session,
        user_id=actor.id,
        verb="outline",
        entity="sector",
        entity_id=sector.id,
        outlined=sector.outline_geojson is not None,
    )
    session.commit()
    return sector
