"""In headless Chromium: "/" focuses the header's search box (not while typing in a field), the
results are grouped and announced, the page's own box narrows them in place; help is reached
from the footer. Screenshots at laptop and phone widths land in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.test_browser import _log_in

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", list(WIDTHS))
def test_slash_focuses_the_search_and_results_are_grouped(
    browser, live_server, world, factory, screenshot_dir, width
):  # type: ignore[no-untyped-def]
    factory.situation(world.body, world.member, "Rodéo urbain place du marché")
    factory.action(world.body, world.organisation, "Médiation contre les rodéos")
    context = browser.new_context(locale="fr-FR", viewport=WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(10_000)
    _log_in(page, live_server, "member@example.org")
    box = page.locator("#site-search-q")
    assert box.is_visible()  # on a phone too: not folded in the menu
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search-q"
    page.keyboard.type("rodéo")
    assert box.input_value() == "rodéo"  # "/" itself was not typed
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/search\?q=rod"))
    summary = page.get_by_role("status").filter(has_text="Résultats pour")
    assert "2" in summary.inner_text()
    assert page.get_by_role("heading", name=re.compile("Signalements")).is_visible()
    assert page.get_by_role("link", name="Rodéo urbain place du marché").is_visible()
    page.screenshot(path=str(screenshot_dir / f"search-{width}.png"), full_page=True)
    # Typing "/" inside a field types it; the page's box narrows the results in place.
    field = page.get_by_label("Mots à trouver")
    field.fill("médiation")
    field.press("/")
    assert field.input_value() == "médiation/"
    field.fill("médiation")
    page.get_by_role("link", name="Rodéo urbain place du marché").wait_for(state="detached")
    assert page.get_by_role("link", name="Médiation contre les rodéos").is_visible()
    # The same live region now says what was found (a screen reader hears it).
    assert page.locator("#search-status").text_content() == "Résultats pour «\u00a0médiation\u00a0»\u00a0: 1"
    page.wait_for_url(re.compile(r".*/search\?q=m%C3%A9diation$"))
    page.get_by_role("contentinfo").get_by_role("link", name="Aide").click()
    page.wait_for_url(re.compile(r".*/help$"))
    assert page.get_by_role("heading", name="Aide : Membre partenaire").is_visible()
    page.screenshot(path=str(screenshot_dir / f"help-{width}.png"), full_page=True)
    context.close()
