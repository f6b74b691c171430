"""Points and outlines on a map, checked: a latitude and a longitude in range (both or neither),
and a sector's outline as a GeoJSON polygon or multipolygon (closed rings of positions in
range, bounded in size). Knows no domain."""

from __future__ import annotations

import json
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import Field

from veille.errors import InvalidInput
from veille.i18n import N_

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]

BOTH = N_("Give both the latitude and the longitude, or neither.")
OUTLINE = N_("Give a GeoJSON Polygon or MultiPolygon: closed rings of [longitude, latitude] positions.")
OUTLINE_TOO_LARGE = N_("This outline is too large: at most 5,000 positions.")
MAX_POSITIONS = 5_000
MAX_OUTLINE_CHARS = 200_000


class _Placed(Protocol):
    latitude: float | None
    longitude: float | None


P = TypeVar("P", bound=_Placed)


def both_or_neither(model: P) -> P:
    """A model validator: a point is a latitude and a longitude together."""
    if (model.latitude is None) != (model.longitude is None):
        raise ValueError(BOTH)
    return model


def _position(value: Any) -> list[float]:
    if not (isinstance(value, list) and len(value) in (2, 3)):
        raise InvalidInput({"outline": OUTLINE})
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise InvalidInput({"outline": OUTLINE})
    try:
        lon, lat = float(value[0]), float(value[1])
    except OverflowError as exc:  # an integer too large for a float (a JSON number of 400 digits)
        raise InvalidInput({"outline": OUTLINE}) from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput({"outline": OUTLINE})
    return [round(lon, 7), round(lat, 7)]


def _polygon(value: Any) -> list[list[list[float]]]:
    if not (isinstance(value, list) and value):
        raise InvalidInput({"outline": OUTLINE})
    rings = []
    for ring in value:
        if not (isinstance(ring, list) and len(ring) >= 4):
            raise InvalidInput({"outline": OUTLINE})
        positions = [_position(p) for p in ring]
        if positions[0] != positions[-1]:
            raise InvalidInput({"outline": OUTLINE})
        rings.append(positions)
    return rings


def outline(value: Any) -> dict[str, Any] | None:
    """A checked outline: a GeoJSON geometry (or a Feature holding one) as given, a JSON text
    of it (a form's), or nothing (blank or null). Its positions are rounded to 7 decimals (about
    a centimetre); anything else is refused (``InvalidInput`` on ``outline``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        if len(value) > MAX_OUTLINE_CHARS:
            raise InvalidInput({"outline": OUTLINE_TOO_LARGE})
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise InvalidInput({"outline": OUTLINE}) from exc
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise InvalidInput({"outline": OUTLINE})
    kind, coordinates = value.get("type"), value.get("coordinates")
    if kind == "Polygon":
        polygons = [_polygon(coordinates)]
    elif kind == "MultiPolygon" and isinstance(coordinates, list) and coordinates:
        polygons = [_polygon(p) for p in coordinates]
    else:
        raise InvalidInput({"outline": OUTLINE})
    if sum(len(ring) for polygon in polygons for ring in polygon) > MAX_POSITIONS:
        raise InvalidInput({"outline": OUTLINE_TOO_LARGE})
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def outline_text(value: Any) -> str | None:
    """A checked outline as stored (compact JSON), or None."""
    checked = outline(value)
    return None if checked is None else json.dumps(checked, separators=(",", ":"))


def stored_outline(text: str | None) -> dict[str, Any] | None:
    """An outline as stored, read back (None for none, or for a text that is not one)."""
    if not text:
        return None
    try:
        return outline(json.loads(text))
    except (ValueError, RecursionError, OverflowError, InvalidInput):
        return None
