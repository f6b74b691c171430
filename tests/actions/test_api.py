"""The JSON API of actions: contract, who may do what (per role), refusals that write nothing,
optimistic versions, updates, evaluation, list filters and the audit trail."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from tests.factories import Factory, World
from veille.access import viewer_of
from veille.actions import service
from veille.actions.enums import ActionKind, ActionStatus
from veille.actions.models import Action, ActionEntry
from veille.bodies.enums import BodyStatus, MemberRole
from veille.config import Settings
from veille.directory.enums import OrganisationKind
from veille.directory.models import Organisation, User
from veille.meetings.enums import MeetingStatus
from veille.situations.enums import Confidentiality

TODAY = date.today()
OK = "ok"
# Who reads an action of world.body; guests and outsiders are not told it exists.
READERS = ("chair", "secretary", "member", "partner", "bystander", "admin", "coordinator")
HIDDEN = {"guest": 404, "other": 404, "anonymous": 401}
CHANGE = dict.fromkeys(("chair", "secretary", "member", "admin", "coordinator"), OK) | {
    "partner": 403,
    "bystander": 403,
    **HIDDEN,
}
POST_UPDATE = CHANGE | {"partner": OK}
REFER = CHANGE | {"member": 403}
PERSONAS = (*READERS, "guest", "other", "anonymous")


@dataclass
class Cast:
    """world's personas, plus two more members of world.body: one of a partner organisation
    of the action (mediation), one of an organisation that has no part in it (transit)."""

    world: World
    partner: User
    bystander: User
    mediation: Organisation
    transit: Organisation

    def persona(self, name: str) -> User | None:
        if name in ("partner", "bystander"):
            return getattr(self, name)  # type: ignore[no-any-return]
        return self.world.persona(name)


@pytest.fixture
def cast(world: World, factory: Factory) -> Cast:
    mediation = factory.organisation("Association de médiation", OrganisationKind.mediation)
    transit = factory.organisation("Transports urbains", OrganisationKind.transit)
    partner = factory.user("Paula Partenaire", organisation=mediation, email="partner@example.org")
    bystander = factory.user("Bruno Témoin", organisation=transit, email="bystander@example.org")
    factory.member(world.body, partner)
    factory.member(world.body, bystander)
    return Cast(world=world, partner=partner, bystander=bystander, mediation=mediation, transit=transit)


def _payload(world: World, **values: Any) -> dict[str, Any]:
    return {
        "body_id": world.body.id,
        "title": "Médiation au pied du bâtiment B",
        "kind": "preventive",
        "lead_organisation_id": world.organisation.id,
    } | values


def _fields(response: Any) -> set[str]:
    """The fields a 422 names."""
    return {str(part) for error in response.json()["detail"] for part in error["loc"][1:]}


def _count(session: Session, model: type[Action] | type[ActionEntry] = Action) -> int:
    session.rollback()
    return int(session.exec(select(func.count()).select_from(model)).one())


def _action(factory: Factory, cast: Cast, **values: Any) -> Action:
    """An action of world.body led by the police, with the mediation association as partner."""
    return factory.action(cast.world.body, cast.world.organisation, partners=[cast.mediation], **values)


def _status(response: Any) -> int | str:
    return OK if response.status_code in (200, 201) else response.status_code


# Contract


def test_member_records_an_action_of_their_organisation(
    api_for: Any, world: World, cast: Cast, factory: Factory
) -> None:
    situation = factory.situation(world.body, world.member)
    problem = factory.problem(world.body, situations=[situation])
    meeting = factory.meeting(world.body, in_days=-1, status=MeetingStatus.held)
    due = TODAY + timedelta(days=20)
    api = api_for(world.member)
    created = api.post(
        "/api/v1/actions",
        json=_payload(
            world,
            description="Présence\r\nd'un médiateur le soir.",
            kind="deterrent",
            owner_id=world.member.id,
            partner_organisation_ids=[cast.mediation.id, world.organisation.id],
            due_on=due.isoformat(),
            progress=10,
            situation_ids=[situation.id],
            problem_id=problem.id,
            meeting_id=meeting.id,
        ),
    )
    assert created.status_code == 201, created.text
    action = created.json()
    assert action | {"id": 0, "created_at": ""} == {
        "id": 0,
        "body_id": world.body.id,
        "title": "Médiation au pied du bâtiment B",
        "description": "Présence\nd'un médiateur le soir.",
        "kind": "deterrent",
        "lead_organisation_id": world.organisation.id,
        "owner_id": world.member.id,
        # The lead is no partner of its own action.
        "partner_organisation_ids": [cast.mediation.id],
        "due_on": due.isoformat(),
        "status": "proposed",
        "progress": 10,
        "situation_ids": [situation.id],
        "problem_id": problem.id,
        "meeting_id": meeting.id,
        "agenda_item_id": None,
        "evaluation": None,
        "created_at": "",
        "version": 1,
    }
    assert api.get(f"/api/v1/actions/{action['id']}").json() == action
    history = api.get(f"/api/v1/actions/{action['id']}/updates").json()
    assert [(h["event"], h["status"], h["author_id"]) for h in history] == [
        ("created", "proposed", world.member.id)
    ]
    listed = api.get("/api/v1/actions").json()
    assert listed["items"] == [action] and listed["next_cursor"] is None
    # Decided at an agenda item: the action takes its meeting.
    item = factory.item(meeting)
    decided = api_for(world.secretary).post("/api/v1/actions", json=_payload(world, agenda_item_id=item.id))
    assert decided.status_code == 201, decided.text
    assert (decided.json()["meeting_id"], decided.json()["agenda_item_id"]) == (meeting.id, item.id)


# Who may do what


def test_who_reads_actions_and_their_history(api_for: Any, cast: Cast, factory: Factory) -> None:
    action = _action(factory, cast)
    for name in PERSONAS:
        api = api_for(cast.persona(name))
        one = api.get(f"/api/v1/actions/{action.id}")
        history = api.get(f"/api/v1/actions/{action.id}/updates")
        listed = api.get("/api/v1/actions")
        expected = OK if name in READERS else HIDDEN[name]
        assert (_status(one), _status(history)) == (expected, expected), name
        if name in READERS:
            assert one.json()["id"] == action.id
            assert [i["id"] for i in listed.json()["items"]] == [action.id], name
        elif name == "anonymous":
            assert listed.status_code == 401
        else:
            assert listed.status_code == 200 and listed.json()["items"] == [], name


def test_who_records_actions(api_for: Any, cast: Cast, session: Session) -> None:
    world = cast.world
    expected = dict.fromkeys(("chair", "secretary", "member", "admin", "coordinator"), OK) | {
        "partner": 403,
        "bystander": 403,
        "guest": 403,
        # Not one of their bodies: the field is refused, the body's existence not confirmed.
        "other": 422,
        "anonymous": 401,
    }
    created = 0
    for name, answer in expected.items():
        response = api_for(cast.persona(name)).post("/api/v1/actions", json=_payload(world))
        assert _status(response) == answer, (name, response.text)
        created += answer == OK
        if answer == 422:
            assert _fields(response) == {"body_id"}
    assert _count(session) == created
    # A member records the actions of their own organisation; the chair and the secretaries,
    # and the staff, any.
    for user, lead, answer in (
        (world.member, world.chair.organisation_id, 403),
        (cast.partner, cast.mediation.id, OK),
        (cast.bystander, world.organisation.id, 403),
        (world.chair, cast.transit.id, OK),
        (world.secretary, cast.mediation.id, OK),
        (world.coordinator, cast.transit.id, OK),
    ):
        response = api_for(user).post("/api/v1/actions", json=_payload(world, lead_organisation_id=lead))
        assert _status(response) == answer, (user.name, response.text)
        created += answer == OK
    assert _count(session) == created


def test_who_changes_an_action(api_for: Any, cast: Cast, factory: Factory, session: Session) -> None:
    action = _action(factory, cast)
    version = 1
    for name, answer in CHANGE.items():
        response = api_for(cast.persona(name)).patch(
            f"/api/v1/actions/{action.id}", json={"version": version, "title": f"Titre de {name}"}
        )
        assert _status(response) == answer, (name, response.text)
        current = api_for(cast.world.admin).get(f"/api/v1/actions/{action.id}").json()
        if answer == OK:
            version += 1
            assert current["title"] == f"Titre de {name}"
        assert current["version"] == version, name
    assert version == 6


def test_who_posts_updates(api_for: Any, cast: Cast, factory: Factory, session: Session) -> None:
    action = _action(factory, cast)
    posted = []
    for name, answer in POST_UPDATE.items():
        response = api_for(cast.persona(name)).post(
            f"/api/v1/actions/{action.id}/updates", json={"text": f"Point de {name}."}
        )
        assert _status(response) == answer, (name, response.text)
        if answer == OK:
            posted.append(f"Point de {name}.")
            user = cast.persona(name)
            assert user is not None and response.json()["author_id"] == user.id
    history = api_for(cast.world.chair).get(f"/api/v1/actions/{action.id}/updates").json()
    assert [h["text"] for h in history if h["event"] == "note"] == posted
    assert len(posted) == 6


def test_who_evaluates(api_for: Any, cast: Cast, factory: Factory) -> None:
    for name, answer in CHANGE.items():
        action = _action(factory, cast, status=ActionStatus.done)
        response = api_for(cast.persona(name)).put(
            f"/api/v1/actions/{action.id}/evaluation",
            json={"summary": "Moins de regroupements le soir.", "effect": "positive"},
        )
        assert _status(response) == answer, (name, response.text)
        evaluation = api_for(cast.world.admin).get(f"/api/v1/actions/{action.id}").json()["evaluation"]
        assert (evaluation is not None) == (answer == OK), name


def test_who_refers(api_for: Any, cast: Cast, factory: Factory) -> None:
    world = cast.world
    # Everyone of world.body but the guest sits in the target too: only the right is tested.
    target = factory.body("Cellule de veille du sud")
    for user in (world.chair, world.secretary, world.member, cast.partner, cast.bystander):
        factory.member(target, user, MemberRole.chair if user is world.chair else MemberRole.member)
    for name, answer in REFER.items():
        action = _action(factory, cast)
        response = api_for(cast.persona(name)).post(
            f"/api/v1/actions/{action.id}/refer", json={"body_id": target.id}
        )
        assert _status(response) == answer, (name, response.text)
        moved = api_for(world.admin).get(f"/api/v1/actions/{action.id}").json()
        assert moved["body_id"] == (target.id if answer == OK else world.body.id), name
        assert moved["version"] == (2 if answer == OK else 1), name


def test_a_charter_pending_a_closed_body_an_exclusion(
    api_for: Any, cast: Cast, factory: Factory, session: Session
) -> None:
    world = cast.world
    action = _action(factory, cast)
    # A member who has not accepted the body's charter sees none of its actions.
    world.body.charter_required = True
    factory._save(world.body)
    factory.charter(world.body)
    factory.accept(world.body, world.chair)
    api = api_for(world.member)
    assert api.get(f"/api/v1/actions/{action.id}").status_code == 404
    assert api.get("/api/v1/actions").json()["items"] == []
    assert api.post("/api/v1/actions", json=_payload(world)).status_code == 403
    factory.accept(world.body, world.member)
    factory.accept(world.body, cast.partner)
    assert api.get(f"/api/v1/actions/{action.id}").status_code == 200
    # A closed body is read-only: its actions are read, never changed.
    world.body.status = BodyStatus.closed
    factory._save(world.body)
    chair = api_for(world.chair)
    assert chair.get(f"/api/v1/actions/{action.id}").status_code == 200
    assert chair.get(f"/api/v1/actions/{action.id}/updates").status_code == 200
    assert chair.post("/api/v1/actions", json=_payload(world)).status_code == 409
    assert chair.patch(f"/api/v1/actions/{action.id}", json={"version": 1, "title": "X"}).status_code == 409
    assert chair.post(f"/api/v1/actions/{action.id}/updates", json={"text": "Point."}).status_code == 409
    assert (
        chair.post(f"/api/v1/actions/{action.id}/refer", json={"body_id": world.other_body.id}).status_code
        == 409
    )
    assert (
        api_for(cast.partner).post(f"/api/v1/actions/{action.id}/updates", json={"text": "P."}).status_code
        == 409
    )
    assert _count(session) == 1 and _count(session, ActionEntry) == 1
    assert chair.get(f"/api/v1/actions/{action.id}").json()["version"] == 1
    # A member the chair excludes loses the body's actions at once (the body reopened for it).
    world.body.status = BodyStatus.active
    factory._save(world.body)
    assert api.get(f"/api/v1/actions/{action.id}").status_code == 200
    excluded = chair.post(
        f"/api/v1/bodies/{world.body.id}/members/{world.member.id}/exclude", json={"reason": "Charte."}
    )
    assert excluded.status_code == 204, excluded.text
    assert api.get(f"/api/v1/actions/{action.id}").status_code == 404
    assert api.get("/api/v1/actions").json()["items"] == []
    assert api.patch(f"/api/v1/actions/{action.id}", json={"version": 1, "title": "X"}).status_code == 404


# Versions


def test_a_done_action_reopened_through_the_api_is_back_at_its_progress(
    api_for: Any, world: World, factory: Factory
) -> None:
    """As from the page: the progress its history had before it was done, not 100 %."""
    action = factory.action(world.body, world.organisation, status=ActionStatus.in_progress)
    member = api_for(world.member)
    update = {"text": "Deux tournées faites.", "progress": 40}
    assert member.post(f"/api/v1/actions/{action.id}/updates", json=update).status_code == 201
    url = f"/api/v1/actions/{action.id}"
    done = member.patch(url, json={"version": member.get(url).json()["version"], "status": "done"})
    assert done.status_code == 200 and done.json()["progress"] == 100
    again = member.patch(
        url, json={"version": done.json()["version"], "status": "in_progress", "reopen": True}
    )
    assert again.status_code == 200 and again.json()["progress"] == 40


def test_a_stale_version_is_refused_and_not_applied(api_for: Any, world: World, factory: Factory) -> None:
    action = factory.action(world.body, world.organisation)
    member, chair = api_for(world.member), api_for(world.chair)
    first = member.patch(f"/api/v1/actions/{action.id}", json={"version": 1, "title": "Rondes du soir"})
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = chair.patch(
        f"/api/v1/actions/{action.id}",
        json={"version": 1, "title": "Rondes du matin", "status": "in_progress"},
    )
    assert stale.status_code == 409
    assert "Someone else changed this action" in stale.json()["detail"]
    current = chair.get(f"/api/v1/actions/{action.id}").json()
    assert (current["title"], current["status"], current["version"]) == ("Rondes du soir", "planned", 2)
    # Neither a version from the future.
    assert chair.patch(f"/api/v1/actions/{action.id}", json={"version": 3, "title": "X"}).status_code == 409
    # The version is required.
    missing = chair.patch(f"/api/v1/actions/{action.id}", json={"title": "X"})
    assert missing.status_code == 422 and "version" in _fields(missing)


def test_two_concurrent_patches_with_one_version(api_for: Any, world: World, factory: Factory) -> None:
    action = factory.action(world.body, world.organisation)
    clients = {"member": api_for(world.member), "chair": api_for(world.chair)}
    barrier = threading.Barrier(len(clients))
    answers: dict[str, Any] = {}

    def patch(name: str) -> None:
        barrier.wait()
        answers[name] = clients[name].patch(
            f"/api/v1/actions/{action.id}", json={"version": 1, "title": f"Titre de {name}", "progress": 30}
        )

    threads = [threading.Thread(target=patch, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(a.status_code for a in answers.values()) == [200, 409], {
        k: a.text for k, a in answers.items()
    }
    winner = next(name for name, a in answers.items() if a.status_code == 200)
    current = clients["chair"].get(f"/api/v1/actions/{action.id}").json()
    assert (current["title"], current["version"], current["progress"]) == (f"Titre de {winner}", 2, 30)
    updates = api_for(world.admin).get("/api/v1/audit?entity=action").json()["items"]
    assert [(e["verb"], e["entity_id"]) for e in updates] == [("update", action.id)]


# Refusals


def test_bad_actions_are_refused_with_422_and_write_nothing(
    api_for: Any, cast: Cast, factory: Factory, session: Session
) -> None:
    world = cast.world
    elsewhere = factory.situation(world.other_body, world.other, "Tags au nord")
    secret = factory.situation(
        world.body, world.chair, "Deal, hall C", confidentiality=Confidentiality.restricted
    )
    social = factory.situation(
        world.body, world.chair, "Famille en difficulté", confidentiality=Confidentiality.social
    )
    other_problem = factory.problem(world.other_body, "Tags du nord")
    other_meeting = factory.meeting(world.other_body)
    cancelled = factory.meeting(world.body, status=MeetingStatus.cancelled)
    inactive = factory.organisation("Ancien partenaire", active=False)
    secretary, member = api_for(world.secretary), api_for(world.member)
    coordinator = api_for(world.coordinator)
    for api, data, field in (
        (secretary, _payload(world, lead_organisation_id=99999), "lead_organisation_id"),
        (secretary, _payload(world, lead_organisation_id=inactive.id), "lead_organisation_id"),
        (secretary, _payload(world, partner_organisation_ids=[99999]), "partner_organisation_ids"),
        (secretary, _payload(world, owner_id=world.other.id), "owner_id"),
        (secretary, _payload(world, owner_id=world.guest.id), "owner_id"),
        (secretary, _payload(world, owner_id=99999), "owner_id"),
        # Neither of the lead organisation, nor the body's chair or secretary.
        (secretary, _payload(world, owner_id=cast.bystander.id), "owner_id"),
        (secretary, _payload(world, situation_ids=[elsewhere.id]), "situation_ids"),
        (member, _payload(world, situation_ids=[secret.id]), "situation_ids"),
        (member, _payload(world, situation_ids=[social.id]), "situation_ids"),
        # The staff read every report, but an action answers those of its own body.
        (coordinator, _payload(world, situation_ids=[elsewhere.id]), "situation_ids"),
        (coordinator, _payload(world, problem_id=other_problem.id), "problem_id"),
        (coordinator, _payload(world, meeting_id=other_meeting.id), "meeting_id"),
        (secretary, _payload(world, situation_ids=[99999]), "situation_ids"),
        (secretary, _payload(world, problem_id=other_problem.id), "problem_id"),
        (secretary, _payload(world, problem_id=99999), "problem_id"),
        (secretary, _payload(world, meeting_id=other_meeting.id), "meeting_id"),
        (secretary, _payload(world, meeting_id=cancelled.id), "meeting_id"),
        (secretary, _payload(world, meeting_id=99999), "meeting_id"),
        (secretary, _payload(world, progress=101), "progress"),
        (secretary, _payload(world, progress=-1), "progress"),
        (secretary, _payload(world, title=""), "title"),
        (secretary, _payload(world, title="x" * 201), "title"),
        (secretary, _payload(world, kind="curative"), "kind"),
        (secretary, _payload(world, status="done"), "status"),
        (secretary, _payload(world, status="abandoned"), "status"),
        (secretary, _payload(world, due_on="demain"), "due_on"),
        (secretary, _payload(world, body_id=99999), "body_id"),
    ):
        response = api.post("/api/v1/actions", json=data)
        assert response.status_code == 422, (field, response.text)
        assert field in _fields(response), (field, response.json())
    assert _count(session) == 0 and _count(session, ActionEntry) == 0
    # The owner may be the body's chair whatever the lead; the chair reads the restricted report.
    chair = api_for(world.chair).post(
        "/api/v1/actions", json=_payload(world, owner_id=world.chair.id, situation_ids=[secret.id])
    )
    assert chair.status_code == 201, chair.text


def test_bad_patches_are_refused_with_422_and_change_nothing(
    api_for: Any, cast: Cast, factory: Factory, session: Session
) -> None:
    world = cast.world
    situation = factory.situation(world.body, world.member)
    elsewhere = factory.situation(world.other_body, world.other, "Tags au nord")
    action = _action(factory, cast, owner=world.member, situations=[situation])
    api = api_for(world.member)
    before = api.get(f"/api/v1/actions/{action.id}").json()
    for patch, field in (
        ({"progress": 101}, "progress"),
        ({"title": ""}, "title"),
        ({"kind": "curative"}, "kind"),
        ({"status": "finished"}, "status"),
        ({"lead_organisation_id": 99999}, "lead_organisation_id"),
        ({"owner_id": world.other.id}, "owner_id"),
        ({"owner_id": cast.bystander.id}, "owner_id"),
        # Changing the lead without the owner leaves an owner of another organisation.
        ({"lead_organisation_id": cast.transit.id}, "owner_id"),
        ({"situation_ids": [situation.id, elsewhere.id]}, "situation_ids"),
        ({"problem_id": factory.problem(world.other_body).id}, "problem_id"),
        ({"partner_organisation_ids": [99999]}, "partner_organisation_ids"),
    ):
        response = api.patch(f"/api/v1/actions/{action.id}", json={"version": 1} | patch)
        assert response.status_code == 422, (patch, response.text)
        assert field in _fields(response), (field, response.json())
    assert api.get(f"/api/v1/actions/{action.id}").json() == before
    assert _count(session, ActionEntry) == 1


# Updates and evaluation


def test_updates_carry_the_progress(api_for: Any, cast: Cast, factory: Factory) -> None:
    action = _action(factory, cast, status=ActionStatus.in_progress)
    partner = api_for(cast.partner)
    first = partner.post(
        f"/api/v1/actions/{action.id}/updates",
        json={"text": "  Deux maraudes.\r\nContacts pris. ", "progress": 40},
    )
    assert first.status_code == 201, first.text
    assert first.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "event": "note",
        "text": "Deux maraudes.\nContacts pris.",
        "progress": 40,
        "status": None,
        "from_body_id": None,
        "to_body_id": None,
        "author_id": cast.partner.id,
        "created_at": "",
    }
    current = partner.get(f"/api/v1/actions/{action.id}").json()
    assert (current["progress"], current["version"]) == (40, 2)
    # Without progress, the action keeps its own.
    assert partner.post(f"/api/v1/actions/{action.id}/updates", json={"text": "RAS."}).status_code == 201
    assert partner.get(f"/api/v1/actions/{action.id}").json()["progress"] == 40
    for data, field in (
        ({"text": "Trop.", "progress": 101}, "progress"),
        ({"text": "   "}, "text"),
        ({"progress": 50}, "text"),
    ):
        response = partner.post(f"/api/v1/actions/{action.id}/updates", json=data)
        assert response.status_code == 422 and field in _fields(response), response.text
    history = partner.get(f"/api/v1/actions/{action.id}/updates").json()
    assert [(h["event"], h["text"], h["progress"]) for h in history] == [
        ("created", "", None),
        ("note", "Deux maraudes.\nContacts pris.", 40),
        ("note", "RAS.", None),
    ]
    # A finished action keeps its progress.
    done = _action(factory, cast, status=ActionStatus.done)
    assert (
        partner.post(
            f"/api/v1/actions/{done.id}/updates", json={"text": "Bilan.", "progress": 20}
        ).status_code
        == 201
    )
    assert partner.get(f"/api/v1/actions/{done.id}").json()["progress"] == 100


def test_evaluation_once_done(api_for: Any, world: World, factory: Factory) -> None:
    action = factory.action(world.body, world.organisation, status=ActionStatus.in_progress)
    api = api_for(world.member)
    evaluation = {"summary": "Moins de regroupements.", "effect": "mixed", "indicator": "Appels au 17"}
    early = api.put(f"/api/v1/actions/{action.id}/evaluation", json=evaluation)
    assert early.status_code == 409 and "once it is done" in early.json()["detail"]
    done = api.patch(f"/api/v1/actions/{action.id}", json={"version": 1, "status": "done", "progress": 60})
    assert done.status_code == 200 and done.json()["progress"] == 100, "done means 100 %"
    for data, field in (
        (evaluation | {"effect": "great"}, "effect"),
        (evaluation | {"summary": " "}, "summary"),
        ({"summary": "Bilan."}, "effect"),
        (evaluation | {"indicator": "x" * 301}, "indicator"),
    ):
        response = api.put(f"/api/v1/actions/{action.id}/evaluation", json=data)
        assert response.status_code == 422 and field in _fields(response), response.text
    assert api.get(f"/api/v1/actions/{action.id}").json()["version"] == 2
    evaluated = api.put(f"/api/v1/actions/{action.id}/evaluation", json=evaluation)
    assert evaluated.status_code == 200, evaluated.text
    shown = api_for(world.chair).get(f"/api/v1/actions/{action.id}").json()
    assert shown == evaluated.json()
    assert shown["version"] == 3
    assert shown["evaluation"] | {"evaluated_at": None} == {
        "summary": "Moins de regroupements.",
        "effect": "mixed",
        "indicator": "Appels au 17",
        "evaluated_at": None,
        "evaluated_by": world.member.id,
    }
    assert shown["evaluation"]["evaluated_at"] is not None
    # Evaluated again: the latest evaluation stands.
    again = api.put(
        f"/api/v1/actions/{action.id}/evaluation", json={"summary": "Effet nul.", "effect": "none"}
    )
    assert again.json()["evaluation"]["effect"] == "none" and again.json()["evaluation"]["indicator"] == ""
    events = [h["event"] for h in api.get(f"/api/v1/actions/{action.id}/updates").json()]
    assert events == ["created", "status", "evaluated", "evaluated"]


# Lists


def test_list_filters(api_for: Any, world: World, factory: Factory, settings: Settings) -> None:
    police, city = world.organisation, world.chair.organisation
    assert city is not None
    # Due dates count from today in the city (the factory's from the machine's date).
    today = (settings.today() - date.today()).days
    factory.action(world.body, police, "A1", owner=world.member, due_in_days=today + 10)
    factory.action(
        world.body,
        city,
        "A2",
        kind=ActionKind.deterrent,
        status=ActionStatus.in_progress,
        owner=world.chair,
        due_in_days=today - 5,
    )
    factory.action(
        world.body, police, "A3", kind=ActionKind.repressive, status=ActionStatus.done, due_in_days=today - 5
    )
    factory.action(world.body, city, "A4", status=ActionStatus.proposed, due_in_days=None)
    factory.action(world.other_body, police, "A5", due_in_days=today - 3)
    factory.action(world.body, police, "A6", status=ActionStatus.abandoned, due_in_days=today - 10)
    factory.action(world.body, police, "A7", status=ActionStatus.proposed, due_in_days=today)
    chair, admin = api_for(world.chair), api_for(world.admin)

    def titles(api: Any, query: str = "") -> list[str]:
        response = api.get(f"/api/v1/actions{query}")
        assert response.status_code == 200, response.text
        return [i["title"] for i in response.json()["items"]]

    mine = ["A7", "A6", "A4", "A3", "A2", "A1"]
    assert titles(chair) == mine, "newest first, the other body's left out"
    assert titles(chair, f"?body_id={world.body.id}") == mine
    assert titles(chair, f"?body_id={world.other_body.id}") == []
    assert titles(admin, f"?body_id={world.other_body.id}") == ["A5"]
    assert titles(chair, "?status=planned") == ["A1"]
    assert titles(chair, "?status=proposed") == ["A7", "A4"]
    assert titles(chair, "?kind=deterrent") == ["A2"]
    assert titles(chair, "?kind=preventive") == ["A7", "A6", "A4", "A1"]
    assert titles(chair, f"?lead_organisation_id={city.id}") == ["A4", "A2"]
    assert titles(chair, f"?owner_id={world.member.id}") == ["A1"]
    assert titles(chair, "?owner=MEMBRE") == ["A1"] and titles(chair, "?owner=charles+PRÉSIDENT") == ["A2"]
    # Overdue: open, due before today (not today, not finished, not undated).
    assert titles(chair, "?overdue=true") == ["A2"]
    assert titles(admin, "?overdue=true") == ["A5", "A2"]
    assert titles(chair, "?overdue=false") == mine
    assert titles(chair, f"?kind=preventive&status=proposed&lead_organisation_id={police.id}") == ["A7"]
    assert titles(chair, "?overdue=true&kind=preventive") == []
    # Pages.
    first = chair.get("/api/v1/actions?limit=4").json()
    second = chair.get(f"/api/v1/actions?limit=4&cursor={first['next_cursor']}").json()
    assert [i["title"] for i in first["items"] + second["items"]] == mine and second["next_cursor"] is None
    for bad in (
        "?status=finished",
        "?kind=curative",
        "?overdue=maybe",
        "?limit=0",
        "?limit=201",
        "?cursor=!!",
        "?owner=" + "x" * 101,
    ):
        assert chair.get(f"/api/v1/actions{bad}").status_code == 422, bad


# Audit


def test_every_change_is_audited(api_for: Any, world: World, factory: Factory, session: Session) -> None:
    target = factory.body("Cellule de veille du sud")
    member = api_for(world.member)
    created = member.post("/api/v1/actions", json=_payload(world, status="planned"))
    assert created.status_code == 201
    action_id = created.json()["id"]
    assert (
        member.patch(f"/api/v1/actions/{action_id}", json={"version": 1, "title": "Rondes"}).status_code
        == 200
    )
    assert member.post(f"/api/v1/actions/{action_id}/updates", json={"text": "Point."}).status_code == 201
    # The status moves of the pages, through the service.
    for status, reopen in (
        (ActionStatus.in_progress, False),
        (ActionStatus.done, False),
        (ActionStatus.in_progress, True),
        (ActionStatus.done, False),
    ):
        session.rollback()
        session.expire_all()
        access = service.get_action(session, viewer_of(session, world.member), action_id)
        service.set_status(
            session, access=access, status=status, version=access.action.version, reopen=reopen
        )
        session.commit()
    evaluated = member.put(
        f"/api/v1/actions/{action_id}/evaluation", json={"summary": "Bilan.", "effect": "positive"}
    )
    assert evaluated.status_code == 200
    referred = api_for(world.coordinator).post(
        f"/api/v1/actions/{action_id}/refer", json={"body_id": target.id}
    )
    assert referred.status_code == 200, referred.text
    # Refused calls leave no trace: the member's body handed the action on, a stale version.
    assert member.patch(f"/api/v1/actions/{action_id}", json={"version": 9, "title": "X"}).status_code == 403
    stale = api_for(world.coordinator).patch(
        f"/api/v1/actions/{action_id}", json={"version": 1, "title": "X"}
    )
    assert stale.status_code == 409
    admin = api_for(world.admin)
    events = admin.get("/api/v1/audit?entity=action&limit=200").json()["items"]
    assert [(e["verb"], e["user_id"]) for e in reversed(events) if e["entity_id"] == action_id] == [
        ("create", world.member.id),
        ("update", world.member.id),
        ("update_posted", world.member.id),
        ("status", world.member.id),
        ("status", world.member.id),
        ("reopen", world.member.id),
        ("status", world.member.id),
        ("evaluate", world.member.id),
        ("refer", world.coordinator.id),
    ]
    refer = events[0]
    assert refer["detail"] == {"from_body_id": world.body.id, "to_body_id": target.id}
    assert [h["event"] for h in member.get(f"/api/v1/actions/{action_id}/updates").json()] == [
        "created",
        "note",
        "status",
        "status",
        "reopened",
        "status",
        "evaluated",
        "referred",
    ]
    assert api_for(world.chair).get("/api/v1/audit").status_code == 403
