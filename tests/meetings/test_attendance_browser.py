"""The meeting day in a real headless Chromium (issue 17): the secretary records presence with
"all present" then one exception, and leaving the page with notes not saved yet asks first;
screenshots at laptop and phone widths go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.factories import Factory, World
from tests.test_pages_phone import LAPTOP, PHONE, log_in
from veille.meetings.enums import AttendanceStatus, MeetingStatus

pytestmark = pytest.mark.browser


def shoot_attendance(page: Any, path: Path) -> None:
    """Screenshot the attendance block; the live stream may swap in the same block again
    (our own save comes back as an event) while the picture is taken, so a detached element
    is looked up once more."""
    for _ in range(3):
        try:
            page.locator("#attendance").screenshot(path=str(path))
            return
        except PlaywrightError as error:
            if "not attached" not in str(error):
                raise
    raise AssertionError("the attendance block kept being replaced")


def test_presence_in_two_clicks_and_unsaved_notes_warn(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=0.03)
    factory.item(meeting, "Rodéos motorisés")
    factory.invite(meeting, world.chair, AttendanceStatus.excused)
    factory.invite(meeting, world.secretary, AttendanceStatus.confirmed)
    factory.invite(meeting, world.member)
    factory.invite(meeting, world.guest, guest=True)
    log_in(page, live_server, world.secretary.email)
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server}/meetings/{meeting.id}")
    tally = page.locator("#attendance-tally")
    expect(tally).to_contain_text("0 présent sur 4")
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        shoot_attendance(page, screenshot_dir / f"attendance-before-{name}.png")

    page.set_viewport_size(LAPTOP)
    page.get_by_role("button", name="Tous présents").click()
    expect(tally).to_contain_text("3 présents sur 4")
    page.get_by_role("button", name=f"Absent·e – {world.guest.name}").click()
    expect(tally).to_contain_text("2 présents sur 4")
    expect(page.get_by_role("button", name=f"Absent·e – {world.guest.name}")).to_have_attribute(
        "aria-pressed", "true"
    )
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        shoot_attendance(page, screenshot_dir / f"attendance-recorded-{name}.png")
    page.set_viewport_size(LAPTOP)

    # Notes typed and not saved yet (the save waits for a pause in typing): leaving asks first,
    # and staying keeps them.
    notes = page.get_by_label("Notes (compte rendu de ce point)").first
    notes.press_sequentially("Trois rodéos dimanche soir")
    asked: list[str] = []

    def stay(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("link", name="Mes réunions").first.click(no_wait_after=True)
    expect(notes).to_have_value("Trois rodéos dimanche soir")
    assert asked == ["beforeunload"]
    assert page.url.endswith(f"/meetings/{meeting.id}")
    # Once saved, leaving asks nothing.
    page.locator(".agenda-item").first.get_by_text("Enregistré à").wait_for()
    page.get_by_role("link", name="Mes réunions").first.click()
    page.wait_for_url(f"{live_server}/meetings")
    expect(page.get_by_role("heading", name="Réunions passées")).to_be_visible()
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(screenshot_dir / f"my-meetings-{name}.png"), full_page=True)
