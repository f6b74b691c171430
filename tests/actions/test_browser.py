"""An action's whole life in a real headless Chromium: the secretary records a meeting's
decision as an action from its agenda item, the lead partner moves it on the board (by drag and
drop, then by keyboard), marks it done and evaluates it, and the next meeting's follow-up item
shows it. Screenshots of the board and the action go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.actions.enums import ActionKind, ActionStatus
from veille.meetings.enums import MeetingStatus, StandingItem

pytestmark = pytest.mark.browser


def _log_in(page: Any, live_server: str, email: str) -> None:
    # Leave the previous page first: a meeting page's live stream may refresh a part of it
    # once the cookies are gone, and the app then sends that page to the sign-in itself,
    # aborting this navigation (seen under load).
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_decision_becomes_an_action_done_evaluated_and_followed_up(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    meeting = factory.meeting(world.body, in_days=-0.1, status=MeetingStatus.held)
    factory.item(meeting, "Hall du bâtiment B occupé le soir")
    following = factory.meeting(world.body, in_days=30)
    factory.item(following, "Suivi des actions", standing=StandingItem.actions_follow_up)
    # Other actions, so that the board looks like a body's.
    housing = factory.organisation("Bailleur Habitat 93")
    factory.action(
        world.body,
        housing,
        "Pose d’un contrôle d’accès au bâtiment C",
        status=ActionStatus.in_progress,
        progress=40,
    )
    factory.action(
        world.body,
        world.organisation,
        "Patrouilles renforcées rue Jean-Jaurès",
        kind=ActionKind.deterrent,
        status=ActionStatus.proposed,
        due_in_days=-4,
    )
    factory.action(world.body, housing, "Nettoyage des caves", status=ActionStatus.done)

    _log_in(page, live_server, "secretary@example.org")
    page.goto(f"{live_server}/meetings/{meeting.id}")
    item = page.locator(".agenda-item", has_text="Hall du bâtiment B")
    item.get_by_role("link", name=re.compile("Enregistrer une décision comme action")).click()
    # No decision typed under the item yet: the title waits for one (never the item's title).
    expect(page.get_by_label("Titre")).to_have_value("")
    page.get_by_label("Titre").fill("Tournées de médiation au pied du bâtiment B")
    page.get_by_label("Organisation pilote").select_option(label="Police nationale")
    page.get_by_label("Responsable").select_option(label="Marc Membre (Police nationale)")
    page.get_by_label("Échéance").fill((date.today() + timedelta(days=21)).isoformat())
    page.get_by_role("button", name="Enregistrer l’action").click()
    page.get_by_text("La décision est enregistrée comme action.").wait_for()
    # The message comes under the item's title row, not squeezed in beside its buttons.
    said = page.locator(".agenda-item > .flashes--in-part", has_text="La décision est enregistrée")
    expect(said).to_have_count(1)
    expect(page.locator(".agenda-item", has_text="Hall du bâtiment B")).to_contain_text(
        "Tournées de médiation"
    )

    # The lead partner: on the board, drag the card to "in progress", then done by keyboard.
    _log_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/bodies/{world.body.id}/actions")
    card = page.locator(".board-card", has_text="Tournées de médiation")
    expect(card).to_be_visible()
    card.locator(".board-card__meta").first.drag_to(page.locator(".board__column--in_progress"))
    column = page.locator(".board__column--in_progress")
    expect(column.locator(".board-card", has_text="Tournées de médiation")).to_be_visible()
    focused = page.evaluate("document.activeElement && document.activeElement.textContent")
    assert "Tournées de médiation" in focused  # focus follows the card moved
    for width, viewport in (
        ("desktop", {"width": 1400, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(screenshot_dir / f"actions-board-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    done = column.locator(".board-card", has_text="Tournées de médiation").get_by_role(
        "button", name=re.compile("Marquer réalisée")
    )
    done.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".board__column--done .board-card", has_text="Tournées de médiation")).to_be_visible()

    page.locator(".board__column--done").get_by_role(
        "link", name="Tournées de médiation au pied du bâtiment B"
    ).click()
    page.get_by_label("Ce qui a été fait").fill(
        "Tournées chaque vendredi de 18 h à 22 h pendant trois semaines."
    )
    page.get_by_label("Effet observé").select_option(label="Positif")
    page.get_by_label("Indicateur").fill("−40 % de signalements en trois semaines")
    page.get_by_role("button", name="Enregistrer l’évaluation").click()
    page.get_by_text("L’évaluation est enregistrée.").wait_for()
    expect(page.locator("#evaluation")).to_contain_text("−40 % de signalements")
    page.screenshot(path=str(screenshot_dir / "action-desktop.png"), full_page=True)
    # An update posted on a phone: focus, and the screen, go to the follow-up and its message
    # (focus fell to the page's body, the message a screen and a half above).
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Publier un point d’avancement").fill("Bilan partagé avec le bailleur.")
    page.get_by_role("button", name="Publier la mise à jour").click()
    expect(page.locator("#history")).to_contain_text("Bilan partagé avec le bailleur.")
    expect(page.locator("#history-title")).to_be_focused()
    expect(page.locator("#history").get_by_text("Votre mise à jour est publiée.")).to_be_in_viewport()
    page.set_viewport_size({"width": 1280, "height": 900})

    # The next meeting's follow-up item shows it, with what changed since the last meeting.
    page.goto(f"{live_server}/meetings/{following.id}")
    follow_up = page.locator(".agenda-item", has_text="Suivi des actions")
    expect(follow_up).to_contain_text("Tournées de médiation au pied du bâtiment B")
    expect(follow_up).to_contain_text("Réalisée")
    expect(follow_up).to_contain_text("Évaluée")
