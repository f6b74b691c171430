"""The meeting page on a phone (390 × 844), in a real headless Chromium: an invited member
reaches the answer form from the top of the page in one tap, however long the agenda
(issue 17: the answer form was six screens down); on the meeting's day, the secretary reaches
the presence to record the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.factories import Factory, World
from tests.test_pages_phone import PHONE, log_in
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import Meeting

pytestmark = pytest.mark.browser


def _long_agenda(factory: Factory, world: World, *, in_days: float) -> Meeting:
    """A convened meeting of the body with ten agenda items, its chair, secretary and member
    invited: a page several screens long on a phone."""
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=in_days)
    for n in range(1, 11):
        factory.item(meeting, f"Point {n} : situation du secteur et des halls d'immeubles", position=n)
    for user in (world.chair, world.secretary, world.member):
        factory.invite(meeting, user)
    return meeting


def test_an_invited_member_reaches_the_answer_from_the_top_on_a_phone(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    meeting = _long_agenda(factory, world, in_days=7)
    log_in(page, live_server, "member@example.org")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/meetings/{meeting.id}")
    answer = page.get_by_label("Je serai présent·e")
    assert answer.bounding_box()["y"] > 2 * PHONE["height"]  # a long page: the form is far down
    link = page.get_by_role("link", name="Répondre à l’invitation")
    assert link.bounding_box()["y"] + link.bounding_box()["height"] < PHONE["height"]  # first screen
    link.click()
    expect(answer).to_be_in_viewport()
    page.screenshot(path=str(screenshot_dir / "meeting-answer-phone.png"))


def test_the_secretary_reaches_the_presence_from_the_top_on_the_meetings_day(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    meeting = _long_agenda(factory, world, in_days=1 / 48)  # it begins in 30 minutes
    log_in(page, live_server, "secretary@example.org")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/meetings/{meeting.id}")
    all_present = page.get_by_role("button", name="Tous présents")
    assert all_present.bounding_box()["y"] > 2 * PHONE["height"]  # after the whole agenda
    expect(page.get_by_role("link", name="Répondre à l’invitation")).to_have_count(0)
    link = page.get_by_role("link", name="Noter les présences")
    assert link.bounding_box()["y"] + link.bounding_box()["height"] < PHONE["height"]  # first screen
    link.click()
    expect(all_present).to_be_in_viewport()
    page.screenshot(path=str(screenshot_dir / "meeting-presence-phone.png"))
