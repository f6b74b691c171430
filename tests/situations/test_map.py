"""The map of reports (docs/confidentiality.md, "Maps"): its data never carries a report the
reader may not read, and never a social report's point; points are checked (422); a sector's
outline is a checked GeoJSON polygon that the staff set; the pages show the table of the same
reports; the CSP allows the tile server's images and no other host's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from tests.factories import Factory, World
from veille import pagination
from veille.app import content_security_policy
from veille.config import Settings
from veille.directory.enums import OrganisationKind
from veille.directory.models import User
from veille.orm import utcnow
from veille.situations import mapping, retention
from veille.situations.enums import Confidentiality, SituationStatus
from veille.situations.models import Situation
from veille.venues.models import Venue

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
YESTERDAY = f"{date.today() - timedelta(days=1)}T21:30:00+01:00"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[1.30, 47.58], [1.34, 47.58], [1.34, 47.61], [1.30, 47.61], [1.30, 47.58]]],
}

# persona: whether the map shows (the body report, the restricted report)
EXPECTED = {
    "chair": (True, True),
    "secretary": (True, True),
    "named": (True, True),  # the police officer: their organisation is named on the restricted one
    "social": (True, False),  # named on the social report, which is on no map
    "member": (True, False),
    "guest": (False, False),
    "outsider": (False, False),
    "coordinator": (True, False),
    "admin": (True, False),
}


@dataclass
class Scene:
    people: dict[str, User]
    open_report: Situation
    restricted: Situation
    social: Situation
    venue: Venue


@pytest.fixture
def scene(world: World, factory: Factory, session: Session) -> Scene:
    social_org = factory.organisation("Service social départemental", OrganisationKind.social_services)
    social = factory.user("Sarah Sociale", organisation=social_org)
    factory.member(world.body, social)
    transit = factory.organisation("Transports urbains", OrganisationKind.transit)
    venue = Venue(body_id=world.body.id or 0, name="Le Zénith Bar", address="1 place du marché")
    session.add(venue)
    session.commit()
    open_report = factory.situation(
        world.body,
        world.member,
        "Rodéos parking Carnot",
        latitude=47.59,
        longitude=1.33,
        venue_id=venue.id,
        sector_id=world.sector.id,
    )
    restricted = factory.situation(
        world.body,
        world.member,
        "Zorglub point de deal cage B",
        confidentiality=Confidentiality.restricted,
        latitude=47.6,
        longitude=1.31,
        venue_id=venue.id,
    )
    social_report = factory.situation(
        world.body,
        social,
        "Famille Quetzal en difficulté",
        confidentiality=Confidentiality.social,
        place="12 rue Quetzal",
        venue_id=venue.id,
    )
    people = {
        "chair": world.chair,
        "secretary": world.secretary,
        "named": world.member,
        "social": social,
        "member": factory.user("Hugo Transports", organisation=transit),
        "guest": world.guest,
        "outsider": world.other,
        "coordinator": world.coordinator,
        "admin": world.admin,
    }
    factory.member(world.body, people["member"])
    return Scene(people, open_report, restricted, social_report, venue)


def _ids(data: dict[str, Any]) -> set[int]:
    return {p["id"] for p in data["points"]}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_map_data_carries_only_what_the_reader_reads_and_never_a_social_point(
    persona: str, scene: Scene, world: World, api_for: Any, client_for: Any
) -> None:
    person = scene.people[persona]
    shows_open, shows_restricted = EXPECTED[persona]
    expected = {scene.open_report.id} if shows_open else set()
    if shows_restricted:
        expected.add(scene.restricted.id)
    client = client_for(person)
    answers = {
        "api": api_for(person).get("/api/v1/map/situations"),
        "api venue": api_for(person).get(f"/api/v1/map/situations?venue_id={scene.venue.id}"),
        "page data": client.get("/map/data"),
        "page data, body": client.get(f"/map/data?body_id={world.body.id}"),
        "page data, venue": client.get(f"/map/data?venue_id={scene.venue.id}"),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        data = answer.json()
        assert _ids(data) == expected, (name, persona)
        assert data["total"] == len(expected)
        assert scene.social.title not in answer.text and scene.social.place not in answer.text
        assert (scene.restricted.title in answer.text) == shows_restricted
    page = client.get("/map")
    assert page.status_code == 200
    assert ("Rodéos parking Carnot" in page.text) == shows_open
    assert (scene.restricted.title in page.text) == shows_restricted
    assert scene.social.title not in page.text


def test_the_database_refuses_a_point_on_a_social_report(
    world: World, factory: Factory, session: Session
) -> None:
    with pytest.raises(IntegrityError):
        factory.situation(
            world.body, world.member, confidentiality=Confidentiality.social, latitude=47.5, longitude=1.3
        )
    session.rollback()
    with pytest.raises(IntegrityError):
        factory.situation(world.body, world.member, latitude=47.5, longitude=None)


def test_a_points_coordinates_are_checked(api_for: Any, world: World, session: Session) -> None:
    api = api_for(world.member)
    base = {"body_id": world.body.id, "title": "Tags", "category": "urban_rodeo", "occurred_at": YESTERDAY}
    for point in (
        {"latitude": 91, "longitude": 1},
        {"latitude": 47, "longitude": -180.5},
        {"latitude": 47},
        {"longitude": 1},
        {"latitude": "nord", "longitude": 1},
        {"latitude": None, "longitude": 1},
    ):
        refused = api.post("/api/v1/situations", json=base | point)
        assert refused.status_code == 422, (point, refused.text)
        assert "detail" in refused.json()
    assert session.exec(Situation.__table__.select()).first() is None  # type: ignore[attr-defined]
    created = api.post("/api/v1/situations", json=base | {"latitude": -33.5, "longitude": 151.2})
    assert created.status_code == 201
    report = created.json()
    assert (report["latitude"], report["longitude"]) == (-33.5, 151.2)
    wrong = api.patch(f"/api/v1/situations/{report['id']}", json={"version": 1, "latitude": 100})
    assert wrong.status_code == 422
    cleared = api.patch(
        f"/api/v1/situations/{report['id']}", json={"version": 1, "latitude": None, "longitude": None}
    )
    assert cleared.status_code == 200 and cleared.json()["latitude"] is None


def test_a_report_turned_social_loses_its_point(api_for: Any, world: World, factory: Factory) -> None:
    social_org = factory.organisation("Service social", OrganisationKind.social_services)
    api = api_for(world.member)
    base = {"body_id": world.body.id, "title": "Tags", "category": "urban_rodeo", "occurred_at": YESTERDAY}
    report = api.post("/api/v1/situations", json=base | {"latitude": 47.5, "longitude": 1.3}).json()
    changed = api.patch(
        f"/api/v1/situations/{report['id']}",
        json={
            "version": 1,
            "confidentiality": "social",
            "names_person": True,
            "shared_with_organisation_ids": [social_org.id],
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["latitude"] is None and changed.json()["longitude"] is None


def test_the_report_form_keeps_a_point_and_refuses_half_of_one(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.member)
    form = {
        "body_id": str(world.body.id),
        "title": "Tags sur l'abri bus",
        "category": "urban_rodeo",
        "severity": "2",
        "confidentiality": "body",
        "occurred_on": str(date.today() - timedelta(days=1)),
        "latitude": "47.5912",
    }
    half = client.form("/situations/new", form)
    assert half.status_code == 422
    assert 'value="47.5912"' in half.text and "data-point-picker" in half.text
    posted = client.form("/situations/new", form | {"longitude": "1.3311"})
    assert posted.status_code == 303, posted.text
    situation_id = int(posted.headers["location"].rsplit("/", 1)[1])
    situation = session.get(Situation, situation_id)
    assert situation is not None and (situation.latitude, situation.longitude) == (47.5912, 1.3311)
    edit = client.get(f"/situations/{situation_id}/edit")
    assert 'value="47.5912"' in edit.text and 'value="1.3311"' in edit.text


def test_a_sectors_outline_is_set_by_the_staff_and_checked(
    api_for: Any, client_for: Any, world: World
) -> None:
    url = f"/api/v1/sectors/{world.sector.id}/outline"
    assert api_for(world.member).get(url).json() == {"sector_id": world.sector.id, "outline": None}
    assert api_for(world.member).put(url, json={"outline": SQUARE}).status_code == 403
    assert (
        api_for(world.coordinator).put("/api/v1/sectors/999999/outline", json={"outline": SQUARE}).status_code
        == 404
    )
    admin = api_for(world.admin)
    for wrong in (
        {"type": "Point", "coordinates": [1, 47]},
        {"type": "Polygon", "coordinates": [[[1, 47], [2, 47], [2, 48], [1, 47.5]]]},  # not closed
        {"type": "Polygon", "coordinates": [[[1, 47], [2, 47], [1, 47]]]},  # too short
        {"type": "Polygon", "coordinates": [[[1, 97], [2, 47], [2, 48], [1, 97]]]},  # out of range
        {"type": "Polygon", "coordinates": [[[1, 47], [True, 47], [2, 48], [1, 47]]]},
        {"type": "Polygon", "coordinates": [[[1, 47, 0, 0], [2, 47], [2, 48], [1, 47]]]},
        {"type": "MultiPolygon", "coordinates": []},
    ):
        refused = admin.put(url, json={"outline": wrong})
        assert refused.status_code == 422, wrong
        assert refused.json()["detail"][0]["loc"] == ["body", "outline"]
    saved = admin.put(url, json={"outline": {"type": "Feature", "properties": {}, "geometry": SQUARE}})
    assert saved.status_code == 200 and saved.json()["outline"] == SQUARE
    # The map draws it: on the feed's map and on the sector's.
    data = client_for(world.member).get(f"/map/data?sector_id={world.sector.id}").json()
    assert data["outlines"] == [{"id": world.sector.id, "name": world.sector.name, "outline": SQUARE}]
    # The page: the staff only, a form error in French, then removed.
    page = client_for(world.coordinator)
    assert client_for(world.member).get(f"/directory/sectors/{world.sector.id}/outline").status_code == 403
    form = page.get(f"/directory/sectors/{world.sector.id}/outline")
    assert form.status_code == 200 and "Polygon" in form.text
    bad = page.form(f"/directory/sectors/{world.sector.id}/outline", {"outline": "{pas du json"})
    assert bad.status_code == 422 and "GeoJSON" in bad.text
    removed = page.form(f"/directory/sectors/{world.sector.id}/outline", {"outline": ""})
    assert removed.status_code == 303
    assert admin.get(url).json()["outline"] is None


def test_an_outline_with_a_number_too_large_for_a_float_is_refused_not_a_500(
    api_for: Any, client_for: Any, world: World, session: Session
) -> None:
    """A 400-digit integer is valid JSON but no float (OverflowError): 422 on ``outline`` in the
    API, a French form error in the page, nothing written; one already stored reads as none."""
    huge = 10**400
    wrong = {"type": "Polygon", "coordinates": [[[huge, 47], [2, 47], [2, 48], [huge, 47]]]}
    url = f"/api/v1/sectors/{world.sector.id}/outline"
    admin = api_for(world.admin)
    refused = admin.put(url, json={"outline": wrong})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "outline"]
    page = client_for(world.coordinator)
    text = json.dumps({"type": "Polygon", "coordinates": [[[1, huge], [2, 47], [2, 48], [1, huge]]]})
    bad = page.form(f"/directory/sectors/{world.sector.id}/outline", {"outline": text})
    assert bad.status_code == 422 and "Donnez un Polygon ou un MultiPolygon GeoJSON" in bad.text
    assert admin.get(url).json()["outline"] is None
    # Stored before the check existed: read as no outline, by the API, the form and the map.
    world.sector.outline_geojson = text
    session.add(world.sector)
    session.commit()
    assert admin.get(url).json()["outline"] is None
    assert page.get(f"/directory/sectors/{world.sector.id}/outline").status_code == 200
    assert client_for(world.member).get(f"/map/data?sector_id={world.sector.id}").status_code == 200


def test_map_pages_show_the_table_and_allow_only_the_tile_server(
    scene: Scene, world: World, client_for: Any, factory: Factory, settings: Settings
) -> None:
    client = client_for(world.chair)
    page = client.get(f"/map?sector_id={world.sector.id}")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data:;" in csp, "no tile server in the tests: images from no other host"
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    default = content_security_policy(settings.model_copy(update={"map_tiles_url": OSM}))
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in default
    subdomains = settings.model_copy(
        update={"map_tiles_url": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"}
    )
    assert "img-src 'self' data: https://*.tiles.example.org;" in content_security_policy(subdomains)
    assert 'data-url="/map/data?sector_id=' in page.text
    assert "<table" in page.text and "Rodéos parking Carnot" in page.text
    venue = client.get(f"/venues/{scene.venue.id}")
    assert venue.status_code == 200
    assert f'data-url="/map/data?venue_id={scene.venue.id}"' in venue.text
    assert "Rodéos parking Carnot" in venue.text
    # Filters that are not ones: the page says so, the data answers 422.
    assert client.get("/map?since=1800-01-01").status_code == 200
    assert client.get("/map/data?since=1800-01-01").status_code == 422
    assert client.get("/map/data?severity=9").status_code == 422
    assert client_for(None).get("/map/data").status_code in (302, 303)


def test_the_map_table_dates_each_report_by_the_citys_day_in_the_readers_language(
    scene: Scene, world: World, client_for: Any, factory: Factory
) -> None:
    # 23:30 UTC on 14 March is half past midnight on the 15th in Paris.
    scene.open_report.occurred_at = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    factory._save(scene.open_report)
    assert "<td>15 mars 2026</td>" in client_for(world.chair).get("/map").text
    world.chair.language = "en"
    factory._save(world.chair)
    assert "<td>15 March 2026</td>" in client_for(world.chair).get("/map").text


HOSTILE = ["abc", "%00", "9" * 40, "-1", "²", "߁", "%CE%93", "a" * 500, "1e400", "NaN"]


@pytest.mark.parametrize("engine_name", ["sqlite"])
def test_hostile_filters_never_break_a_map(world: World, client_for: Any, api_for: Any) -> None:
    client, api = client_for(world.member), api_for(world.member)
    for name in ("body_id", "sector_id", "venue_id", "category", "severity", "status", "since", "until", "q"):
        for value in HOSTILE:
            page = client.get(f"/map?{name}={value}")
            data = client.get(f"/map/data?{name}={value}")
            answer = api.get(f"/api/v1/map/situations?{name}={value}")
            where = (name, value, page.status_code, data.status_code, answer.status_code)
            assert page.status_code in (200, 422), where
            assert data.status_code in (200, 422) and answer.status_code in (200, 422), where


def test_the_purge_removes_a_point_with_the_place(
    world: World, factory: Factory, session: Session, settings: Any
) -> None:
    old = factory.situation(
        world.body,
        world.member,
        "Rodéos quai de Loire",
        status=SituationStatus.resolved,
        place="Quai de Loire",
        latitude=47.58,
        longitude=1.31,
    )
    old.resolved_at = utcnow() - timedelta(days=800)
    factory._save(old)
    assert retention.purge(session, settings, now=utcnow()) == 1
    session.expire_all()
    after = session.get(Situation, old.id)
    assert after is not None and after.place == "" and after.latitude is None and after.longitude is None


def test_a_map_counts_its_reports_up_to_a_bound(
    world: World, factory: Factory, client_for: Any, api_for: Any, monkeypatch: Any
) -> None:
    """Past ``MAP_LIMIT`` points the map counts the others up to ``COUNT_LIMIT`` (a map's worth
    at least), then says "more than": counting a metropolis's every point cost more than the map."""
    monkeypatch.setattr(mapping, "MAP_LIMIT", 2)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 3)
    for n in range(3):
        factory.situation(world.body, world.member, f"Point {n}", latitude=47.6, longitude=1.33)
    data = api_for(world.member).get("/api/v1/map/situations").json()
    assert (len(data["points"]), data["total"], data["more"]) == (2, 3, False)
    factory.situation(world.body, world.member, "Point 3", latitude=47.6, longitude=1.33)
    data = api_for(world.member).get("/api/v1/map/situations").json()
    assert (len(data["points"]), data["total"], data["more"]) == (2, 3, True)
    assert "Plus de 3 signalements sur la carte." in client_for(world.member).get("/map").text
