"""A body's dashboard on a phone (390 × 844), in a real headless Chromium: the table of actions
by kind and status, wider than the screen, says it scrolls sideways, keeps its first column in
place and can be scrolled with the keyboard (issue 17 screenshots: its last column was cut
without a word); on a laptop it fits and the hint stays hidden."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import Factory, World
from tests.test_pages_phone import LAPTOP, PHONE, log_in

pytestmark = pytest.mark.browser


def test_the_actions_table_of_a_dashboard_says_it_scrolls_on_a_phone(
    page: Any, live_server: str, world: World, factory: Factory
) -> None:
    factory.action(world.body, world.organisation, "Médiation au pied du bâtiment B", owner=world.member)
    log_in(page, live_server, "member@example.org")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/bodies/{world.body.id}/dashboard")
    region = page.locator(".dash-table")  # a region named by its table's caption, once it scrolls
    expect(region).to_have_attribute("role", "region")
    expect(region).to_have_attribute("aria-label", "Actions par type et par statut")
    expect(region).to_have_attribute("tabindex", "0")
    hint = region.locator("xpath=preceding-sibling::p[1]")
    expect(hint).to_have_text("Faites défiler de côté pour voir les autres colonnes.")
    expect(hint).to_be_visible()
    first = region.locator("tbody th").first
    left = first.bounding_box()["x"]
    region.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert first.bounding_box()["x"] == pytest.approx(left, abs=1)  # the statuses stay in view

    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server}/bodies/{world.body.id}/dashboard")
    table = page.get_by_role("table", name="Actions par type et par statut")
    expect(table).to_be_visible()
    expect(page.locator("section[aria-labelledby=kinds-title] .table-hint")).to_be_hidden()
