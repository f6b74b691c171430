"""Partners' pages on a laptop (1366 × 900) and a phone (390 × 844), in a real headless
Chromium: the action table fits beside its filters and becomes cards on a phone, where the
filters fold behind their title; the favicon. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.actions.enums import ActionKind, ActionStatus

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_LEAD = "Équipe de prévention spécialisée « Les Passeurs » – travailleurs de rue"


def log_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))


def overflow(page: Any, selector: str) -> list[Any]:
    """Each element matched whose content is wider than its box (scrolls sideways)."""
    return list(
        page.eval_on_selector_all(
            selector, "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.className)"
        )
    )


def test_favicon_is_the_products_icon(client_for: Any) -> None:
    response = client_for(None).get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/static/favicon.svg"' in client_for(None).get("/login").text


@pytest.mark.browser
def test_action_table_fits_a_laptop_and_becomes_cards_on_a_phone(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    lead = factory.organisation(LONG_LEAD)
    for n, (status, due) in enumerate(
        [
            (ActionStatus.in_progress, -6),
            (ActionStatus.abandoned, 10),
            (ActionStatus.planned, 40),
            (ActionStatus.proposed, None),
            (ActionStatus.done, 3),
        ]
    ):
        factory.action(
            world.body,
            lead if n % 2 else world.organisation,
            f"Remise en état de l'éclairage du bâtiment {n} et de ses abords",
            kind=ActionKind.preventive if n % 2 else ActionKind.deterrent,
            status=status,
            owner=world.member,
            due_in_days=due,
            **({} if status == ActionStatus.done else {"progress": 40}),
        )
    log_in(page, live_server, "member@example.org")

    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server}/actions")
    table = page.locator(".action-table")
    expect(table.locator("tbody tr")).to_have_count(5)
    assert overflow(page, ".table-wrap, html") == []
    wrap = page.locator(".action-results .table-wrap").bounding_box()
    for header in table.locator("thead th").all():
        box = header.bounding_box()
        assert box["x"] >= wrap["x"] and box["x"] + box["width"] <= wrap["x"] + wrap["width"] + 1
    # Titles read as lines, not as a column of words.
    assert table.locator("td.action-table__title").first.bounding_box()["width"] >= 180
    expect(table.get_by_text("Abandonnée")).to_be_visible()
    # Beside the results, the filters are open and their title is no button.
    expect(page.get_by_label("Statut")).to_be_visible()
    expect(page.locator(".filter-fold__summary")).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / "actions-table-laptop.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/actions")
    assert overflow(page, ".table-wrap, html") == []
    # Results come first: the filters are folded behind their title.
    expect(page.get_by_label("Statut")).to_be_hidden()
    first_card = table.locator("tbody tr").first
    assert first_card.bounding_box()["y"] < PHONE["height"]
    assert first_card.bounding_box()["width"] <= PHONE["width"] - 20
    # Each value of a card carries its column's name.
    expect(first_card.locator("td[data-label='Échéance']")).to_be_visible()
    card_label = first_card.locator("td[data-label='Statut']").evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert card_label == '"Statut"'
    page.screenshot(path=str(screenshot_dir / "actions-table-phone.png"), full_page=True)
    page.get_by_text("Filtres").first.click()
    expect(page.get_by_label("Statut")).to_be_visible()
    page.get_by_label("Statut").select_option("in_progress")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(page.get_by_text("1 action", exact=True)).to_be_visible()
