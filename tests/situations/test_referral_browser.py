"""Issue 18 in a real headless Chromium, at a phone's width: the secretary sets the body's
meeting rule, plans the next months from it, then refers a report to another body with a
reason; screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World

pytestmark = pytest.mark.browser


def test_secretary_plans_from_the_rule_and_refers_a_report(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    factory.member(world.other_body, world.secretary)
    situation = factory.situation(world.body, world.member, "Rodéos parking Leclerc")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill("secretary@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))

    # The rule, in the body's settings.
    page.goto(f"{live_server}/bodies/{world.body.id}/edit")
    rule = page.get_by_role("group", name="Règle des réunions")
    rule.get_by_label("Lequel").select_option("1")
    rule.get_by_label("Jour de la semaine").select_option("4")
    rule.get_by_label("Début", exact=True).fill("14:00")
    rule.get_by_label("Durée (minutes)").fill("120")
    rule.get_by_label("Lieu").fill("Mairie annexe Nord")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(rf".*/bodies/{world.body.id}$"))
    expect(page.get_by_text("Premier vendredi du mois, 14:00, 120 min")).to_be_visible()

    # The next months, planned from it.
    page.goto(f"{live_server}/bodies/{world.body.id}/meetings")
    page.get_by_role("button", name="Planifier les prochains mois").click()
    page.wait_for_url(re.compile(rf".*/bodies/{world.body.id}/meetings$"))
    expect(page.get_by_text("Les réunions des prochains mois sont planifiées")).to_be_visible()
    expect(page.get_by_text("Mairie annexe Nord").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "meetings-planned-phone.png"), full_page=True)

    # The report, referred to the other cell with a reason.
    page.goto(f"{live_server}/situations/{situation.id}")
    page.get_by_role("link", name="Transmettre à une autre instance").click()
    page.get_by_label("Instance").select_option(str(world.other_body.id))
    page.get_by_label("Motif").fill("Les motos viennent du quartier nord.")
    page.get_by_role("button", name="Transmettre le signalement").click()
    page.wait_for_url(re.compile(rf".*/situations/{situation.id}#referrals$"))
    referrals = page.locator("#referrals")
    expect(referrals.get_by_text("Cellule de veille du nord")).to_be_visible()
    expect(referrals.get_by_text("Les motos viennent du quartier nord.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "report-referred-phone.png"), full_page=True)
