"""Partners' pages on a laptop (1366 × 900) and a phone (390 × 844), in a real headless
Chromium: the action table fits beside its filters and becomes cards on a phone, where the
filters fold behind their title; the report form (radios, the personal-data warning, the
organisations to share with) and the action update's progress; the favicon. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.actions.enums import ActionKind, ActionStatus
from veille.meetings.enums import MeetingStatus
from veille.situations.enums import Confidentiality

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


def test_report_feed_shows_reports_first_on_a_phone(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    for n in range(3):
        factory.situation(world.body, world.member, f"Tags sur la façade de l'école {n}", days_ago=n + 1)
    log_in(page, live_server, "member@example.org")

    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server}/situations")
    # Beside the reports, every filter is open and their title is no button.
    expect(page.get_by_label("Secteur")).to_be_visible()
    expect(page.locator(".filter-fold__summary")).to_be_hidden()

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/situations")
    # The search stays; the other filters fold, so that the first report is on the first screen.
    expect(page.get_by_label("Rechercher", exact=True)).to_be_visible()
    expect(page.get_by_label("Secteur")).to_be_hidden()
    assert page.locator(".situation-list > li").first.bounding_box()["y"] < PHONE["height"]
    assert overflow(page, "html") == []
    page.screenshot(path=str(screenshot_dir / "report-feed-phone.png"), full_page=True)
    page.get_by_text("Plus de filtres").click()
    page.get_by_label("Statut").select_option("resolved")
    expect(page.get_by_text("Aucun signalement ne correspond.")).to_be_visible()
    # A refused date is shown, unfolded.
    page.goto(f"{live_server}/situations?since=1900-01-01")
    expect(page.locator("#field-since-error")).to_be_visible()


def share_choices(html: str) -> list[str]:
    """The names of the organisations the report form offers to share with."""
    return re.findall(r'name="shared_with_organisation_ids" value="\d+"[^>]*>\s*<label[^>]*>([^<]+)<', html)


def test_report_form_offers_the_bodys_organisations_only(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    outside = factory.organisation("Association hors instance")
    factory.user("Personne Dehors", organisation=outside)
    client = client_for(world.member)
    with queries() as log:
        page = client.get(f"/situations/new?body_id={world.body.id}")
    assert page.status_code == 200
    # The chair's and the secretary's city, the member's police; not the guest's landlord.
    assert share_choices(page.text) == ["Mairie", "Police nationale"]
    assert log.count < 25
    first = client.get("/situations/new")
    assert share_choices(first.text) == []
    assert "Choisissez d’abord l’instance" in first.text
    # A report shared before with an organisation outside the body keeps it on its form.
    report = factory.situation(
        world.body, world.member, "Rixe", confidentiality=Confidentiality.restricted, shared_with=[outside]
    )
    edit = client.get(f"/situations/{report.id}/edit")
    assert share_choices(edit.text) == ["Mairie", "Police nationale", "Association hors instance"]


def test_action_update_form_starts_at_the_current_progress(
    client_for: Any, world: World, factory: Factory
) -> None:
    action = factory.action(world.body, world.organisation, status=ActionStatus.in_progress, progress=45)
    page = client_for(world.member).get(f"/actions/{action.id}")
    field = re.search(r'<input[^>]*name="progress"[^>]*>', page.text)
    assert field is not None and 'value="45"' in field.group(0)


@pytest.mark.browser
def test_report_form_on_a_laptop_and_a_phone(
    page: Any, live_server: str, world: World, screenshot_dir: Path
) -> None:
    log_in(page, live_server, "member@example.org")
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(f"{live_server}/situations/new?body_id={world.body.id}")
        assert overflow(page, "html") == []
        # Every radio keeps its size, "Social" beside its long help text included.
        sizes = {
            code: page.locator(f"#confidentiality-{code}").bounding_box()["width"]
            for code in ("body", "restricted", "social")
        }
        assert min(sizes.values()) >= 16 and max(sizes.values()) - min(sizes.values()) < 1, sizes
        warning = page.locator("#privacy-hint .notice")
        page.get_by_label("Description").fill("Véhicule AB-123-CD devant l'entrée chaque soir.")
        expect(warning).to_be_visible()
        # The warning is followed: restricted, and the report names a person.
        page.get_by_label("Restreint").check()
        expect(warning).to_be_visible()
        page.get_by_label("Le signalement désigne une personne").check()
        expect(warning).to_be_hidden()
        page.get_by_label("Social").check()
        expect(warning).to_be_hidden()
        # The text is checked again while typed: the answer stays hidden once followed.
        page.get_by_label("Description").fill("Véhicule AB-123-CD devant l'entrée, tous les soirs.")
        page.wait_for_load_state("networkidle")
        expect(warning).to_be_hidden()
        page.get_by_label("Toute l’instance").check()
        expect(warning).to_be_visible()
        page.screenshot(path=str(screenshot_dir / f"report-form-{name}.png"), full_page=True)


@pytest.mark.browser
def test_meetings_keep_their_width_on_a_phone(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    """A past meeting's status ("Compte rendu approuvé") goes under its text on a phone, which
    keeps its width, instead of squeezing the title to a word a line past the screen's edge."""
    place = "Hôtel de ville, salle des commissions"
    factory.meeting(world.body, status=MeetingStatus.minutes_approved, in_days=-20, location=place)
    factory.meeting(world.body, status=MeetingStatus.convened, in_days=6, location=place)
    log_in(page, live_server, "member@example.org")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/meetings")
    expect(page.get_by_text("Compte rendu approuvé")).to_be_visible()
    assert overflow(page, "html") == []
    for title in page.locator(".meeting-list__title").all():
        assert title.bounding_box()["width"] >= 200
    page.screenshot(path=str(screenshot_dir / "meetings-phone.png"), full_page=True)


@pytest.mark.browser
def test_the_error_summary_names_each_field(
    page: Any, live_server: str, world: World, screenshot_dir: Path
) -> None:
    """The summary at the top of a refused form says which field each error is about (its
    label, without the required mark), links to it, and is focused."""
    log_in(page, live_server, "member@example.org")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/situations/new?body_id={world.body.id}")
    page.get_by_label("Titre").fill("   ")  # the browser takes it, the server does not
    page.locator("#situation-form button[type=submit]").last.click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    items = summary.locator(".error-summary__list a")
    texts = [text.replace("\u00a0", " ") for text in items.all_inner_texts()]
    assert "Titre : Ce champ est obligatoire." in texts, texts
    assert "Catégorie : Ce champ est obligatoire." in texts, texts
    page.screenshot(path=str(screenshot_dir / "report-form-errors-phone.png"), full_page=True)
    items.filter(has_text="Catégorie").click()
    expect(page.get_by_label("Catégorie")).to_be_focused()
    # A group of radios is named by its legend, not by its first option's label.
    page.get_by_label("Titre").fill("Hall occupé")
    page.get_by_label("Catégorie").select_option(index=1)
    page.get_by_label("Toute l’instance").check()
    page.get_by_label("Le signalement désigne une personne").check()
    page.locator("#situation-form button[type=submit]").last.click()
    expect(summary).to_be_focused()
    [named] = [text.replace("\u00a0", " ") for text in items.all_inner_texts()]
    assert named.startswith("Qui peut le lire : Un signalement qui désigne"), named
    items.first.click()
    expect(page.get_by_label("Toute l’instance")).to_be_focused()  # the option chosen


@pytest.mark.browser
def test_a_long_organisation_name_leaves_the_header_on_one_line(
    page: Any, live_server: str, factory: Factory, screenshot_dir: Path
) -> None:
    """On a laptop, the person's organisation ends in an ellipsis rather than push "Mon compte"
    and "Se déconnecter" onto two lines and the search box below its placeholder's width."""
    it = factory.organisation("Ville de Valmont-sur-Loire – direction du numérique et des systèmes")
    factory.user("Julien Roche", organisation=it, email="julien@example.org")
    log_in(page, live_server, "julien@example.org")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/")
    heights = [box["height"] for box in (b.bounding_box() for b in page.locator(".user-menu .btn").all())]
    assert len(heights) == 2 and max(heights) < 40, heights
    assert page.locator("#site-search-q").bounding_box()["width"] >= 130
    org = page.locator(".user-menu__org")
    assert org.evaluate("e => e.scrollWidth > e.clientWidth")  # cut on screen, whole on hover
    assert org.get_attribute("title") == it.name
    page.screenshot(
        path=str(screenshot_dir / "header-long-organisation.png"),
        clip={"x": 0, "y": 0, "width": 1280, "height": 140},
    )


def test_the_phones_menu_closes_with_escape_where_it_was_opened(
    page: Any, live_server: str, world: World
) -> None:
    """Escape closed it only with focus inside it; just opened, focus is on its button."""
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "member@example.org")
    toggle = page.locator(".nav-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()


@pytest.mark.browser
def test_the_users_list_becomes_cards_on_a_phone(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    """An admin's list of people: every column on a laptop; on a phone each person a card, each
    value under its column's name, nothing scrolled sideways (it was a table wider than the
    screen, the organisation and the status out of sight)."""
    factory.user("Marie-Christine Delacourt-Vasseur", organisation=factory.organisation(LONG_LEAD))
    log_in(page, live_server, world.admin.email)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/directory/users")
    assert overflow(page, ".table-wrap, html") == []
    card = page.locator("tbody tr", has_text="Marie-Christine Delacourt-Vasseur")
    assert card.bounding_box()["width"] <= PHONE["width"] - 20
    label = card.locator("td[data-label='Organisation']").evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label == '"Organisation"'
    expect(card.get_by_text(LONG_LEAD)).to_be_visible()
    expect(card.get_by_text("Compte actif")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "users-phone.png"), full_page=True)

    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server}/directory/users")
    expect(page.locator("thead th", has_text="Organisation")).to_be_visible()
    assert page.locator("td[data-label='Organisation']").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    ) in ("none", "normal")
