"""The night-life charter in a real headless Chromium: the secretary writes and reorders the
charter, adds a venue and records its signature; screenshots of the venues and of a venue's page
(desktop and phone) go to test-artifacts/. Selectors are ids and addresses, not words, so that
the test holds whatever the catalogue says."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.bodies.enums import BodyKind
from veille.situations.enums import Confidentiality
from veille.venues.models import Venue

pytestmark = pytest.mark.browser


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def _add_article(page: Any, title: str, text: str) -> None:
    add = page.locator(".charter-add")
    if add.get_attribute("open") is None:
        add.locator("summary").click()
    page.locator("#field-title").fill(title)
    page.locator("#field-text").fill(text)
    add.locator("button[type=submit]").click()
    expect(page.locator(".charter-article__title", has_text=title)).to_be_visible()


def test_secretary_keeps_the_charter_and_a_venue(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    world.body.kind = BodyKind.nightlife_copil
    factory._save(world.body)
    for name, signed in (("L'Entrepôt", date(2025, 1, 10)), ("Le Phare", None)):
        factory._save(Venue(body_id=world.body.id, name=name, kind="Bar de nuit", signed_on=signed))
    _log_in(page, live_server, "secretary@example.org")
    page.goto(f"{live_server}/bodies/{world.body.id}")
    page.locator(f'a[href="/bodies/{world.body.id}/venues"]').click()
    page.wait_for_url(re.compile(r".*/venues$"))

    _add_article(page, "Niveaux sonores", "Limiteur scellé, 102 dB(A) sur 15 minutes.")
    _add_article(page, "Calme à la fermeture", "Volume baissé une demi-heure avant la fermeture.")
    titles = page.locator(".charter-article__title")
    expect(titles.first).to_contain_text("Niveaux sonores")
    page.locator(".charter-article").nth(1).locator("button:has(.icon)").first.click()  # move up
    expect(titles.first).to_contain_text("Calme à la fermeture")

    page.locator(f'a[href="/bodies/{world.body.id}/venues/new"]').first.click()
    page.locator("#field-name").fill("Le Comptoir des Halles")
    page.locator("#field-kind").fill("Bar")
    page.locator("#field-address").fill("4 place des Halles")
    page.locator("#entity-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/venues/\d+$"))
    venue_url = page.url
    page.locator("#field-day").fill("2026-01-15")
    page.locator(".signature-form button[type=submit]").click()
    expect(page.locator(".signature-form")).to_have_attribute("action", re.compile(r"/withdraw$"))
    assert page.locator(".venue-summary .badge--success").count() == 1

    venue_id = int(venue_url.rsplit("/", 1)[1])
    factory.situation(world.body, world.member, "Rixe à la fermeture", venue_id=venue_id, days_ago=3)
    factory.situation(world.body, world.member, "Verres cassés sur la place", venue_id=venue_id, days_ago=50)
    factory.situation(
        world.body,
        world.secretary,
        "Client nommé refoulé à plusieurs reprises",
        venue_id=venue_id,
        confidentiality=Confidentiality.restricted,
        days_ago=20,
    )
    for name, url in (("venue", venue_url), ("venues", f"{live_server}/bodies/{world.body.id}/venues")):
        page.goto(url)
        for width, viewport in (
            ("desktop", {"width": 1280, "height": 900}),
            ("phone", {"width": 390, "height": 844}),
        ):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(screenshot_dir / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(venue_url)
    assert page.locator(".situation-row").count() == 3
    assert page.locator(".month-counts tfoot td.num").inner_text() == "3"
