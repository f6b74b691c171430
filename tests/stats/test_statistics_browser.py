"""The statistics page in a real headless Chromium: its charts and tables over three years of a
watch cell's reports and actions; screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.actions.enums import ActionKind, ActionStatus, Effect

pytestmark = pytest.mark.browser
# Reports per month of each category: a seasonal pattern that grows, then falls after the actions.
CATEGORIES = {"hall_occupation": 6, "noise_nightlife": 4, "urban_rodeo": 3, "public_space_damage": 2}


def test_statistics_page_with_charts(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    for year, factor in ((2024, 1.0), (2025, 1.4), (2026, 0.8)):
        for month in range(1, 13 if year < 2026 else 11):
            for code, base in CATEGORIES.items():
                summer = 1.6 if month in (6, 7, 8) and code in ("noise_nightlife", "urban_rodeo") else 1.0
                for n in range(round(base * factor * summer * (0.7 + 0.05 * month))):
                    situation = factory.situation(world.body, world.member, f"Fait {code} {n}", category=code)
                    situation.occurred_at = datetime(year, month, 1 + n % 27, 21, tzinfo=UTC)
                    factory.session.add(situation)
    factory.session.commit()
    for kind, status, effect in (
        (ActionKind.preventive, ActionStatus.done, Effect.positive),
        (ActionKind.preventive, ActionStatus.in_progress, None),
        (ActionKind.deterrent, ActionStatus.done, Effect.mixed),
        (ActionKind.deterrent, ActionStatus.planned, None),
        (ActionKind.repressive, ActionStatus.in_progress, None),
        (ActionKind.preventive, ActionStatus.proposed, None),
    ):
        action = factory.action(
            world.body, world.organisation, f"Action {kind} {status}", kind=kind, status=status
        )
        action.effect = effect
        action.created_at = datetime(2026, 1, 5, tzinfo=UTC)
        action.done_at = action.created_at + timedelta(days=45) if status == ActionStatus.done else None
        factory._save(action)

    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill("coordinator@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.goto(f"{live_server}/stats?since=2024-01-01&until=2026-12-31")
    expect(page.get_by_role("img", name="Signalements par mois, années côte à côte")).to_be_visible()
    expect(page.locator("table").first).to_contain_text("Janvier")
    for width, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(screenshot_dir / f"statistics-{width}.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Tous les tableaux (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
