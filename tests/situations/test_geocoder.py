"""The geocoder against a stand-in of France's address service: a real HTTP server in a thread
answering its GeoJSON, or failing (an error, a page that is not JSON, nothing found, no answer
before the timeout). A report is always saved; only a found place gives it a point, never a
social report's (whose place is not even sent)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlmodel import Session

from tests.factories import Factory, World
from veille.config import Settings
from veille.directory.enums import OrganisationKind
from veille.geocoder import geocode
from veille.situations.models import Situation

YESTERDAY = f"{date.today() - timedelta(days=1)}T21:30:00+01:00"
FOUND = (47.59012, 1.33456)


class StandIn:
    """The address service's stand-in: what it was asked, and a switch that lets a held answer go."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.release = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query).get("q", [""])[0]
                stand_in.asked.append(query)
                if url.path != "/search/" or parse_qs(url.query).get("limit") != ["1"]:
                    self._send(404, b"{}")
                elif "lente" in query:
                    stand_in.release.wait(10)  # past the geocoder's timeout
                    self._send(200, b'{"features": []}')
                elif "erreur" in query:
                    self._send(500, b"Internal error")
                elif "pas-json" in query:
                    self._send(200, b"<html>maintenance</html>")
                elif "inconnue" in query:
                    self._send(200, json.dumps({"type": "FeatureCollection", "features": []}).encode())
                elif "vague" in query:
                    self._send(200, json.dumps(_answer(FOUND, score=0.2)).encode())
                elif "immense" in query:  # valid JSON, but no float holds a 400-digit number
                    self._send(200, json.dumps(_answer((47.5, 10**400))).encode())
                elif "profonde" in query:  # valid JSON, nested deeper than Python's parser goes
                    depth = 100_000
                    self._send(200, b'{"features": ' + b"[" * depth + b"]" * depth + b"}")
                else:
                    self._send(200, json.dumps(_answer(FOUND)).encode())

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the geocoder gave up waiting
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _answer(point: tuple[float, float], score: float = 0.93) -> dict[str, Any]:
    lat, lon = point
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"label": "12 Rue de la Loire 41000 Valmont", "score": score},
            }
        ],
    }


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, stand_in: StandIn) -> Settings:
    return settings.model_copy(update={"geocoder_url": stand_in.url, "geocoder_timeout_seconds": 0.5})


def _report(world: World, **values: Any) -> dict[str, Any]:
    return {
        "body_id": world.body.id,
        "title": "Rodéos sur le parking du marché",
        "category": "urban_rodeo",
        "occurred_at": YESTERDAY,
    } | values


def test_a_place_typed_without_a_point_is_found_by_the_geocoder(
    api_for: Any, world: World, stand_in: StandIn, session: Session
) -> None:
    api = api_for(world.member)
    created = api.post("/api/v1/situations", json=_report(world, place="12 rue de la Loire"))
    assert created.status_code == 201, created.text
    assert (created.json()["latitude"], created.json()["longitude"]) == FOUND
    assert stand_in.asked == ["12 rue de la Loire"]
    # A point chosen wins: the geocoder is not asked.
    chosen = api.post(
        "/api/v1/situations", json=_report(world, place="Place du marché", latitude=47.6, longitude=1.3)
    )
    assert (chosen.json()["latitude"], chosen.json()["longitude"]) == (47.6, 1.3)
    assert stand_in.asked == ["12 rue de la Loire"]
    # A change of anything but the place asks nothing; a new place without a point is looked up.
    report = chosen.json()
    api.patch(f"/api/v1/situations/{report['id']}", json={"version": 1, "severity": 3})
    assert stand_in.asked == ["12 rue de la Loire"]
    moved = api.patch(
        f"/api/v1/situations/{report['id']}",
        json={"version": 2, "place": "3 quai de Loire", "latitude": None, "longitude": None},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["latitude"], moved.json()["longitude"]) == FOUND
    assert stand_in.asked[-1] == "3 quai de Loire"


def test_a_patch_of_the_place_alone_drops_the_old_point_and_asks_the_geocoder(
    api_for: Any, world: World, stand_in: StandIn
) -> None:
    api = api_for(world.member)
    chosen = api.post(
        "/api/v1/situations", json=_report(world, place="Place du marché", latitude=47.6, longitude=1.3)
    ).json()
    path = f"/api/v1/situations/{chosen['id']}"
    # The same place sent again keeps the point chosen; nothing is asked.
    same = api.patch(path, json={"version": 1, "place": "Place du marché"})
    assert (same.json()["latitude"], same.json()["longitude"]) == (47.6, 1.3)
    assert stand_in.asked == []
    # A new place alone: the geocoder's point replaces the old one.
    moved = api.patch(path, json={"version": 2, "place": "3 quai de Loire"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["latitude"], moved.json()["longitude"]) == FOUND
    assert stand_in.asked == ["3 quai de Loire"]
    # Not found: the place stays text, without the old point.
    lost = api.patch(path, json={"version": 3, "place": "rue inconnue"})
    assert lost.status_code == 200, lost.text
    assert (lost.json()["place"], lost.json()["latitude"], lost.json()["longitude"]) == (
        "rue inconnue",
        None,
        None,
    )
    # A new place with its point: the point sent, nothing asked.
    placed = api.patch(path, json={"version": 4, "place": "Rue haute", "latitude": 47.5, "longitude": 1.2})
    assert (placed.json()["latitude"], placed.json()["longitude"]) == (47.5, 1.2)
    assert stand_in.asked == ["3 quai de Loire", "rue inconnue"]


def test_a_report_form_finds_its_place_too(
    client_for: Any, world: World, stand_in: StandIn, session: Session
) -> None:
    client = client_for(world.member)
    posted = client.form(
        "/situations/new",
        {
            "body_id": str(world.body.id),
            "title": "Tags sur l'abri bus",
            "category": "urban_rodeo",
            "severity": "2",
            "confidentiality": "body",
            "place": "Avenue de la gare",
            # Yesterday: today at 08:00 is still to come in Paris before 07:00 UTC.
            "occurred_on": str(date.today() - timedelta(days=1)),
            "occurred_time": "08:00",
        },
    )
    assert posted.status_code == 303, posted.text
    situation_id = int(posted.headers["location"].rsplit("/", 1)[1])
    situation = session.get(Situation, situation_id)
    assert situation is not None and (situation.latitude, situation.longitude) == FOUND


@pytest.mark.parametrize(
    "place",
    ["rue lente", "rue erreur", "rue pas-json", "rue inconnue", "rue vague", "rue immense", "rue profonde"],
)
def test_a_geocoder_that_fails_never_stops_a_save(
    place: str, api_for: Any, world: World, stand_in: StandIn
) -> None:
    created = api_for(world.member).post("/api/v1/situations", json=_report(world, place=place))
    assert created.status_code == 201, created.text
    assert created.json()["place"] == place
    assert created.json()["latitude"] is None and created.json()["longitude"] is None
    assert stand_in.asked == [place]


def test_a_social_reports_place_is_never_sent_nor_placed(
    api_for: Any, world: World, factory: Factory, stand_in: StandIn
) -> None:
    social_org = factory.organisation("Service social", OrganisationKind.social_services)
    factory.member(world.body, factory.user("Sarah Sociale", organisation=social_org))
    data = _report(
        world,
        place="12 rue de la Loire",
        latitude=47.5,
        longitude=1.2,
        confidentiality="social",
        names_person=True,
        shared_with_organisation_ids=[social_org.id],
    )
    created = api_for(world.member).post("/api/v1/situations", json=data)
    assert created.status_code == 201, created.text
    assert created.json()["latitude"] is None and created.json()["longitude"] is None
    assert stand_in.asked == []


def test_no_geocoder_no_request(settings: Settings, stand_in: StandIn) -> None:
    assert geocode(settings.model_copy(update={"geocoder_url": ""}), "12 rue de la Loire") is None
    assert geocode(settings, "  ") is None
    assert stand_in.asked == []
    assert geocode(settings, "12  rue\nde la Loire") == FOUND
    assert stand_in.asked == ["12 rue de la Loire"]
