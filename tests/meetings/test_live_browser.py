"""The live meeting room in real headless Chromium (issue 16): the secretary and a member have
the meeting page open; what the secretary types appears on the member's page without a reload,
recording presence changes both headers, and the presentation screen follows the secretary.
Screenshots (laptop and phone) go to test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import Factory, World
from tests.test_pages_phone import LAPTOP, PHONE, log_in
from veille.directory.models import User
from veille.meetings.enums import MeetingStatus

pytestmark = pytest.mark.browser


def test_a_note_typed_by_the_secretary_appears_on_a_members_screen(
    page: Any, browser: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    # In an hour: presence can be recorded (from two hours before the start).
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=1 / 24)
    item = factory.item(meeting, "Point de situation du quartier", 1)
    factory.item(meeting, "Rodéos motorisés", 2)
    for person in (world.secretary, world.member):
        factory.invite(meeting, person)
    url = f"{live_server}/meetings/{meeting.id}"

    member = _beside(browser, live_server, world.member)
    try:
        log_in(page, live_server, world.secretary.email)
        fetched: list[str] = []
        member.on("request", lambda request: fetched.append(request.url) if "/live/" in request.url else None)
        page.goto(url)
        member.goto(url)
        # Each sees who is looking, the other included.
        expect(member.locator(".live-presence")).to_contain_text("Sophie Secrétaire")
        expect(page.locator(".live-presence")).to_contain_text("Marc Membre")

        page.locator(f"#notes-{item.id}").press_sequentially("Calme depuis la fermeture du hall.")
        minutes = member.locator(f"#item-{item.id} .agenda-item__minutes")
        expect(minutes).to_contain_text("Calme depuis la fermeture du hall.")
        # Each save of the notes fetched the items' minutes, never the whole agenda again.
        assert any("/live/notes" in u for u in fetched) and not any("/live/agenda" in u for u in fetched)
        assert page.locator(f"#notes-{item.id}").input_value() == "Calme depuis la fermeture du hall."

        status = member.locator(".meeting-summary__facts")
        expect(status).to_contain_text("Convoquée")
        watch_focus = "() => { window.moved = []; addEventListener('focusin', e => moved.push(e.target.id)) }"
        member.evaluate(watch_focus)
        with member.expect_response(lambda answer: "/live/attendance" in answer.url):
            page.locator(".tally__bulk button").click()
        expect(status).to_contain_text("Tenue")
        # The member's parts read again took no focus: theirs was on nothing they replaced.
        member.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
        assert member.evaluate("() => moved") == []
        # Its minutes wait for the meeting to begin (in an hour) before they may be approved.
        expect(page.get_by_role("button", name="Approuver le compte rendu")).to_have_count(0)
        expect(page.get_by_role("button", name="Annuler la réunion")).to_have_count(0)
        # One save message at a time.
        expect(page.locator("#flashes .flash")).to_have_count(1)
        page.screenshot(path=str(screenshot_dir / "live-meeting-secretary.png"), full_page=True)

        # The projector follows the secretary's item.
        member.goto(f"{url}/present")
        expect(member.locator(".present__title")).to_have_text("Point de situation du quartier")
        expect(member.locator(".site-header")).to_be_hidden()  # the item takes the projector's screen
        page.goto(f"{url}/present")
        page.get_by_role("button", name="Point suivant").click()
        expect(member.locator(".present__title")).to_have_text("Rodéos motorisés")
        # The secretary's focus stays on the buttons (it fell to the page's body).
        expect(page.locator(".present__title")).to_have_text("Rodéos motorisés")
        expect(page.locator(".present__controls button:focus")).to_have_count(1)
        member.screenshot(path=str(screenshot_dir / "live-present-1366.png"))
        member.set_viewport_size(PHONE)
        member.screenshot(path=str(screenshot_dir / "live-present-390.png"), full_page=True)
        member.goto(url)
        member.screenshot(path=str(screenshot_dir / "live-meeting-390.png"), full_page=True)
    finally:
        member.context.close()


def test_a_change_saved_on_the_page_is_not_fetched_again_when_its_own_event_arrives(
    page: Any, live_server: str, world: World, factory: Factory
) -> None:
    """The item saved answers the agenda with its message; the stream's event for that same save
    must not fetch the agenda again (it wiped the message at once under load). A change made in
    another tab still refreshes it, once."""
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=7)
    first = factory.item(meeting, "Point de situation du quartier", 1)
    second = factory.item(meeting, "Rodéos motorisés", 2)
    url = f"{live_server}/meetings/{meeting.id}"
    log_in(page, live_server, world.secretary.email)
    page.add_init_script(
        "window.veilleTold = 0;"
        "document.addEventListener('htmx:sseMessage', function () { window.veilleTold += 1; });"
    )
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if "/live/agenda" in request.url else None)
    page.goto(url)

    _save_presenter(page, first.id, "Police municipale")
    expect(page.get_by_text("Le point est enregistré.")).to_be_visible()
    page.wait_for_function("window.veilleTold >= 1")  # the save's own event has come
    expect(page.get_by_text("Le point est enregistré.")).to_be_visible()
    assert fetched == []

    other = page.context.new_page()
    other.goto(url)
    # Focus on a control without an id, which the agenda read again replaces: it stays about
    # there, never sent to the agenda's heading screens away.
    page.locator(f"#item-{first.id} summary").focus()
    _save_presenter(other, second.id, "Bailleur social")
    expect(page.locator(f"#item-{second.id}")).to_contain_text("Présenté par Bailleur social")
    assert len(fetched) == 1
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    assert page.evaluate("() => document.activeElement.id") != "agenda-title"
    other.close()


def _save_presenter(page: Any, item_id: int | None, presenter: str) -> None:
    item = page.locator(f"#item-{item_id}")
    item.get_by_text("Modifier, reporter ou retirer ce point").click()
    item.get_by_label("Intervenant·e").fill(presenter)
    item.get_by_role("button", name="Enregistrer le point").click()


def test_notes_saved_by_one_who_edits_reach_the_other_without_taking_what_they_type(
    page: Any, browser: Any, live_server: str, world: World, factory: Factory
) -> None:
    """The chair and the secretary both edit the notes: what one saves appears in the other's
    form, with its version (the other's next save is taken, not refused as stale), but never over
    text the other has typed and not saved yet."""
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=1 / 24)
    first = factory.item(meeting, "Point de situation du quartier", 1)
    second = factory.item(meeting, "Rodéos motorisés", 2)
    url = f"{live_server}/meetings/{meeting.id}"
    chair = _beside(browser, live_server, world.chair)
    try:
        log_in(page, live_server, world.secretary.email)
        page.goto(url)
        chair.goto(url)
        expect(chair.locator(".live-presence")).to_contain_text("Sophie Secrétaire")

        page.locator(f"#notes-{first.id}").press_sequentially("Calme depuis la fermeture du hall.")
        expect(chair.locator(f"#notes-{first.id}")).to_have_value("Calme depuis la fermeture du hall.")
        expect(chair.locator(f"#notes-status-{first.id}")).to_contain_text("Enregistré à")
        # The chair's save builds on the secretary's: taken, and back on the secretary's page.
        chair.locator(f"#decisions-{first.id}").fill("Maintenir la patrouille de nuit.")
        chair.locator(f"#notes-save-{first.id}").click()
        expect(page.locator(f"#decisions-{first.id}")).to_have_value("Maintenir la patrouille de nuit.")
        expect(chair.locator(f"#notes-status-{first.id}")).not_to_have_class(re.compile("error"))

        # What the chair types and has not saved yet stays when the secretary's save arrives;
        # the chair's save is held on its way, so that the secretary's comes first.
        held: list[Any] = []
        chair.route(f"**/agenda-items/{second.id}/notes", lambda route: held.append(route))
        with chair.expect_request(lambda request: f"/agenda-items/{second.id}/notes" in request.url):
            chair.locator(f"#notes-{second.id}").fill("Brouillon du président")
        with chair.expect_response(lambda answer: answer.url.endswith("/live/notes")):
            page.locator(f"#notes-{second.id}").fill("Trois rodéos signalés en novembre.")
            page.locator(f"#notes-save-{second.id}").click()
        chair.wait_for_function("() => !document.querySelector('[hx-get$=\"/live/notes\"].htmx-request')")
        assert chair.locator(f"#notes-{second.id}").input_value() == "Brouillon du président"
        # Its save then reaches the server, refused as a conflict, never written over the text.
        held[0].continue_()
        expect(chair.locator(f"#notes-status-{second.id}")).to_contain_text("Quelqu’un d’autre a enregistré")
        expect(page.locator(f"#notes-{second.id}")).to_have_value("Trois rodéos signalés en novembre.")
        assert chair.locator(f"#notes-{second.id}").input_value() == "Brouillon du président"
        # Refused, the chair's text stays until copied: the secretary's next save replaces it not.
        with chair.expect_response(lambda answer: answer.url.endswith("/live/notes")):
            page.locator(f"#notes-{second.id}").fill("Trois rodéos signalés en novembre et décembre.")
            page.locator(f"#notes-save-{second.id}").click()
        chair.wait_for_function("() => !document.querySelector('[hx-get$=\"/live/notes\"].htmx-request')")
        assert chair.locator(f"#notes-{second.id}").input_value() == "Brouillon du président"
        expect(chair.locator(f"#notes-status-{second.id}")).to_contain_text("Quelqu’un d’autre a enregistré")
    finally:
        chair.context.close()


def _beside(browser: Any, live_server: str, user: User) -> Any:
    """A second person's browser, with cookies of its own, logged in (close its context after)."""
    other = browser.new_context(locale="fr-FR", viewport=LAPTOP).new_page()
    other.set_default_timeout(10_000)
    log_in(other, live_server, user.email)
    return other
