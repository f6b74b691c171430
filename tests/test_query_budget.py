"""Bounded queries per page (issue 15): each main page sends at most BUDGET SQL statements, as
the coordinator (every body) and as a partner (a member from another organisation), and the same
number whether the bodies hold a few records or many times more (no query per row). What every
request needs is read once (the person, their standing, a body's access, the categories,
sectors and organisations: ``db.remembered``); docs/performance.md has each page's count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.factories import Factory, World
from veille.actions.enums import ActionStatus
from veille.actions.models import Action
from veille.bodies.enums import BodyKind, MemberRole
from veille.db import DbSession
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.meetings.models import AgendaItem
from veille.situations.enums import Confidentiality
from veille.situations.models import SituationUpdateRecord
from veille.strategy.models import (
    IndicatorValue,
    ObjectiveAction,
    ObjectiveBody,
    Strategy,
    StrategyAxis,
    StrategyIndicator,
    StrategyObjective,
)

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
    "a body's meetings": "/bodies/{body}/meetings",
    "a GLTD follow-up": "/bodies/{group}/group",
    "statistics": "/stats",
    "activity": "/activity",
    "the strategy": "/strategies/{strategy}",
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


def _strategy(factory: Factory, world: World) -> int:
    """A plenary's strategy (the partner is a member of the plenary): three axes of two
    objectives, each with an indicator and its values."""
    plenary = factory.body("CLSPD", kind=BodyKind.plenary)
    factory.member(plenary, world.member, MemberRole.member)
    strategy = factory._save(
        Strategy(body_id=plenary.id or 0, title="Stratégie", starts_year=2024, ends_year=2027)
    )
    for n in range(3):
        axis = factory._save(StrategyAxis(strategy_id=strategy.id or 0, position=n + 1, title=f"Axe {n}"))
        for m in range(2):
            objective = factory._save(
                StrategyObjective(axis_id=axis.id or 0, position=m + 1, title=f"Objectif {m}")
            )
            indicator = factory._save(StrategyIndicator(objective_id=objective.id or 0, name="Indicateur"))
            for year in (2024, 2025):
                factory._save(IndicatorValue(indicator_id=indicator.id or 0, year=year, value=year - 2000))
            factory._save(ObjectiveBody(objective_id=objective.id or 0, body_id=world.body.id or 0))
    return strategy.id or 0


def _attach(factory: Factory) -> None:
    """Every action not yet attached goes to an objective of the strategy, in turn."""
    objectives = factory.session.exec(select(StrategyObjective.id)).all()
    attached = set(factory.session.exec(select(ObjectiveAction.action_id)).all())
    for n, action_id in enumerate(factory.session.exec(select(Action.id)).all()):
        if action_id not in attached:
            factory._save(
                ObjectiveAction(objective_id=objectives[n % len(objectives)] or 0, action_id=action_id or 0)
            )


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
    ids["strategy"] = _strategy(factory, world)
    _attach(factory)
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
    _attach(factory)
    large = measure()
    assert large == small, "a page's queries grow with its rows"
    over = {page: n for page, n in small.items() if n > BUDGET}
    assert not over, f"over budget as {persona}: {over}"


@pytest.mark.parametrize("persona", ["coordinator", "member"])
def test_reading_a_page_changes_no_row_it_read(
    persona: str, world: World, factory: Factory, group: Any, client_for: Any, queries: Any
) -> None:
    """A page decorates what it read without changing it: an attribute set on a row loaded for
    display (an author's organisation) made it a change the session worked through before each
    of its next queries, a flush for nothing. (Home's visit, a row it writes, is new at a first
    visit: an update comes half an hour after the last.)"""
    ids = _fill(factory, world, group, 2) | {"body": world.body.id or 0, "group": group.id or 0}
    ids["strategy"] = _strategy(factory, world)
    client = client_for(world.persona(persona))  # ``queries``: pages rendered, not kept
    changed: list[tuple[str, str]] = []
    reading = [""]  # the page read, for the failure to name it

    def note(session: Any, _context: Any, _instances: Any) -> None:
        changed.extend((reading[0], type(row).__name__) for row in session.dirty)

    event.listen(DbSession, "before_flush", note)
    try:
        for page, address in PAGES.items():
            reading[0] = page
            assert client.get(address.format(**ids), follow_redirects=True).status_code == 200
    finally:
        event.remove(DbSession, "before_flush", note)
    assert not changed


def _second_view(client: Any, url: str, queries: Any) -> int:
    """The statements of a page's second view (the first may warm what a process keeps)."""
    client.get(url)
    with queries() as log:
        assert client.get(url).status_code == 200
    return int(log.count)


def test_referring_a_report_stays_within_the_budget_at_two_sizes(
    world: World, factory: Factory, group: Any, client_for: Any, queries: Any
) -> None:
    """The referral form (its managers' page): the bodies offered and the report's referrals."""
    ids = _fill(factory, world, group, 1)
    client = client_for(world.coordinator)
    url = f"/situations/{ids['situation']}/refer"

    def refer(count: int) -> None:
        for n in range(count):
            body = factory.body(f"Cellule {count}-{n}")
            assert client.form(url, {"body_id": str(body.id), "reason": "Suivi"}).status_code == 303

    refer(1)
    small = _second_view(client, url, queries)
    refer(6)
    assert _second_view(client, url, queries) == small <= BUDGET


def test_an_agenda_items_form_stays_within_the_budget_at_two_sizes(
    world: World, factory: Factory, group: Any, client_for: Any, queries: Any
) -> None:
    """An agenda item's edit form (its body's managers, loaded when they open the item): the
    reports and open actions it may link."""
    ids = _fill(factory, world, group, 1)
    item = factory.session.exec(select(AgendaItem.id).where(AgendaItem.meeting_id == ids["meeting"])).one()
    client = client_for(world.chair)
    url = f"/agenda-items/{item}/edit"

    small = _second_view(client, url, queries)
    _fill(factory, world, group, 6)
    assert _second_view(client, url, queries) == small <= BUDGET
