"""Reports on a map: the points of the reports a person reads whole that match the feed's
filters (or name a venue), with the outlines of the sectors. The feed's query and its
visibility rule choose them; a social report never has a point (it keeps none, see
``reports``, and none is sent: they are left out here too), and a stub shows on no map. The
page's table and the map's data come from the same function, so the table says all the map
shows (docs/confidentiality.md, "Maps")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col

from veille.access import Viewer
from veille.directory import service as directory
from veille.geo import stored_outline
from veille.pagination import bounded_count
from veille.situations import feed
from veille.situations.categories import categories
from veille.situations.enums import Confidentiality, SituationStatus
from veille.situations.models import Situation
from veille.situations.visibility import record_reads
from veille.types import Id

# The newest this many points go on a map (and in its table); the count says how many match.
MAP_LIMIT = 500


class MapFilters(feed.Filters):
    """The feed's filters, and a venue (its page's map)."""

    venue_id: Id | None = None


class MapPoint(SQLModel):
    id: int
    title: str
    latitude: float
    longitude: float
    place: str
    category: str
    status: SituationStatus
    severity: int
    occurred_at: datetime


class SectorOutline(SQLModel):
    id: int
    name: str
    outline: dict[str, Any]


class MapPublic(SQLModel):
    """What a map shows: its points (newest first, at most ``MAP_LIMIT``), how many reports
    match in all (``total``, more than the points when some were left out; counted up to
    ``pagination.COUNT_LIMIT``, beyond which ``more`` is true and ``total`` a floor), and the
    outlines of the sectors (the one filtered on, or every sector that has one)."""

    points: list[MapPoint]
    total: int
    more: bool = False
    outlines: list[SectorOutline]


@dataclass(frozen=True)
class MapData:
    points: list[MapPoint] = field(default_factory=list)
    total: int = 0
    outlines: list[SectorOutline] = field(default_factory=list)
    more: bool = False

    @property
    def public(self) -> MapPublic:
        return MapPublic(points=self.points, total=self.total, more=self.more, outlines=self.outlines)


def _outlines(session: Session, sector_id: int | None) -> list[SectorOutline]:
    found = []
    for sector in directory.list_sectors(session):
        if sector_id is not None and sector.id != sector_id:
            continue
        outline = stored_outline(sector.outline_geojson)
        if outline is not None and sector.id is not None:
            found.append(SectorOutline(id=sector.id, name=sector.name, outline=outline))
    return found


def map_data(session: Session, viewer: Viewer, filters: MapFilters, tz: object = UTC, *, via: str) -> MapData:
    """The points the person may see on a map, newest first, in a fixed number of queries; the
    reads of restricted reports are audited (``via``: page, map, api…) as the feed's are."""
    stmt = feed.feed_query(session, viewer, filters.typed(), tz, venue_id=filters.venue_id)
    # Under ``visible`` only a social report can be a stub: leaving every social report out
    # leaves the reports read whole, and never a social one.
    where = (
        col(Situation.confidentiality) != Confidentiality.social,
        col(Situation.latitude).is_not(None),
        col(Situation.longitude).is_not(None),
    )
    stmt = stmt.where(*where)
    found = list(session.exec(stmt.order_by(col(Situation.id).desc()).limit(MAP_LIMIT)).all())
    total, more = len(found), False
    if total == MAP_LIMIT:
        # Up to a bound, as the lists: counting every geolocated report of a metropolis costs
        # more than the map.
        total, more = bounded_count(session, stmt, 0, MAP_LIMIT)
    names = {c.id: c.name for c in categories(session, active_only=False)}
    record_reads(session, viewer, found, via)
    points = [
        MapPoint(
            id=s.id or 0,
            title=s.title,
            latitude=s.latitude or 0.0,
            longitude=s.longitude or 0.0,
            place=s.place,
            category=names.get(s.category_id, ""),
            status=s.status,
            severity=s.severity,
            occurred_at=s.occurred_at,
        )
        for s in found
        if s.confidentiality != Confidentiality.social
    ]
    return MapData(points=points, total=total, outlines=_outlines(session, filters.sector_id), more=more)


def outline_bounds(session: Session) -> list[list[float]] | None:
    """The box around every sector's outline, [[south, west], [north, east]] (where a point
    picker opens), or None when no sector has one."""
    positions = [
        position
        for sector in _outlines(session, None)
        for polygon in (
            [sector.outline["coordinates"]]
            if sector.outline["type"] == "Polygon"
            else sector.outline["coordinates"]
        )
        for ring in polygon
        for position in ring
    ]
    if not positions:
        return None
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]
