"""The demo's map (issue 19): Valmont-sur-Loire's sectors outlined, a point for each report
posted by the demo (never a social one's: the service drops it), and a few more reports of the
watch cells placed around the city, some close together so that the map clusters them. Built
through the services, as the rest of the demo set."""

from __future__ import annotations

import zlib
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from veille.directory import outlines
from veille.directory.models import Sector, User
from veille.orm import utcnow
from veille.situations import reports
from veille.situations.models import SituationCreate

# (south, west, north, east) of each sector: an invented city on the Loire.
BOXES: dict[str, tuple[float, float, float, float]] = {
    "centre": (47.5860, 1.3250, 47.5960, 1.3450),
    "nord": (47.5960, 1.3200, 47.6100, 1.3500),
    "sud": (47.5720, 1.3200, 47.5860, 1.3500),
    "gare": (47.5860, 1.3450, 47.5980, 1.3650),
    "loire": (47.5780, 1.3000, 47.5960, 1.3200),
}


def outline(key: str) -> dict[str, Any]:
    south, west, north, east = BOXES[key]
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def point(sector: str, title: str) -> tuple[float, float]:
    """A point inside the sector, the same for the same title (the demo is reproducible)."""
    south, west, north, east = BOXES[sector]
    seed = zlib.crc32(title.encode())
    x, y = (seed % 1000) / 1000, (seed // 1000 % 1000) / 1000
    return (
        round(south + (north - south) * (0.15 + 0.7 * y), 6),
        round(west + (east - west) * (0.15 + 0.7 * x), 6),
    )


def placed(data: SituationCreate, sector: str) -> SituationCreate:
    """The report with its point in its sector (the service drops a social report's)."""
    latitude, longitude = point(sector, data.title)
    return data.model_copy(update={"latitude": latitude, "longitude": longitude})


def outline_sectors(session: Session, admin: User, sectors: dict[str, Sector]) -> None:
    for key, sector in sectors.items():
        if key in BOXES and sector.id is not None:
            outlines.set_outline(session, actor=admin, sector_id=sector.id, outline=outline(key))


# (body, author, title, category, sector, place, days ago, (latitude, longitude) or None)
_MORE = (
    (
        "cell-nord",
        "police",
        "Rodéo de motos, allée des Tilleuls",
        "urban_rodeo",
        "nord",
        "Allée des Tilleuls",
        3,
        (47.6031, 1.3352),
    ),
    (
        "cell-nord",
        "housing",
        "Rodéo nocturne sur le parking du bâtiment C",
        "urban_rodeo",
        "nord",
        "Parking du bâtiment C",
        5,
        (47.6034, 1.3357),
    ),
    (
        "cell-nord",
        "police",
        "Motos sans plaque sur le terrain de sport",
        "urban_rodeo",
        "nord",
        "City stade des Tilleuls",
        12,
        (47.6028, 1.3349),
    ),
    (
        "cell-nord",
        "housing",
        "Boîtes aux lettres arrachées, bâtiment A",
        "public_space_damage",
        "nord",
        "Bâtiment A, hall",
        15,
        None,
    ),
    (
        "cell-centre",
        "transit",
        "Abribus vandalisé place de la Mairie",
        "public_space_damage",
        "centre",
        "Place de la Mairie",
        4,
        (47.5912, 1.3351),
    ),
    (
        "cell-centre",
        "police",
        "Tapage nocturne rue des Halles",
        "noise_nightlife",
        "centre",
        "Rue des Halles",
        7,
        None,
    ),
    (
        "cell-centre",
        "mediation",
        "Regroupement bruyant au square Jean-Moulin",
        "noise_nightlife",
        "centre",
        "Square Jean-Moulin",
        10,
        None,
    ),
)


def load_mapped_reports(session: Session, users: dict[str, User], bodies: dict[str, Any]) -> None:
    """A few more reports of the watch cells, placed (three close together at the Tilleuls)."""
    now = utcnow()
    for body, author, title, category, sector, place, days, where in _MORE:
        if body not in bodies:
            continue
        latitude, longitude = where or point(sector, title)
        data = SituationCreate(
            body_id=bodies[body].id or 0,
            title=title,
            category=category,
            place=place,
            occurred_at=now - timedelta(days=days, hours=2),
            latitude=latitude,
            longitude=longitude,
        )
        reports.create_situation(session, user=users[author], data=data)
    session.commit()
