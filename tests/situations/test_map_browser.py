"""The map in a real headless Chromium: the map page draws the reports the member reads (clustered)
and the sector's outline, on tiles from a local stand-in tile server that the CSP allows, with
the table of the same reports beside it; no CSP violation; a click on the report form's map fills
its coordinates. Screenshots at desktop and phone widths go to test-artifacts/."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.config import Settings
from veille.geo import outline_text
from veille.situations.enums import Confidentiality

pytestmark = pytest.mark.browser

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[1.30, 47.58], [1.36, 47.58], [1.36, 47.61], [1.30, 47.61], [1.30, 47.58]]],
}


def _tile() -> bytes:
    image = Image.new("RGB", (256, 256), (236, 239, 231))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline=(205, 210, 200))
    draw.line((0, 128, 255, 128), fill=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class Tiles:
    """A stand-in tile server: one plain tile for every address, and the addresses asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        tile, tiles = _tile(), self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                tiles.asked.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tiles() -> Iterator[Tiles]:
    server = Tiles()
    yield server
    server.close()


@pytest.fixture
def settings(settings: Settings, tiles: Tiles) -> Settings:
    return settings.model_copy(
        update={"map_tiles_url": f"{tiles.url}/{{z}}/{{x}}/{{y}}.png", "map_attribution": "© Tuiles de test"}
    )


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_the_map_draws_the_readable_reports_with_their_table(
    page: Any, live_server: str, world: World, factory: Factory, tiles: Tiles, screenshot_dir: Path
) -> None:
    world.sector.outline_geojson = outline_text(SQUARE)
    factory._save(world.sector)
    places = [(47.5901, 1.3301), (47.5903, 1.3304), (47.5905, 1.3299), (47.60, 1.35)]
    for n, (lat, lon) in enumerate(places):
        factory.situation(
            world.body,
            world.chair,
            f"Rodéos rue {n + 1}",
            sector_id=world.sector.id,
            latitude=lat,
            longitude=lon,
            place=f"{n + 1} rue du Marché",
        )
    factory.situation(
        world.body,
        world.chair,
        "Zorglub point de deal",
        confidentiality=Confidentiality.restricted,
        sector_id=world.sector.id,
        latitude=47.595,
        longitude=1.34,
    )
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    _log_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/map?sector_id={world.sector.id}")
    canvas = page.locator("[data-report-map]")
    expect(canvas).to_have_attribute("data-ready", "4")
    # Three reports close together make one cluster at this zoom; the fourth stands alone.
    expect(page.locator(".marker-cluster")).to_have_count(1)
    expect(page.locator(".marker-cluster")).to_contain_text("3")
    # Its button is named by what it groups, and the zoom buttons in the page's language.
    expect(page.get_by_role("button", name="3 signalements regroupés ici")).to_have_count(1)
    expect(page.get_by_role("button", name="Zoom avant")).to_have_count(1)
    expect(page.get_by_role("button", name="Zoom arrière")).to_have_count(1)
    expect(page.locator(".leaflet-marker-icon:not(.marker-cluster)")).to_have_count(1)
    expect(page.locator("path.report-map__outline")).to_have_count(1)
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    rows = page.locator(".report-map__table tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator(".report-map__table")).not_to_contain_text("Zorglub")
    assert tiles.asked, "the tiles come from the configured server"
    page.screenshot(path=str(screenshot_dir / "map-desktop.png"), full_page=True)

    # A cluster opens with a click; a marker's popup links its report.
    page.locator(".marker-cluster").click()
    expect(page.locator(".marker-cluster")).to_have_count(0)
    page.locator(".leaflet-marker-icon[title='Rodéos rue 2']").click()
    expect(page.locator(".leaflet-popup-content a")).to_have_text("Rodéos rue 2")
    expect(page.locator(".leaflet-popup-content a")).to_have_attribute(
        "href", re.compile(r"^/situations/\d+$")
    )

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/map?sector_id={world.sector.id}")
    expect(canvas).to_have_attribute("data-ready", "4")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width})"
    expect(page.locator(".leaflet-zoom-anim")).to_have_count(0)  # the fit to the points is over
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "map-phone.png"), full_page=True)

    # The report form: a click on its map fills the coordinates.
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{live_server}/situations/new?body_id={world.body.id}")
    picker = page.locator("[data-point-picker]")
    expect(picker).to_have_class(re.compile("leaflet-container"))
    picker.click(position={"x": 200, "y": 120})
    expect(page.get_by_label("Latitude")).not_to_have_value("")
    latitude = float(page.get_by_label("Latitude").input_value())
    assert 47.5 < latitude < 47.7, latitude
    expect(page.get_by_role("button", name="Retirer le point")).to_be_visible()
    page.locator("#field-point").screenshot(path=str(screenshot_dir / "map-picker-desktop.png"))
    assert not violations, violations
