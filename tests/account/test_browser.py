"""The forgotten password in a real headless Chromium, from the mail (a real SMTP server) to a
new session; the old session ends. Screenshots of the pages at a laptop's and a phone's width
go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, World

pytestmark = pytest.mark.browser
NEW = "lanterne cerisier boussole marée"
WIDTHS = {"laptop": (1366, 900), "phone": (390, 844)}


@pytest.fixture
def settings(settings, smtp_server):  # type: ignore[no-untyped-def]
    return smtp_server.configure(settings)


def _log_in(page: Any, live_server: str, email: str, password: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def _shoot(page: Any, screenshot_dir: Path, name: str) -> None:
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(screenshot_dir / f"account-{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_forgotten_password_is_set_again_from_the_mail(
    browser: Any, page: Any, live_server: str, world: World, smtp_server: Any, screenshot_dir: Path
) -> None:
    # An old session elsewhere, which the new password must end.
    elsewhere = browser.new_context(locale="fr-FR").new_page()
    _log_in(elsewhere, live_server, world.member.email, PASSWORD)
    elsewhere.wait_for_url(re.compile(r".*/$"))

    page.goto(f"{live_server}/login")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_url(re.compile(r".*/password/forgot$"))
    _shoot(page, screenshot_dir, "forgot")
    page.get_by_label("Adresse e-mail").fill(world.member.email)
    page.get_by_role("button", name="M’envoyer un lien").click()
    expect(page.get_by_text("un courriel avec un lien pour choisir un nouveau mot de passe")).to_be_visible()

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == world.member.email
    link = re.search(r"http://\S+/password/reset/\S+", mail.get_content())
    assert link, mail.get_content()
    page.goto(link.group(0))
    page.locator("#field-password").fill("password1234")
    page.locator("#field-confirm").fill("password1234")
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    expect(page.locator(".field__error").first).to_contain_text("parmi les plus utilisés")
    _shoot(page, screenshot_dir, "reset-refused")
    page.locator("#field-password").fill(NEW)
    page.locator("#field-confirm").fill(NEW)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    page.wait_for_url(re.compile(r".*/login$"))
    expect(page.get_by_text("Votre nouveau mot de passe est enregistré")).to_be_visible()

    _log_in(page, live_server, world.member.email, NEW)
    page.wait_for_url(re.compile(r".*/$"))
    page.get_by_role("link", name="Mon compte").click()
    page.wait_for_url(re.compile(r".*/account$"))
    expect(page.get_by_role("heading", name="Mon compte")).to_be_visible()
    _shoot(page, screenshot_dir, "page")

    # The session opened before the reset has ended; the link works only once.
    elsewhere.reload()
    assert "/login" in elsewhere.url
    page.goto(link.group(0))
    expect(page.get_by_text("Ce lien n’est plus valable")).to_be_visible()
    elsewhere.context.close()


def test_a_change_in_one_part_of_the_account_says_so_in_that_part(
    page: Any, live_server: str, world: World, api_for: Any, screenshot_dir: Path
) -> None:
    """The page comes back at the part changed (#tokens), a screen below its top: the message
    is moved there (app.js), where it was drawn at the top, out of sight."""
    api_for(world.member), api_for(world.member)  # two API tokens made the same minute
    _log_in(page, live_server, world.member.email, PASSWORD)
    page.wait_for_url(re.compile(r".*/$"))
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"{live_server}/account")
    tokens = page.locator("#tokens")
    expect(tokens.get_by_role("cell", name="Jamais")).to_have_count(2)  # never used since made
    revoke = tokens.get_by_role("button", name=re.compile(r"^Révoquer le jeton n° \d+, créé le"))
    expect(revoke).to_have_count(2)
    revoke.first.click()
    page.get_by_role("dialog").get_by_role("button", name="Confirmer").click()
    page.wait_for_url(re.compile(r".*/account#tokens$"))
    message = tokens.get_by_text("Le jeton d’API est révoqué.")
    expect(message).to_be_in_viewport()
    expect(tokens.get_by_role("button", name=re.compile(r"^Révoquer"))).to_have_count(1)
    _shoot(page, screenshot_dir, "token-revoked")
