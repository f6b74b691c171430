"""What issue 17 asked of the homes and of the paths around them: a chair's home shows the
overdue actions of the bodies she chairs (not only those in her name); the prosecutor's home
shows each crime-treatment group's end date and days left; a member with a charter to accept
is told so on their home, and a venue of that body takes them to the charter (not a bare 403);
a handed-over action's breadcrumb links only to pages its reader opens."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from tests.factories import Factory, World
from veille.bodies.enums import BodyKind, MemberRole
from veille.venues.models import Venue


def _section(html: str, start: str, end: str = "</section>") -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_a_chairs_home_shows_the_overdue_actions_of_her_bodies(
    client_for: Any, world: World, factory: Factory
) -> None:
    late = factory.action(world.body, world.organisation, "Éclairage du parking", due_in_days=-4)
    mine = factory.action(world.body, world.organisation, "Courrier au bailleur", owner=world.chair)
    elsewhere = factory.action(world.other_body, world.organisation, "Médiation gare", due_in_days=-4)

    chair = client_for(world.chair).get("/").text
    chaired = _section(chair, 'id="chaired-title"')
    assert late.title in chaired and mine.title not in chaired
    assert elsewhere.title not in chair  # a body she does not sit in
    assert late.title not in _section(chair, 'id="actions-title"')  # not in her name
    # A member chairs nothing: no such card.
    assert 'id="chaired-title"' not in client_for(world.member).get("/").text


def test_the_prosecutors_home_shows_each_groups_days_left(
    client_for: Any, world: World, factory: Factory
) -> None:
    prosecutor = factory.user("Paule Procureure")
    group = factory.body(
        "GLTD Lilas", kind=BodyKind.crime_treatment_group, ends_on=date.today() + timedelta(days=45)
    )
    factory.member(group, prosecutor, MemberRole.chair)

    html = client_for(prosecutor).get("/").text

    groups = _section(html, 'id="groups-title"')
    assert f'href="/bodies/{group.id}/group"' in groups
    assert re.search(r"4[45] jours restants", groups)  # the city's day may differ from the server's
    assert str(group.ends_on.year) in groups  # type: ignore[union-attr]
    assert 'id="groups-title"' not in client_for(world.member).get("/").text


def test_a_pending_charter_is_on_the_home_and_guards_the_venues(
    client_for: Any, world: World, factory: Factory
) -> None:
    copil = factory.body("COPIL vie nocturne", kind=BodyKind.nightlife_copil, charter_required=True)
    factory.member(copil, world.member)
    factory.charter(copil)
    venue = factory._save(Venue(body_id=copil.id, name="Le Zinc"))
    member = client_for(world.member)

    home = member.get("/").text
    charters = _section(home, 'id="charters-title"')
    assert f'href="/bodies/{copil.id}/charter"' in charters and "charte de l’instance" in charters.lower()

    gate = member.get(f"/venues/{venue.id}")
    assert gate.status_code == 303 and gate.headers["location"] == f"/bodies/{copil.id}/charter"
    charter = member.get(gate.headers["location"]).text
    assert "Cet établissement relève d’une instance dont vous n’avez pas encore accepté la charte" in charter
    assert f'action="/bodies/{copil.id}/charter/accept"' in charter
    # Outside the body, the venue stays unknown.
    assert client_for(world.other).get(f"/venues/{venue.id}").status_code == 404
    factory.accept(copil, world.member)
    assert member.get(f"/venues/{venue.id}").status_code == 200
    assert 'id="charters-title"' not in member.get("/").text


def test_a_handed_over_actions_breadcrumb_opens_for_its_reader(
    client_for: Any, world: World, factory: Factory
) -> None:
    action = factory.action(world.body, world.organisation, "Médiation au pied du bâtiment B")
    coordinator = client_for(world.coordinator)
    referred = coordinator.form(f"/actions/{action.id}/refer", {"body_id": str(world.other_body.id)})
    assert referred.status_code == 303
    member = client_for(world.member)

    page = member.get(f"/actions/{action.id}")

    assert page.status_code == 200
    crumbs = _section(page.text, 'class="breadcrumbs"', "</nav>")
    links = re.findall(r'href="([^"]+)"', crumbs)
    assert links and f"/bodies/{world.other_body.id}" not in crumbs
    for href in links:
        assert member.get(href).status_code == 200, href
    # A member of the new body (world.other sits in it) still gets the body's links.
    theirs = _section(
        client_for(world.other).get(f"/actions/{action.id}").text, 'class="breadcrumbs"', "</nav>"
    )
    assert f'href="/bodies/{world.other_body.id}/actions"' in theirs


def test_the_staff_outside_every_body_is_not_told_to_wait_for_one(
    client_for: Any, world: World, factory: Factory
) -> None:
    """The admin's home listed the meetings and reports of the bodies they follow, then said they
    were a member of none yet, to be added by their coordinator (walkthrough)."""
    staff = client_for(world.admin).get("/").text
    assert "vous les suivez depuis leur liste, au titre de la coordination" in staff
    assert "C’est la coordination qui vous ajoute" not in staff
    newcomer = factory.user("Nouvelle Venue", organisation=world.organisation)
    assert "C’est la coordination qui vous ajoute" in client_for(newcomer).get("/").text
