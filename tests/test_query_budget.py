"""Bounded queries per page (issue 15): each main page sends at most BUDGET SQL statements, as
the coordinator (every body) and as a partner (a member from another organisation), and the same
number whether the bodies hold a few records or many times more (no query per row). What every
request needs is read once (the person, their standing, a body's access, the categories,
sectors and organisations: ``db.remembered``); docs/performance.md has each page's count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.factories import Factory, World
from veille.actions.enums import ActionStatus
from veille.bodies.enums import BodyKind, MemberRole
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.situations.enums import Confidentiality
from veille.situations.models import SituationUpdateRecord

BUDGET = 12
PAGES = {
    "home": "/",
    "a body": "/bodies/{body}",
    "its dashboard": "/bodies/{body}/dashboard",
    "feed": "/situations",
    "feed, filtered": "/situations?body_id={body}&status=open",
    "feed, search": "/situations?q=hall",
    "a report": "/situations/{situation}",
    "map": "/map",
    "map data": "/map/data",
    "action table": "/actions",
    "a board": "/bodies/{body}/actions",
    "a meeting": "/meetings/{meeting}",
    "a GLTD follow-up": "/bodies/{group}/group",
    "statistics": "/stats",
    "activity": "/activity",
}


def _fill(factory: Factory, world: World, group: Any, rounds: int) -> dict[str, int]:
    """``rounds`` times: reports (one confidential, with updates), actions of every status with
    partners and linked reports, and a held meeting with items, answers and decisions."""
    ids: dict[str, int] = {}
    for n in range(rounds):
        for body in (world.body, group):
            report = factory.situation(body, world.member, f"Hall occupé {n}", latitude=47.5, longitude=1.3)
            factory.situation(
                body,
                world.chair,
                f"Hall signalé {n}",
                confidentiality=Confidentiality.restricted,
                latitude=47.6,
                longitude=1.2,
            )
            for text in ("Passage de la patrouille.", "Rencontre avec le bailleur."):
                factory._save(SituationUpdateRecord(situation_id=report.id or 0, text=text))
            meeting = factory.meeting(body, in_days=-7 - n, status=MeetingStatus.held)
            item = factory.item(meeting, f"Point {n}", decisions="Médiation renforcée.")
            for user in (world.chair, world.member, world.coordinator):
                factory.invite(meeting, user, AttendanceStatus.present)
            for status in ActionStatus:
                factory.action(
                    body,
                    world.organisation,
                    f"Action {n} {status}",
                    status=status,
                    owner=world.member,
                    partners=[world.organisation],
                    situations=[report],
                    meeting_id=meeting.id,
                    agenda_item_id=item.id,
                )
            ids.setdefault("situation", report.id or 0)
            ids.setdefault("meeting", meeting.id or 0)
    return ids


@pytest.fixture
def group(factory: Factory, world: World) -> Any:
    body = factory.body("GLTD des Tilleuls", kind=BodyKind.crime_treatment_group, sectors=[world.sector])
    body.starts_on = date.today() - timedelta(days=40)
    body.ends_on = date.today() + timedelta(days=60)
    factory._save(body)
    factory.member(body, world.chair, MemberRole.chair)
    factory.member(body, world.member, MemberRole.member)
    return body


@pytest.mark.parametrize("persona", ["coordinator", "member"])
def test_every_main_page_stays_within_its_query_budget_at_two_sizes(
    persona: str, world: World, factory: Factory, group: Any, client_for: Any, queries: Any
) -> None:
    ids = _fill(factory, world, group, 1) | {"body": world.body.id or 0, "group": group.id or 0}
    client = client_for(world.persona(persona))

    def measure() -> dict[str, int]:
        found = {}
        for page, address in PAGES.items():
            url = address.format(**ids)
            first = client.get(url)  # a first visit may warm what a process keeps
            if first.status_code == 303:  # /activity takes a partner to their organisation's
                url = first.headers["location"]
                client.get(url)
            with queries() as log:
                answer = client.get(url)
            assert answer.status_code == 200, (page, answer.status_code)
            found[page] = log.count
        return found

    small = measure()
    _fill(factory, world, group, 6)
    large = measure()
    assert large == small, "a page's queries grow with its rows"
    over = {page: n for page, n in small.items() if n > BUDGET}
    assert not over, f"over budget as {persona}: {over}"
