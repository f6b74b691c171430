"""Statistics read on a phone and in English: chart labels that stay readable at 390 px (HTML
labels under the bars, tick numbers that grow as the chart shrinks), the reader's language's
short month names, number tables whose first column stays while the years scroll, with a hint;
and a reader whose language is English gets /stats and its exports in English."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.actions.enums import ActionKind, ActionStatus
from veille.directory.enums import UserRole

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
CATEGORIES = ("hall_occupation", "noise_nightlife", "urban_rodeo", "public_space_damage", "drug_dealing")


def reports_over_three_years(factory: Factory, world: World) -> None:
    """Reports in June and July of three years, over five categories."""
    for year in (2024, 2025, 2026):
        for month in (6, 7):
            for code in CATEGORIES:
                situation = factory.situation(world.body, world.member, f"Fait {code}", category=code)
                situation.occurred_at = datetime(year, month, 12, 21, tzinfo=UTC)
                factory.session.add(situation)
    factory.session.commit()
    factory.action(world.body, world.organisation, "Médiation", kind=ActionKind.preventive)
    factory.action(world.body, world.organisation, "Rondes", status=ActionStatus.in_progress)


def test_month_labels_are_the_languages_short_names(client_for: Any, world: World, factory: Factory) -> None:
    reports_over_three_years(factory, world)
    page = client_for(world.coordinator).get("/stats?since=2024-01-01&until=2026-12-31")
    assert page.status_code == 200
    labels = re.findall(r'<li title="([^"]*)">', page.text.split('id="reports_by_month-title"')[1])[:12]
    assert labels[5:8] == ["juin", "juil.", "août"]
    assert "Jui<" not in page.text


def test_an_english_reader_gets_statistics_and_exports_in_english(
    client_for: Any, world: World, factory: Factory
) -> None:
    reports_over_three_years(factory, world)
    reader = factory.user("Emma English", role=UserRole.coordinator, language="en")
    client = client_for(reader)
    page = client.get("/stats?since=2024-01-01&until=2026-12-31")
    assert page.status_code == 200
    text = page.text
    for english in (
        "Reports by month, years side by side",
        "Reports by category",
        "Actions by kind and status",
        ">January<",
        ">Jun<",
        ">Jul<",
        "Preventive",
        "In progress",
        "Completion rate",
        "Scroll sideways for the other columns.",
    ):
        assert english in text, english
    for french in ("Janvier", "juil.", "Signalements par mois", "Préventive", "En cours"):
        assert french not in text, french
    export = client.get("/stats/export?since=2024-01-01&until=2026-12-31&table=reports_by_month&format=csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Month", "2024", "2025", "2026"]
    assert rows[6][0] == "June" and rows[-1][0] == "Total"
    kinds = client.get("/stats/export?since=2024-01-01&until=2026-12-31&table=actions_by_kind&format=csv")
    assert "Preventive" in kinds.content.decode("utf-8-sig")
    assert "Proposed" in kinds.content.decode("utf-8-sig")


@pytest.mark.browser
def test_statistics_read_on_a_phone(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    reports_over_three_years(factory, world)
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill("coordinator@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server}/stats?since=2024-01-01&until=2026-12-31")
        expect(page.get_by_role("img", name="Signalements par mois, années côte à côte")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        # Every text of the charts is at least 11 px high on screen, tick numbers included.
        smallest = page.evaluate(
            """() => Math.min(
                ...[...document.querySelectorAll('.chart__labels li')].map(
                    li => parseFloat(getComputedStyle(li).fontSize)),
                ...[...document.querySelectorAll('.chart__tick')].map(t => {
                    const svg = t.ownerSVGElement;
                    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                    return parseFloat(getComputedStyle(t).fontSize) * scale;
                }))"""
        )
        assert smallest >= 11, (name, smallest)
        # Each label stays within its chart.
        assert page.evaluate(
            """() => [...document.querySelectorAll('.chart__labels')].every(ol =>
                ol.getBoundingClientRect().right <= ol.closest('.chart').getBoundingClientRect().right + 1)"""
        )
        page.screenshot(path=str(screenshot_dir / f"statistics-{name}-readable.png"), full_page=True)
    # June and July apart, under their bars.
    months = page.locator("#reports_by_month-title").locator("xpath=../..").locator(".chart__labels li")
    expect(months.nth(5)).to_have_text("juin")
    expect(months.nth(6)).to_have_text("juil.")
    # A category label cut on the chart keeps its whole name in its title and in the table.
    whole = "Dégradations de l'espace public"
    label = page.locator(".chart__labels li").filter(has_text=whole)
    expect(label).to_have_attribute("title", whole)
    expect(page.get_by_role("rowheader", name=whole)).to_have_count(1)
    # The category table scrolls sideways on a phone: a hint says so, its first column stays.
    table = page.locator("#reports_by_category-title").locator("xpath=../..").locator(".table-wrap")
    hint = page.locator("#reports_by_category-title").locator("xpath=../..").locator(".table-hint")
    expect(hint).to_have_text("Faites défiler de côté pour voir les autres colonnes.")
    assert table.evaluate("w => w.scrollWidth > w.clientWidth")
    first = table.locator("tbody th").first
    before = first.bounding_box()["x"]
    table.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
    page.wait_for_function("w => w.scrollLeft > 0", arg=table.element_handle())
    assert abs(first.bounding_box()["x"] - before) < 1
    last_year = table.locator("thead th").last
    wrap = table.bounding_box()
    assert last_year.bounding_box()["x"] + last_year.bounding_box()["width"] <= wrap["x"] + wrap["width"] + 1
    # A table that fits shows no hint.
    severity = page.locator("#reports_by_severity-title").locator("xpath=../..")
    expect(severity.locator(".table-hint")).to_be_hidden()
