"""JSON API of a sector's outline: read by any signed-in person, set by the staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlmodel import SQLModel

from veille.deps import SessionDep
from veille.directory import outlines, service
from veille.directory.current import ApiUser
from veille.directory.models import Sector
from veille.types import Id

router = APIRouter(tags=["directory"])


class OutlineIn(SQLModel):
    """A GeoJSON ``Polygon`` or ``MultiPolygon`` (or a ``Feature`` holding one) of [longitude,
    latitude] positions, closed rings, at most 5,000 positions; ``null`` removes the outline."""

    outline: dict[str, Any] | None = None


class OutlinePublic(SQLModel):
    sector_id: int
    outline: dict[str, Any] | None


def _public(sector: Sector) -> OutlinePublic:
    return OutlinePublic(sector_id=sector.id or 0, outline=outlines.outline_of(sector))


@router.get("/sectors/{sector_id}/outline", response_model=OutlinePublic)
def get_outline(sector_id: Id, user: ApiUser, session: SessionDep) -> OutlinePublic:
    """A sector's outline (``null`` when it has none). Any signed-in person; 404 for a sector
    that does not exist."""
    return _public(service.get_sector(session, sector_id))


@router.put("/sectors/{sector_id}/outline", response_model=OutlinePublic)
def put_outline(sector_id: Id, body: OutlineIn, user: ApiUser, session: SessionDep) -> OutlinePublic:
    """Sets a sector's outline, or removes it with ``null``: checked as a GeoJSON polygon (422
    otherwise). Admins and coordinators (403 for others, and for a coordinator limited to some
    communes on a sector of another commune)."""
    return _public(outlines.set_outline(session, actor=user, sector_id=sector_id, outline=body.outline))
