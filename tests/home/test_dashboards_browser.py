"""The dashboards in a real headless Chromium, on a body's year of work: a partner's home page
(desktop and phone) and the chair's body dashboard. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, Factory, World
from veille.actions.enums import ActionKind, ActionStatus
from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body
from veille.directory.enums import OrganisationKind
from veille.directory.models import User
from veille.home.models import HomeVisit
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.meetings.models import Meeting
from veille.orm import utcnow
from veille.situations.enums import Confidentiality, ProblemStatus

pytestmark = pytest.mark.browser
PARIS = ZoneInfo("Europe/Paris")


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


# (title, category, days ago it happened, severity): the centre watch cell's year.
YEAR = [
    ("Regroupement dans le hall du bâtiment B", "hall_occupation", 5, 2),
    ("Hall du 12 rue Voltaire occupé le soir", "hall_occupation", 19, 2),
    ("Squat de la cage d'escalier, bâtiment C", "hall_occupation", 48, 3),
    ("Regroupement bruyant, parking Nord", "hall_occupation", 77, 2),
    ("Hall du bâtiment B, dégradations", "hall_occupation", 110, 2),
    ("Occupation du hall, résidence des Lilas", "hall_occupation", 140, 2),
    ("Hall occupé, bâtiment A", "hall_occupation", 200, 1),
    ("Point de revente au pied du bâtiment C", "drug_dealing", 12, 4),
    ("Guetteurs à l'entrée du parking Nord", "drug_dealing", 66, 3),
    ("Trafic signalé square Jean-Moulin", "drug_dealing", 150, 3),
    ("Rodéo urbain avenue de la République", "urban_rodeo", 9, 3),
    ("Motos sur le parvis de la médiathèque", "urban_rodeo", 38, 3),
    ("Rodéo urbain rue Jean-Jaurès", "urban_rodeo", 71, 3),
    ("Quads sur le terrain de sport", "urban_rodeo", 250, 2),
    ("Tapage nocturne place du Marché", "noise_nightlife", 25, 2),
    ("Musique forte devant le bar Le Central", "noise_nightlife", 100, 2),
    ("Nuisances en terrasse rue de la Gare", "noise_nightlife", 290, 1),
    ("Tags sur le mur de l'école Jules-Ferry", "public_space_damage", 33, 1),
    ("Abribus vandalisé avenue de la République", "public_space_damage", 130, 2),
    ("Poubelles incendiées rue Voltaire", "public_space_damage", 180, 3),
    ("Éclairage public détruit, parking Nord", "public_space_damage", 320, 2),
    ("Bagarre à la sortie du collège", "violence", 55, 3),
    ("Altercation au marché", "violence", 230, 2),
    ("Stationnement dangereux devant l'école", "road_safety", 88, 2),
    ("Vitesse excessive rue de la Gare", "road_safety", 270, 2),
]


def _centre_cell(factory: Factory, world: World) -> dict[str, User]:
    """The centre watch cell's partners, a year of reports, problem files, actions and meetings."""
    municipal = factory.organisation("Police municipale", OrganisationKind.municipal_police)
    housing = factory.organisation("Habitat 93", OrganisationKind.housing_provider)
    school = factory.organisation("Collège Jean-Moulin", OrganisationKind.education)
    mediation = factory.organisation("Médiation sociale", OrganisationKind.mediation)
    people = {
        "municipal": factory.user("Inès Garnier", organisation=municipal),
        "housing": factory.user("Paul Lemaire", organisation=housing),
        "school": factory.user("Nadia Benali", organisation=school),
        "mediation": factory.user("Sam Diallo", organisation=mediation),
    }
    for user in people.values():
        factory.member(world.body, user)
    authors = [people["municipal"], world.member, people["housing"], world.secretary, people["school"]]
    now = utcnow()
    posted = {}
    for n, (title, category, days, severity) in enumerate(YEAR):
        posted[title] = factory.situation(
            world.body,
            authors[n % len(authors)],
            title,
            category=category,
            days_ago=days,
            severity=severity,
            sector_id=world.sector.id,
            created_at=now - timedelta(days=days, hours=-2),
        )
    # Restricted reports that the chair reads, and social ones that everyone else sees as stubs.
    for days in (15, 60, 120):
        factory.situation(
            world.body,
            world.member,
            "Trafic organisé, réseau identifié",
            category="drug_dealing",
            confidentiality=Confidentiality.restricted,
            days_ago=days,
            created_at=now - timedelta(days=days),
        )
    for days in (30, 95):
        factory.situation(
            world.body,
            people["mediation"],
            "Famille en grande difficulté",
            category="vulnerable_person",
            confidentiality=Confidentiality.social,
            days_ago=days,
            sector_id=world.sector.id,
            created_at=now - timedelta(days=days),
        )

    halls = [posted[title] for title, category, *_ in YEAR if category == "hall_occupation"][:4]
    problem = factory.problem(world.body, "Halls de la résidence des Tilleuls", halls)
    problem.status = ProblemStatus.response
    factory._save(problem)
    rodeos = [posted["Rodéo urbain avenue de la République"], posted["Rodéo urbain rue Jean-Jaurès"]]
    problem = factory.problem(world.body, "Rodéos motorisés du secteur Centre", rodeos)
    problem.status = ProblemStatus.analysis
    factory._save(problem)
    closed = factory.problem(world.body, "Nuisances du marché (réglé)")
    closed.status = ProblemStatus.closed
    factory._save(closed)

    police, city = world.organisation, world.chair.organisation
    for title, lead, kind, status, due, progress in (
        (
            "Patrouilles renforcées rue Jean-Jaurès",
            police,
            ActionKind.deterrent,
            ActionStatus.in_progress,
            -4,
            60,
        ),
        (
            "Contrôle d'accès au bâtiment C",
            factory.organisation("Bailleur Habitat"),
            ActionKind.preventive,
            ActionStatus.in_progress,
            -11,
            30,
        ),
        ("Médiation de rue le vendredi soir", city, ActionKind.preventive, ActionStatus.planned, 20, 0),
        ("Barrières anti-rodéo parking Nord", city, ActionKind.preventive, ActionStatus.proposed, 45, 0),
        ("Opération de contrôle des deux-roues", police, ActionKind.repressive, ActionStatus.planned, 12, 10),
        ("Éclairage du parking Nord", city, ActionKind.preventive, ActionStatus.done, -30, 100),
        ("Enlèvement des épaves", police, ActionKind.deterrent, ActionStatus.done, -60, 100),
        ("Vidéoprotection square Jean-Moulin", city, ActionKind.deterrent, ActionStatus.abandoned, -90, 0),
        (
            "Interpellations point de deal bâtiment C",
            police,
            ActionKind.repressive,
            ActionStatus.done,
            -15,
            100,
        ),
    ):
        # A done action's progress is 100 (the factory sets it).
        extra = {"progress": progress} if status != ActionStatus.done else {}
        factory.action(world.body, lead, title, kind=kind, status=status, due_in_days=due, **extra)

    # Monthly meetings over the last eight months, and who came.
    came = [
        (world.chair, "pppppppp"),
        (world.secretary, "pppppppp"),
        (world.member, "ppprpepa"),
        (people["municipal"], "pppppppp"),
        (people["housing"], "pepapppr"),
        (people["school"], "aeapaeap"),
        (people["mediation"], "ppeppppp"),
    ]
    codes = {
        "p": AttendanceStatus.present,
        "r": AttendanceStatus.represented,
        "e": AttendanceStatus.excused,
        "a": AttendanceStatus.absent,
    }
    for n in range(8):
        status = MeetingStatus.held if n == 0 else MeetingStatus.minutes_approved
        meeting = factory.meeting(world.body, in_days=-14 - 30 * n, status=status)
        for user, answers in came:
            factory.invite(meeting, user, codes[answers[n]])
    return people


def _at(meeting: Meeting, factory: Factory, hour: int) -> Meeting:
    """The meeting at this hour of its day in Paris, for two hours."""
    local = meeting.starts_at.astimezone(PARIS).replace(hour=hour, minute=0, second=0)
    meeting.starts_at = local.astimezone(UTC)
    meeting.ends_at = meeting.starts_at + timedelta(hours=2)
    return factory._save(meeting)  # type: ignore[no-any-return]


def _nightlife(factory: Factory, world: World) -> Body:
    copil = factory.body("COPIL Vie nocturne", kind=BodyKind.nightlife_copil, sectors=[world.sector])
    factory.member(copil, world.member, MemberRole.member)
    factory.member(copil, world.chair, MemberRole.chair)
    return copil


def _member_home(factory: Factory, world: World, people: dict[str, User], copil: Body) -> None:
    """What awaits Marc Membre (police): meetings to answer, his actions, news since his visit
    two days ago."""
    hall, room = "Mairie, salle du conseil", "Hôtel de ville, salle 4"
    soon = _at(
        factory.meeting(world.body, in_days=3, status=MeetingStatus.convened, location=hall), factory, 14
    )
    factory.invite(soon, world.member)
    night = _at(factory.meeting(copil, in_days=9, status=MeetingStatus.convened, location=room), factory, 18)
    factory.invite(night, world.member)
    later = _at(factory.meeting(world.body, in_days=34, location=hall), factory, 14)
    factory.invite(later, world.member, AttendanceStatus.confirmed)
    _at(factory.meeting(copil, in_days=40, location=room), factory, 18)

    police = world.organisation
    for title, body, kind, status, due, progress in (
        (
            "Sécuriser la sortie du collège Jean-Moulin",
            world.body,
            ActionKind.preventive,
            ActionStatus.in_progress,
            -3,
            40,
        ),
        (
            "Contrôles de vitesse rue de la Gare",
            world.body,
            ActionKind.repressive,
            ActionStatus.planned,
            6,
            20,
        ),
        (
            "Rencontre avec le gérant du bar Le Central",
            copil,
            ActionKind.preventive,
            ActionStatus.planned,
            24,
            0,
        ),
        (
            "Présence aux fermetures de la place du Marché",
            copil,
            ActionKind.deterrent,
            ActionStatus.in_progress,
            52,
            65,
        ),
    ):
        factory.action(
            body,
            police,
            title,
            kind=kind,
            status=status,
            owner=world.member,
            due_in_days=due,
            progress=progress,
        )

    now = utcnow()
    for title, body, author, category, hours, severity in (
        ("Rodéo urbain boulevard Gambetta", world.body, people["municipal"], "urban_rodeo", 3, 3),
        ("Bouteilles cassées devant Le Central", copil, world.chair, "noise_nightlife", 20, 2),
        (
            "Tags sur le transformateur rue Voltaire",
            world.body,
            people["housing"],
            "public_space_damage",
            30,
            1,
        ),
        (
            "Regroupement dans le hall du 8 rue Voltaire",
            world.body,
            people["housing"],
            "hall_occupation",
            41,
            2,
        ),
    ):
        factory.situation(
            body,
            author,
            title,
            category=category,
            severity=severity,
            days_ago=hours / 24 + 0.2,
            sector_id=world.sector.id,
            created_at=now - timedelta(hours=hours),
        )
    factory.situation(
        world.body,
        people["mediation"],
        "Jeune en errance",
        category="vulnerable_person",
        confidentiality=Confidentiality.social,
        sector_id=world.sector.id,
        created_at=now - timedelta(hours=26),
    )
    factory._save(HomeVisit(user_id=world.member.id, seen_at=now - timedelta(days=2), previous_seen_at=None))


def test_home_and_body_dashboards_look_finished(
    page: Any, live_server: str, world: World, factory: Factory, screenshot_dir: Path
) -> None:
    people = _centre_cell(factory, world)
    copil = _nightlife(factory, world)
    _member_home(factory, world, people, copil)

    _log_in(page, live_server, "member@example.org")
    figures = page.locator(".dash-figures")
    expect(figures.locator(".dash-figure")).to_have_count(4)
    expect(figures.locator(".dash-figure--attention .dash-figure__value")).to_have_text("2")
    expect(figures.locator(".dash-figure--alert .dash-figure__value")).to_have_text("4")
    expect(figures.locator(".dash-figure--news .dash-figure__value")).to_have_text("5")
    answers = page.locator(".dash-answers .dash-list__item")
    expect(answers).to_have_count(2)
    expect(page.locator(".dash-action--overdue")).to_contain_text("Sécuriser la sortie du collège")
    expect(page.locator(".dash-action--soon")).to_contain_text("Contrôles de vitesse")
    reports = page.locator("#reports-title").locator("xpath=ancestor::section[1]")
    expect(reports.locator(".situation-row")).to_have_count(5)
    expect(reports.locator(".situation-row--stub")).to_have_count(1)
    expect(reports).not_to_contain_text("Jeune en errance")
    page.screenshot(path=str(screenshot_dir / "home-dashboard.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "home-dashboard-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    # Back within half an hour: the same news, as one visit.
    page.reload()
    expect(page.locator(".dash-figure--news .dash-figure__value")).to_have_text("5")
    page.locator(".dash-answers").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/meetings/\d+#attendance$"))

    # The chair opens the centre watch cell, then its dashboard.
    _log_in(page, live_server, "chair@example.org")
    page.goto(f"{live_server}/bodies/{world.body.id}")
    page.locator(f'a[href="/bodies/{world.body.id}/dashboard"]').click()
    expect(page).to_have_url(re.compile(rf"/bodies/{world.body.id}/dashboard$"))
    figures = page.locator(".dash-figures .dash-figure__value")
    # The year's 25 reports, 3 restricted ones the chair reads, 2 social ones seen as stubs, and
    # the 4 of the last days (one of them social).
    expect(figures.nth(0)).to_have_text("34")
    expect(figures.nth(1)).to_have_text("2")
    expect(figures.nth(2)).to_have_text("7")  # the cell's 5 and two of Marc Membre's
    expect(page.locator("#chart-months-title")).to_be_visible()
    expect(page.locator("svg.chart__svg")).to_have_count(3)
    expect(page.locator(".dash-action--overdue")).to_have_count(3)
    expect(page.locator("#chart-attendance-title").locator("xpath=ancestor::figure[1]")).to_contain_text(
        "Police municipale"
    )
    page.set_viewport_size({"width": 1400, "height": 900})
    page.screenshot(path=str(screenshot_dir / "body-dashboard.png"), full_page=True)
