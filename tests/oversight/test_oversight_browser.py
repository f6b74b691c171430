"""The audit page and the charter report in a real headless Chromium: the search replaces the
results in place (htmx) and keeps its address; both pages at laptop and phone widths.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World

pytestmark = pytest.mark.browser


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_the_admin_searches_the_audit_in_place(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    factory.charter(world.body)
    _log_in(page, live_server, world.chair.email)
    _log_in(page, live_server, world.admin.email)
    page.get_by_role("link", name="Journal d’audit").click()
    expect(page.get_by_role("heading", name="Journal d’audit", level=1)).to_be_visible()
    results = page.locator("#audit-results")
    expect(results).to_contain_text("Charles Président")
    page.get_by_label("Personne").select_option(label=f"{world.admin.name} (Mairie)")
    page.get_by_label("Type d’événement").select_option(label="Connexion")
    page.locator("#audit-filters").get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(rf"/admin/audit\?user_id={world.admin.id}&.*verb=login"))
    expect(results).not_to_contain_text("Charles Président")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.locator("tbody td[title=login]")).to_have_text("Connexion")
    export = page.get_by_role("link", name="Exporter cette recherche (CSV)")
    expect(export).to_have_attribute("href", re.compile(rf"user_id={world.admin.id}&verb=login"))
    page.screenshot(path=str(screenshot_dir / "audit.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "audit-phone.png"), full_page=True)

    page.goto(f"{live_server}/bodies/{world.body.id}/charter-report")
    expect(page.get_by_role("heading", name=re.compile("Bilan de la charte"), level=1)).to_be_visible()
    expect(page.locator("#pending-title")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "charter-report-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(screenshot_dir / "charter-report.png"), full_page=True)
