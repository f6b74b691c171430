"""Reports in a real headless Chromium: a partner posts a report with a photo, another partner
adds an update, the secretary groups two reports into a problem file. Screenshots of the feed
and of a report go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.bodies.enums import MemberRole
from veille.directory.enums import OrganisationKind

pytestmark = pytest.mark.browser


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_partners_post_update_and_group_reports(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path, tmp_path: Path
) -> None:
    housing = factory.organisation("Habitat Loire", OrganisationKind.housing_provider)
    landlord = factory.user("Léa Bailleur", organisation=housing, email="lea@example.org")
    factory.member(world.body, landlord, MemberRole.member)
    earlier = factory.situation(
        world.body, landlord, "Tags dans la cage d'escalier B", category="public_space_damage"
    )
    photo = tmp_path / "hall.jpg"
    Image.new("RGB", (640, 480), (90, 110, 140)).save(photo, format="JPEG")

    # The police officer posts a report with a photo; the form warns about a number plate.
    _log_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/situations/new")
    page.get_by_label("Titre").fill("Hall du bâtiment B occupé chaque nuit")
    page.locator("#field-file").set_input_files(str(photo))
    # Choosing the body draws the form again for it, with what was typed (it wiped the title
    # and the file), posted: the text typed is never in an address, which servers log.
    with page.expect_response(lambda answer: "/situations/new/form" in answer.url) as asked:
        page.locator("#field-body_id").select_option(str(world.body.id))
    request = asked.value.request
    assert request.method == "POST" and "?" not in request.url
    assert "title=Hall%20du" in (request.post_data or "") and "hall.jpg" not in (request.post_data or "")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")
    expect(page.locator("#situation-form input[name=shared_with_organisation_ids]").first).to_be_attached()
    expect(page.get_by_label("Titre")).to_have_value("Hall du bâtiment B occupé chaque nuit")
    assert page.locator("#field-file").evaluate("input => input.files.length") == 1
    page.get_by_label("Description").fill("Une quinzaine de jeunes, véhicule AB-123-CD devant l'entrée.")
    expect(page.locator("#privacy-hint")).to_contain_text("plaque d’immatriculation")
    page.get_by_label("Description").fill(
        "Une quinzaine de jeunes chaque nuit, nuisances sonores et dégradations."
    )
    page.get_by_label("Catégorie").select_option("hall_occupation")
    page.get_by_label("Gravité").select_option("3")
    page.get_by_label("Lieu").fill("12 rue des Lilas, bâtiment B")
    page.get_by_role("button", name="Publier le signalement").click()
    page.wait_for_url(re.compile(r".*/situations/\d+$"))
    expect(page.get_by_text("Le signalement est publié.")).to_be_visible()
    expect(page.locator(".attachment__thumb")).to_be_visible()
    report_url = page.url

    # The landlord adds an update (htmx: the timeline refreshes in place).
    _log_in(page, live_server, "lea@example.org")
    page.goto(report_url)
    page.get_by_label("Ajouter une mise à jour").fill("Serrure du hall changée ce matin, badge obligatoire.")
    page.get_by_role("button", name="Publier la mise à jour").click()
    expect(page.locator("#timeline")).to_contain_text("Serrure du hall changée")
    expect(page.locator("#timeline")).to_contain_text("Léa Bailleur (Habitat Loire)")
    expect(page.locator("#timeline-title")).to_be_focused()  # not the top of the page
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=str(screenshot_dir / "situation-desktop.png"), full_page=True)

    # The secretary ticks both reports in the body's feed and opens a problem file.
    _log_in(page, live_server, "secretary@example.org")
    page.goto(f"{live_server}/bodies/{world.body.id}/situations")
    page.screenshot(path=str(screenshot_dir / "situations-feed-desktop.png"), full_page=True)
    page.get_by_label("Sélectionner Hall du bâtiment B occupé chaque nuit").check()
    page.get_by_label(f"Sélectionner {earlier.title}").check()
    page.get_by_role("button", name="Regrouper dans un dossier").click()
    page.get_by_label("Titre").fill("Bâtiment B : occupation et dégradations")
    page.get_by_label("Étape").select_option("analysis")
    page.get_by_label("Analyse").fill(
        "Mêmes jeunes, même hall : l'accès libre au bâtiment entretient le problème."
    )
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r".*/problems/\d+$"))
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Hall du bâtiment B occupé chaque nuit")
    expect(timeline).to_contain_text("Tags dans la cage d'escalier B")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/bodies/{world.body.id}/situations")
    page.screenshot(path=str(screenshot_dir / "situations-feed-phone.png"), full_page=True)
