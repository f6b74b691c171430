"""docs/confidentiality.md, rule 3 end to end: a restricted and a social report in a body, seen by each
persona through every page, fragment, API route, search and file that could show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session

from tests.factories import Factory, World
from veille.bodies.enums import MemberRole
from veille.directory.enums import OrganisationKind
from veille.directory.models import User
from veille.situations.enums import Confidentiality
from veille.situations.models import Attachment, Situation, SituationUpdateRecord

RESTRICTED_TITLE = "Zorglub point de deal cage B"
RESTRICTED_TEXT = "Guetteurs nommés dans la cage B"
SOCIAL_TITLE = "Famille Quetzal en grande difficulté"
SOCIAL_TEXT = "Suivi éducatif renforcé"
UPDATE_TEXT = "Confidentiel : audition prévue"

FULL, STUB, NONE = "full", "stub", "none"
# persona: (what it sees of the restricted report, of the social report)
EXPECTED = {
    "chair": (FULL, STUB),
    "secretary": (FULL, STUB),
    "named": (FULL, STUB),  # the police officer: their organisation is named on the restricted one
    "social": (NONE, FULL),  # the social worker: named on the social one only
    "member": (NONE, STUB),  # another member of the body
    "guest": (NONE, NONE),
    "outsider": (NONE, NONE),
    "coordinator": (NONE, STUB),  # sees every body, but is neither chair, secretary nor named
}


@dataclass
class Scene:
    people: dict[str, User]
    restricted: Situation
    social: Situation
    attachments: dict[int, Attachment]


@pytest.fixture
def scene(world: World, factory: Factory, session: Session) -> Scene:
    social_org = factory.organisation("Service social départemental", OrganisationKind.social_services)
    housing = factory.organisation("Office HLM", OrganisationKind.housing_provider)
    social = factory.user("Sarah Sociale", organisation=social_org)
    member = factory.user("Hugo Bailleur", organisation=housing)
    factory.member(world.body, social)
    factory.member(world.body, member)
    restricted = factory.situation(
        world.body,
        world.member,
        RESTRICTED_TITLE,
        description=RESTRICTED_TEXT,
        confidentiality=Confidentiality.restricted,
    )
    social_report = factory.situation(
        world.body,
        social,
        SOCIAL_TITLE,
        description=SOCIAL_TEXT,
        confidentiality=Confidentiality.social,
        sector_id=world.sector.id,
    )
    attachments = {}
    for situation, author in ((restricted, world.member), (social_report, social)):
        session.add(SituationUpdateRecord(situation_id=situation.id, text=UPDATE_TEXT, author_id=author.id))
        attachment = Attachment(
            situation_id=situation.id or 0,
            key=f"k{situation.id}",
            filename="plan.pdf",
            content_type="application/pdf",
            size=10,
            created_by=author.id,
        )
        session.add(attachment)
        session.commit()
        attachments[situation.id or 0] = attachment
    people = {
        "chair": world.chair,
        "secretary": world.secretary,
        "named": world.member,
        "social": social,
        "member": member,
        "guest": world.guest,
        "outsider": world.other,
        "coordinator": world.coordinator,
    }
    return Scene(people, restricted, social_report, attachments)


def _secrets(situation: Situation) -> list[str]:
    return [situation.title, situation.description, UPDATE_TEXT]


def _check_page(text: str, situation: Situation, level: str) -> None:
    for secret in _secrets(situation):
        assert (secret in text) == (level == FULL), (secret, level)


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_every_page_shows_each_report_only_as_far_as_allowed(
    persona: str, scene: Scene, world: World, client_for: Any, settings: Any
) -> None:
    client = client_for(scene.people[persona])
    for situation, level in zip((scene.restricted, scene.social), EXPECTED[persona], strict=True):
        page = client.get(f"/situations/{situation.id}")
        assert page.status_code == (404 if level == NONE else 200)
        if level != NONE:
            _check_page(page.text, situation, level)
            assert ("Coordination sociale nécessaire" in page.text) == (level == STUB)
        (settings.files_dir).mkdir(parents=True, exist_ok=True)
        (settings.files_dir / f"k{situation.id}").write_bytes(b"%PDF-1.4 secret %%EOF")
        file = client.get(f"/situations/{situation.id}/attachments/{scene.attachments[situation.id or 0].id}")
        assert file.status_code == (200 if level == FULL else 404)
        word = "Zorglub" if situation is scene.restricted else "Quetzal"
        for url in (
            "/situations",
            f"/bodies/{world.body.id}/situations",
            f"/situations?q={word}",
            "/situations?category=hall_occupation",
        ):
            listing = client.get(url)
            if listing.status_code in (403, 404):  # the body's feed, for guests and outsiders
                assert level == NONE and url.startswith("/bodies/")
                continue
            assert listing.status_code == 200
            # Lists show titles only; the text and updates stay on the report's page.
            assert (situation.title in listing.text) == (level == FULL), (url, level)
            assert situation.description not in listing.text and UPDATE_TEXT not in listing.text
        # A stub shows in the plain feed, never in a filtered or searched one.
        plain = client.get("/situations").text
        assert (f'href="/situations/{situation.id}"' in plain) == (level != NONE)
        searched = client.get("/situations?category=hall_occupation").text
        assert (f'href="/situations/{situation.id}"' in searched) == (level == FULL)


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_every_api_route_shows_each_report_only_as_far_as_allowed(
    persona: str, scene: Scene, api_for: Any
) -> None:
    api = api_for(scene.people[persona])
    listed = {item["id"]: item for item in api.get("/api/v1/situations").json()["items"]}
    searched = {
        i["id"] for q in ("Zorglub", "Quetzal") for i in api.get(f"/api/v1/situations?q={q}").json()["items"]
    }
    for situation, level in zip((scene.restricted, scene.social), EXPECTED[persona], strict=True):
        one = api.get(f"/api/v1/situations/{situation.id}")
        updates = api.get(f"/api/v1/situations/{situation.id}/updates")
        patch = api.patch(
            f"/api/v1/situations/{situation.id}", json={"version": situation.version, "severity": 4}
        )
        post = api.post(f"/api/v1/situations/{situation.id}/updates", json={"text": "Vu"})
        if level == NONE:
            assert situation.id not in listed and situation.id not in searched
            assert {one.status_code, updates.status_code, patch.status_code, post.status_code} == {404}
        elif level == STUB:
            stub = {"id", "body_id", "sector_id", "confidentiality", "created_at", "coordination_needed"}
            assert set(listed[situation.id]) == stub and set(one.json()) == stub
            assert situation.id not in searched
            assert {updates.status_code, patch.status_code, post.status_code} == {403}
        else:
            assert listed[situation.id]["title"] == situation.title and situation.id in searched
            assert one.json()["description"] == situation.description
            assert updates.json()[0]["text"] == UPDATE_TEXT
            assert post.status_code == 201


def test_problem_files_show_only_the_reports_one_may_read(
    scene: Scene, world: World, factory: Factory, client_for: Any, api_for: Any
) -> None:
    problem = factory.problem(world.body, "Cage B", [scene.restricted, scene.social])
    for persona in ("chair", "member", "social"):
        page = client_for(scene.people[persona]).get(f"/problems/{problem.id}").text
        restricted, social = EXPECTED[persona]
        assert (scene.restricted.title in page) == (restricted == FULL)
        assert (scene.social.title in page) == (social == FULL)
        assert scene.restricted.description not in page and scene.social.description not in page
        ids = api_for(scene.people[persona]).get(f"/api/v1/problems/{problem.id}").json()["situation_ids"]
        assert (scene.restricted.id in ids) == (restricted == FULL)
        assert (scene.social.id in ids) == (social == FULL)
    assert client_for(world.guest).get(f"/problems/{problem.id}").status_code == 404
    assert client_for(world.other).get(f"/problems/{problem.id}").status_code == 404


def test_a_member_who_leaves_loses_the_reports_at_once(
    scene: Scene, world: World, session: Session, client_for: Any
) -> None:
    from sqlmodel import select

    from veille.bodies.models import Membership

    client = client_for(world.member)
    assert client.get(f"/situations/{scene.restricted.id}").status_code == 200
    membership = session.exec(
        select(Membership).where(Membership.user_id == world.member.id, Membership.body_id == world.body.id)
    ).one()
    membership.role = MemberRole.guest
    session.add(membership)
    session.commit()
    assert client.get(f"/situations/{scene.restricted.id}").status_code == 404
    session.delete(membership)
    session.commit()
    assert client.get(f"/situations/{scene.restricted.id}").status_code == 404


def test_the_new_reports_item_of_a_meeting_shows_each_report_only_as_far_as_allowed(
    scene: Scene, world: World, factory: Factory, client_for: Any
) -> None:
    from veille.meetings.enums import StandingItem

    meeting = factory.meeting(world.body, in_days=3)
    factory.item(
        meeting, "Nouveaux signalements depuis la dernière réunion", standing=StandingItem.new_reports
    )
    for user in scene.people.values():
        factory.invite(meeting, user, guest=user is world.guest)
    for persona in ("chair", "member", "social", "guest"):
        page = client_for(scene.people[persona]).get(f"/meetings/{meeting.id}").text
        restricted, social = EXPECTED[persona]
        assert (scene.restricted.title in page) == (restricted == FULL), persona
        assert (scene.social.title in page) == (social == FULL), persona
        assert ("Coordination sociale nécessaire" in page) == (social == STUB), persona


def test_editing_a_confidential_report_names_its_authors_organisation_never_the_editors(
    world: World, factory: Factory, api_for: Any
) -> None:
    """An edit named the editor's organisation on the report: a chair's typo fix opened a
    restricted report to their whole organisation, a chair who made a report social read it whole,
    and the author's organisation could be dropped (a security review found it)."""
    clerk = factory.user("Paul Mairie", organisation=world.chair.organisation)
    factory.member(world.body, clerk, MemberRole.member)
    ccas = factory.organisation("CCAS", OrganisationKind.social_services)
    report = factory.situation(
        world.body, world.member, "Guetteurs au hall C", confidentiality=Confidentiality.restricted
    )
    chair, url = api_for(world.chair), f"/api/v1/situations/{report.id}"
    assert chair.patch(url, json={"version": 1, "title": "Guetteurs au hall C."}).status_code == 200
    assert api_for(clerk).get(url).status_code == 404  # the chair's organisation is not named
    assert chair.patch(url, json={"version": 2, "shared_with_organisation_ids": []}).status_code == 200
    assert api_for(world.member).get(url).json()["title"] == "Guetteurs au hall C."  # the author's stays
    social = {
        "version": 3,
        "confidentiality": "social",
        "names_person": True,
        "shared_with_organisation_ids": [ccas.id],
    }
    assert chair.patch(url, json=social).status_code == 200
    assert "title" not in chair.get(url).json()  # the chair sees the stub of a social report
    assert api_for(world.member).get(url).json()["title"] == "Guetteurs au hall C."
