"""Migration 0013 on an install that already has sectors: one commune, named after the city
setting (or "Commune"), holds every sector, so a single city sees no difference; going back
leaves the sectors as they were."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from veille.db import make_engine
from veille.migrate import downgrade, upgrade


@pytest.mark.parametrize(
    ("city", "expected"), [("  Valmont-sur-Loire ", "Valmont-sur-Loire"), ("", "Commune")]
)
def test_existing_sectors_go_into_one_commune(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, city: str, expected: str
) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine, "0012")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO sector (name, code) VALUES ('Centre', 'CENTRE'), ('Gare', 'GARE')")
        )
    monkeypatch.setenv("VEILLE_CITY_NAME", city)
    upgrade(engine, "0013")
    with engine.begin() as connection:
        communes = connection.execute(text("SELECT id, name FROM commune")).all()
        assert [name for _id, name in communes] == [expected]
        placed = connection.execute(text("SELECT commune_id FROM sector ORDER BY name")).scalars().all()
        assert placed == [communes[0][0]] * 2
        # The next commune takes the next id (PostgreSQL's sequence follows the one inserted).
        connection.execute(text("INSERT INTO commune (name) VALUES ('Bourg-Voisin')"))
        assert connection.execute(text("SELECT max(id) FROM commune")).scalar() == communes[0][0] + 1
        assert connection.execute(text("SELECT count(*) FROM body WHERE theme IS NOT NULL")).scalar() == 0
    downgrade(engine, "0012")
    with engine.begin() as connection:
        names = connection.execute(text("SELECT name FROM sector ORDER BY name")).scalars().all()
        assert names == ["Centre", "Gare"]
    upgrade(engine)
    engine.dispose()
