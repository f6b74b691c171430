"""Finding a point from an address: the configured geocoder (France's national address service,
``VEILLE_GEOCODER_URL``), asked ``{url}/search/?q=…&limit=1`` and answering GeoJSON. Any
failure (no geocoder, a timeout, an error, an answer that is not one, nothing found, a poor
match) is ``None``: the place then stays text, and nothing else fails. Knows no domain."""

from __future__ import annotations

import logging
import math
from typing import Any

import httpx

from veille.config import Settings

log = logging.getLogger(__name__)

# The address service scores each match from 0 to 1; below this it is a guess, not the place.
MIN_SCORE = 0.5
MAX_QUERY = 200


def _point(answer: Any) -> tuple[float, float] | None:
    """The first feature's point of a GeoJSON answer, checked, as (latitude, longitude)."""
    try:
        feature = answer["features"][0]
        score = feature.get("properties", {}).get("score", 1.0)
        lon, lat = feature["geometry"]["coordinates"][:2]
        lat, lon, score = float(lat), float(lon), float(score)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError):
        return None  # OverflowError: an integer too large for a float
    if not all(math.isfinite(v) for v in (lat, lon, score)) or score < MIN_SCORE:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return round(lat, 7), round(lon, 7)


def geocode(settings: Settings, address: str) -> tuple[float, float] | None:
    """The point of an address as (latitude, longitude), or None (see the module)."""
    query = " ".join(address.split())[:MAX_QUERY]
    if not settings.geocoder_url or len(query) < 3:
        return None
    try:
        response = httpx.get(
            f"{settings.geocoder_url}/search/",
            params={"q": query, "limit": 1},
            timeout=settings.geocoder_timeout_seconds,
            follow_redirects=False,
        )
        if response.status_code != 200:
            log.warning("geocoder answered %s", response.status_code)
            return None
        return _point(response.json())
    except (httpx.HTTPError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
        log.warning("geocoder failed: %s", type(exc).__name__)
        return None
