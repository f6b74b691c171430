"""In a real headless Chromium against a running uvicorn: log in, open a body, add a member;
and screenshots of the main pages at desktop and phone widths (left in test-artifacts/)."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _log_in(page, live_server, email):  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_secretary_logs_in_opens_a_body_and_adds_a_member(page, live_server, world):
    _log_in(page, live_server, "secretary@example.org")
    assert page.get_by_role("heading", name="Mes instances").is_visible()
    page.get_by_role("link", name="Cellule de veille du centre").click()
    assert page.get_by_role("heading", name="Cellule de veille du centre").is_visible()
    page.get_by_role("navigation", name="Rubriques de Cellule de veille du centre").get_by_role(
        "link", name="Membres"
    ).click()
    members = page.locator("#members")
    assert members.get_by_role("cell", name="Olivier Autre", exact=True).count() == 0
    page.get_by_label("Personne").fill("olivier")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    members.get_by_role("cell", name="Olivier Autre", exact=True).wait_for()
    assert page.url.endswith(f"/bodies/{world.body.id}/members")  # swapped in place, no reload
    page.reload()
    assert page.locator("#members").get_by_role("cell", name="Olivier Autre", exact=True).is_visible()


def test_form_errors_come_back_in_place_then_the_form_saves(page, live_server, world):
    _log_in(page, live_server, "coordinator@example.org")
    page.goto(f"{live_server}/directory/sectors/new")
    page.get_by_label("Nom").fill("Quartier Nord")
    page.get_by_label("Code").fill("centre")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Enregistrer").click()
    summary = page.get_by_role("alert")
    summary.get_by_text("Un secteur utilise déjà ce code").wait_for()
    assert page.evaluate("window.__sameDocument === true")  # swapped by htmx, no reload
    assert page.get_by_label("Nom").input_value() == "Quartier Nord"  # nothing typed is lost
    page.get_by_label("Code").fill("NORD")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"{live_server}/directory/sectors")
    assert page.get_by_role("cell", name="Quartier Nord", exact=True).is_visible()
    assert page.get_by_text("Le secteur a été enregistré").is_visible()


def test_a_form_refused_before_its_route_keeps_what_was_typed_and_says_why(page, live_server, world):
    """A NUL is refused for every route before it runs: its error page holds no form, which the
    form's ``hx-select`` emptied the page with; the form now stays and the reason shows."""
    _log_in(page, live_server, "coordinator@example.org")
    page.goto(f"{live_server}/directory/sectors/new")
    page.get_by_label("Nom").fill("Quartier\x00Nord")
    page.get_by_label("Code").fill("NORD")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("alert").get_by_text(
        "Ce texte contient un caractère que Veille ne peut pas enregistrer"
    ).wait_for()
    assert page.get_by_label("Nom").input_value() == "Quartier\x00Nord"
    assert page.get_by_label("Code").input_value() == "NORD"
    page.get_by_label("Nom").fill("Quartier Nord")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(f"{live_server}/directory/sectors")
    assert page.get_by_role("cell", name="Quartier Nord", exact=True).is_visible()


def test_invalid_login_shows_the_error_in_french(page, live_server, world):
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill("member@example.org")
    page.get_by_label("Mot de passe").fill("wrong")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("alert").get_by_text("Adresse e-mail ou mot de passe incorrect").count() >= 1


def test_keyboard_user_reaches_the_main_content(page, live_server, world):
    _log_in(page, live_server, "member@example.org")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "contenu" in focused.lower()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_screenshots(browser, live_server, world, screenshot_dir, width):
    context = browser.new_context(locale="fr-FR", viewport=WIDTHS[width])
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.screenshot(path=str(screenshot_dir / f"login-{width}.png"), full_page=True)
    page.get_by_label("Adresse e-mail").fill("coordinator@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))
    for name, path in {
        "body": f"/bodies/{world.body.id}",
        "body-form": f"/bodies/{world.body.id}/edit",
        "bodies": "/bodies",
        "users": "/directory/users",
    }.items():
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not overflow, f"{path} scrolls sideways at {width} width"
        page.screenshot(path=str(screenshot_dir / f"{name}-{width}.png"), full_page=True)
    context.close()
