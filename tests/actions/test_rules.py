"""The rules of an action's life through the JSON API: its status moves (every one, and random
sequences checked against a model), explicit reopening, the crime-treatment group's end
date, and referral to another body with its reports (README.md, Actions; docs/confidentiality.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, col, select

from tests.factories import Factory, World
from veille.actions.enums import REOPEN, STATUS_MOVES, ActionStatus, Event
from veille.actions.models import Action, ActionEntry
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory.enums import OrganisationKind
from veille.directory.models import User
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation

S = ActionStatus
TODAY = date.today()


# A model of the rules, written apart from the application's tables


CHAIN = (S.proposed, S.planned, S.in_progress, S.done)
REOPENED = {S.done: S.in_progress, S.abandoned: S.planned}


def allowed(current: ActionStatus, target: ActionStatus, reopen: bool) -> bool | None:
    """True: the action moves; False: refused; None: the same status, no move to make."""
    if target == current:
        return None
    if reopen:
        return REOPENED.get(current) == target
    if current in (S.done, S.abandoned):
        return False
    return target == S.abandoned or CHAIN.index(target) == CHAIN.index(current) + 1


def test_the_tables_follow_the_design() -> None:
    for current in S:
        assert STATUS_MOVES[current] == {t for t in S if allowed(current, t, False)}, current
    assert REOPEN == REOPENED


def _patch(api: Any, action_id: int, version: int, **values: Any) -> Any:
    return api.patch(f"/api/v1/actions/{action_id}", json={"version": version} | values)


def _history(api: Any, action_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/actions/{action_id}/updates")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _fields(response: Any) -> set[str]:
    return {str(part) for error in response.json()["detail"] for part in error["loc"][1:]}


# Status moves


def test_every_status_move(api_for: Any, world: World, factory: Factory, session: Session) -> None:
    api = api_for(world.member)
    cases: dict[int, tuple[ActionStatus, ActionStatus, bool]] = {}
    for current in S:
        for target in S:
            for reopen in (False, True):
                case = (current, target, reopen)
                action = factory.action(world.body, world.organisation, status=current)
                assert action.id is not None
                cases[action.id] = case
                response = _patch(api, action.id, 1, status=target, reopen=reopen)
                verdict = allowed(current, target, reopen)
                if verdict is False:
                    assert response.status_code == 409, (case, response.text)
                    expected = (
                        "reopen it explicitly"
                        if current in (S.done, S.abandoned) and not reopen
                        else "cannot go to that status"
                    )
                    assert expected in response.json()["detail"], case
                    continue
                assert response.status_code == 200, (case, response.text)
                state = response.json()
                assert (state["status"], state["version"]) == (target, 2), case
                # Done means 100 %; reopened, the action is back at its progress before (none
                # in its history here: 0).
                assert state["progress"] == (100 if target == S.done else 0), case
    # What was written, read at once: a refused move changed nothing and wrote no history.
    session.rollback()
    session.expire_all()
    actions = {a.id: a for a in session.exec(select(Action)).all()}
    entries: dict[int, list[ActionEntry]] = {i: [] for i in cases}
    for entry in session.exec(select(ActionEntry).order_by(col(ActionEntry.id))).all():
        entries[entry.action_id].append(entry)
    assert len(cases) == len(actions) == 50
    for action_id, (current, target, reopen) in cases.items():
        action, lines = actions[action_id], entries[action_id]
        verdict = allowed(current, target, reopen)
        if verdict is False:
            assert (action.status, action.version, len(lines)) == (current, 1, 1), (current, target, reopen)
        elif verdict is None:
            assert (action.status, action.version, len(lines)) == (target, 2, 1), (current, target, reopen)
        else:
            event = Event.reopened if reopen else Event.status
            last = lines[-1]
            assert (action.status, action.version, len(lines)) == (target, 2, 2), (current, target, reopen)
            assert (last.event, last.status, last.author_id) == (event, target, world.member.id)


@dataclass
class Model:
    status: ActionStatus
    version: int = 1
    progress: int = 0
    events: int = 1
    # The history's status lines: each move's status and the progress it left.
    lines: list[tuple[ActionStatus, int]] = field(default_factory=list)

    def before_done(self) -> int:
        """The progress of the line before the last "done" one (0 without one): a done action
        reopened is back at it."""
        done = [i for i, (status, _) in enumerate(self.lines) if status == S.done]
        return self.lines[done[-1] - 1][1] if done and done[-1] > 0 else 0


STEPS = st.lists(
    st.tuples(st.sampled_from(list(S)), st.booleans(), st.none() | st.integers(0, 100)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=st.sampled_from(list(S)), steps=STEPS)
def test_sequences_of_moves_follow_the_model(
    api_for: Any,
    world: World,
    factory: Factory,
    start: ActionStatus,
    steps: list[tuple[ActionStatus, bool, int | None]],
) -> None:
    api = api_for(world.secretary)
    action = factory.action(world.body, world.organisation, status=start)
    model = Model(status=start, progress=100 if start == S.done else 0)
    for target, reopen, progress in steps:
        extra = {} if progress is None else {"progress": progress}
        response = _patch(api, action.id or 0, model.version, status=target, reopen=reopen, **extra)
        verdict = allowed(model.status, target, reopen)
        if verdict is False:
            assert response.status_code == 409, (model, target, reopen, response.text)
            continue
        assert response.status_code == 200, (model, target, reopen, response.text)
        model.version += 1
        model.events += verdict is True
        was_done, model.status = model.status == S.done, target
        if target == S.done:
            model.progress = 100
        elif was_done and reopen and progress in (None, 100):
            model.progress = model.before_done()  # left as it was: back at its progress before
        elif progress is not None:
            model.progress = progress
        if verdict is True:
            model.lines.append((target, model.progress))
        answer = response.json()
        assert (answer["status"], answer["version"], answer["progress"]) == (
            model.status,
            model.version,
            model.progress,
        )
    state = api.get(f"/api/v1/actions/{action.id}").json()
    assert (state["status"], state["version"], state["progress"]) == (
        model.status,
        model.version,
        model.progress,
    )
    # A refused move wrote no line of history.
    history = _history(api, action.id or 0)
    assert len(history) == model.events
    assert all(h["event"] in ("created", "status", "reopened") for h in history)


def test_reopening_is_explicit_and_clears_the_evaluation(
    api_for: Any, world: World, factory: Factory
) -> None:
    action = factory.action(world.body, world.organisation, status=S.in_progress, progress=30)
    api = api_for(world.member)
    url = f"/api/v1/actions/{action.id}"
    done = _patch(api, action.id or 0, 1, status="done", progress=50)
    assert done.status_code == 200 and (done.json()["status"], done.json()["progress"]) == ("done", 100)
    # Once done, the progress stays at 100.
    assert _patch(api, action.id or 0, 2, progress=40).json()["progress"] == 100
    evaluation = {"summary": "Le hall est libre le soir.", "effect": "positive", "indicator": "Appels"}
    assert api.put(f"{url}/evaluation", json=evaluation).status_code == 200
    # Without the flag, a done action is not reopened, and keeps its evaluation.
    refused = _patch(api, action.id or 0, 4, status="in_progress")
    assert refused.status_code == 409 and "reopen it explicitly" in refused.json()["detail"]
    assert _patch(api, action.id or 0, 4, status="planned", reopen=True).status_code == 409
    assert api.get(url).json()["evaluation"]["summary"] == "Le hall est libre le soir."
    reopened = _patch(api, action.id or 0, 4, status="in_progress", reopen=True, progress=80)
    assert reopened.status_code == 200, reopened.text
    state = api.get(url).json()
    assert (state["status"], state["progress"], state["evaluation"], state["version"]) == (
        "in_progress",
        80,
        None,
        5,
    )
    # Not done any more: no evaluation until it is done again.
    assert api.put(f"{url}/evaluation", json=evaluation).status_code == 409
    assert _patch(api, action.id or 0, 5, status="done").json()["progress"] == 100
    assert api.put(f"{url}/evaluation", json=evaluation | {"effect": "negative"}).status_code == 200
    assert api.get(url).json()["evaluation"]["effect"] == "negative"
    events = [(h["event"], h["status"]) for h in _history(api, action.id or 0)]
    assert events == [
        ("created", "in_progress"),
        ("status", "done"),
        ("evaluated", None),
        ("reopened", "in_progress"),
        ("status", "done"),
        ("evaluated", None),
    ]
    # An abandoned action goes back to planning, explicitly.
    abandoned = factory.action(world.body, world.organisation, status=S.abandoned)
    assert _patch(api, abandoned.id or 0, 1, status="planned").status_code == 409
    assert _patch(api, abandoned.id or 0, 1, status="in_progress", reopen=True).status_code == 409
    back = _patch(api, abandoned.id or 0, 1, status="planned", reopen=True)
    assert back.status_code == 200 and back.json()["status"] == "planned"


# The crime-treatment group's end date


@pytest.fixture
def group(factory: Factory, world: World) -> Body:
    """A crime-treatment group ending in sixty days, where the chair and member sit."""
    group = factory.body(
        "GLTD quartier nord", kind=BodyKind.crime_treatment_group, ends_on=TODAY + timedelta(60)
    )
    factory.member(group, world.chair, MemberRole.chair)
    factory.member(group, world.member)
    return group


def _count(session: Session) -> int:
    session.rollback()
    return int(session.exec(select(func.count()).select_from(Action)).one())


def test_group_actions_are_due_by_its_end(api_for: Any, world: World, group: Body, session: Session) -> None:
    assert group.ends_on is not None
    api = api_for(world.member)
    base = {
        "body_id": group.id,
        "title": "Rondes au pied des tours",
        "kind": "deterrent",
        "lead_organisation_id": world.organisation.id,
    }
    for due in (None, group.ends_on + timedelta(1), group.ends_on + timedelta(365)):
        refused = api.post("/api/v1/actions", json=base | {"due_on": due and due.isoformat()})
        assert refused.status_code == 422, (due, refused.text)
        assert _fields(refused) == {"due_on"}
        assert "due by the group's end date" in refused.json()["detail"][0]["msg"]
    assert _count(session) == 0
    on_end = api.post("/api/v1/actions", json=base | {"due_on": group.ends_on.isoformat()})
    assert on_end.status_code == 201, on_end.text
    before = api.post("/api/v1/actions", json=base | {"due_on": (TODAY + timedelta(10)).isoformat()})
    assert before.status_code == 201, before.text
    action_id = on_end.json()["id"]
    for late in (None, (group.ends_on + timedelta(1)).isoformat()):
        refused = _patch(api, action_id, 1, due_on=late)
        assert refused.status_code == 422 and _fields(refused) == {"due_on"}, refused.text
    assert api.get(f"/api/v1/actions/{action_id}").json()["version"] == 1
    # Changes that keep the date pass; an earlier date too.
    assert _patch(api, action_id, 1, title="Rondes renforcées").status_code == 200
    earlier = _patch(api, action_id, 2, due_on=(TODAY + timedelta(5)).isoformat())
    assert earlier.status_code == 200 and earlier.json()["due_on"] == (TODAY + timedelta(5)).isoformat()
    # Another kind of body with an end date sets no such rule.
    cell = api_for(world.chair).post(
        "/api/v1/actions",
        json=base | {"body_id": world.body.id, "due_on": (group.ends_on + timedelta(100)).isoformat()},
    )
    assert cell.status_code == 201, cell.text
    assert _count(session) == 3


def test_referral_to_a_group_needs_a_due_date_by_its_end(
    api_for: Any, world: World, factory: Factory, group: Body
) -> None:
    assert group.ends_on is not None
    coordinator = api_for(world.coordinator)
    late = factory.action(world.body, world.organisation, due_in_days=90)
    undated = factory.action(world.body, world.organisation, due_in_days=None)
    for action, due in ((late, None), (late, group.ends_on + timedelta(1)), (undated, None)):
        data = {"body_id": group.id} | ({"due_on": due.isoformat()} if due else {})
        refused = coordinator.post(f"/api/v1/actions/{action.id}/refer", json=data)
        assert refused.status_code == 422 and _fields(refused) == {"due_on"}, refused.text
        state = coordinator.get(f"/api/v1/actions/{action.id}").json()
        assert (state["body_id"], state["version"]) == (world.body.id, 1)
    for action in (late, undated):
        moved = coordinator.post(
            f"/api/v1/actions/{action.id}/refer",
            json={"body_id": group.id, "due_on": group.ends_on.isoformat()},
        )
        assert moved.status_code == 200, moved.text
        assert (moved.json()["body_id"], moved.json()["due_on"]) == (group.id, group.ends_on.isoformat())
    # Due in time already: no new date needed.
    soon = factory.action(world.body, world.organisation, due_in_days=10)
    moved = coordinator.post(f"/api/v1/actions/{soon.id}/refer", json={"body_id": group.id})
    assert moved.status_code == 200 and moved.json()["due_on"] == (TODAY + timedelta(10)).isoformat()


# Referral


@dataclass
class Target:
    """A body the action is referred to: its chair (city), a plain member (transit) and a
    member of the social services named on the social report."""

    body: Body
    chair: User
    member: User
    social: User


@pytest.fixture
def target(factory: Factory, world: World) -> Target:
    body = factory.body("Cellule de veille du sud")
    city = world.chair.organisation
    assert city is not None
    chair = factory.user(
        "Thérèse Présidente", organisation=factory.organisation("Préfecture", OrganisationKind.city)
    )
    member = factory.user(
        "Tom Membre", organisation=factory.organisation("Tramway", OrganisationKind.transit)
    )
    social = factory.user(
        "Sonia Sociale", organisation=factory.organisation("CCAS", OrganisationKind.social_services)
    )
    factory.member(body, chair, MemberRole.chair)
    factory.member(body, member)
    factory.member(body, social)
    return Target(body=body, chair=chair, member=member, social=social)


def test_referral_hands_the_action_and_its_reports(
    api_for: Any, world: World, factory: Factory, target: Target
) -> None:
    open_report = factory.situation(world.body, world.member, "Tags, hall B")
    restricted = factory.situation(
        world.body, world.member, "Deal, hall B", confidentiality=Confidentiality.restricted
    )
    social_services = target.social.organisation
    assert social_services is not None
    social = factory.situation(
        world.body,
        world.member,
        "Famille en détresse, bâtiment B",
        confidentiality=Confidentiality.social,
        shared_with=[social_services],
    )
    reports = (open_report, restricted, social)
    problem = factory.problem(world.body, situations=[open_report])
    action = factory.action(
        world.body, world.organisation, owner=world.member, situations=reports, problem_id=problem.id
    )
    # Before: the target's people know nothing of it.
    for user in (target.chair, target.member):
        assert api_for(user).get(f"/api/v1/actions/{action.id}").status_code == 404
        assert api_for(user).get(f"/api/v1/situations/{open_report.id}").status_code == 404
    # Its chair, who sits in the target body too, hands it over: the reports the chair reads
    # whole go with it.
    factory.member(target.body, world.chair)
    handing = {"body_id": target.body.id}
    referred = api_for(world.chair).post(f"/api/v1/actions/{action.id}/refer", json=handing)
    assert referred.status_code == 200, referred.text
    moved = referred.json()
    assert (moved["body_id"], moved["version"]) == (target.body.id, 2)
    assert moved["owner_id"] is None, "the owner does not sit in the target body"
    # The answer names only the reports its reader may open (the chair: not the social one).
    assert moved["situation_ids"] == [open_report.id, restricted.id]
    assert moved["problem_id"] == problem.id, "its problem file stays linked"

    # The target's members read the action and the reports it answers, as in their own body.
    def report(user: User, situation: Situation) -> Any:
        return api_for(user).get(f"/api/v1/situations/{situation.id}")

    for user in (target.chair, target.member, target.social):
        api = api_for(user)
        assert api.get(f"/api/v1/actions/{action.id}").json()["body_id"] == target.body.id
        assert [i["id"] for i in api.get(f"/api/v1/actions?body_id={target.body.id}").json()["items"]] == [
            action.id
        ]
        assert report(user, open_report).json()["title"] == "Tags, hall B"
    assert report(target.chair, restricted).json()["title"] == "Deal, hall B"
    assert report(target.member, restricted).status_code == 404
    assert report(target.social, restricted).status_code == 404
    # The social report stayed in its body: only its named organisations may hand it on.
    for user in (target.chair, target.member, target.social):
        assert report(user, social).status_code == 404
    # They take it over: its chair changes it, the lead's absence leaves it to the managers.
    chair = api_for(target.chair)
    other_problem = factory.problem(world.body, "Autre dossier")
    refused = _patch(chair, action.id or 0, 2, problem_id=other_problem.id)
    assert refused.status_code == 422 and _fields(refused) == {"problem_id"}, refused.text
    taken = _patch(chair, action.id or 0, 2, status="in_progress", owner_id=target.chair.id)
    assert taken.status_code == 200, taken.text
    # The target's chair reads the open and the restricted report; all three stay linked.
    assert (taken.json()["problem_id"], taken.json()["situation_ids"]) == (
        problem.id,
        [open_report.id, restricted.id],
    )
    assert _patch(api_for(target.member), action.id or 0, 3, title="X").status_code == 403
    assert (
        api_for(target.member).post(f"/api/v1/actions/{action.id}/updates", json={"text": "Vu."}).status_code
        == 403
    )

    # The body it left keeps reading it and its history, and no longer changes it.
    for user in (world.secretary, world.member):
        api = api_for(user)
        state = api.get(f"/api/v1/actions/{action.id}")
        assert state.status_code == 200 and state.json()["status"] == "in_progress"
        assert [i["id"] for i in api.get("/api/v1/actions").json()["items"]] == [action.id]
        assert api.get(f"/api/v1/actions?body_id={world.body.id}").json()["items"] == []
        assert _patch(api, action.id or 0, 3, title="Repris").status_code == 403
        assert api.post(f"/api/v1/actions/{action.id}/updates", json={"text": "Suite."}).status_code == 403
        assert (
            api.post(f"/api/v1/actions/{action.id}/refer", json={"body_id": world.body.id}).status_code == 403
        )
    done = _patch(chair, action.id or 0, 3, status="done")
    assert done.status_code == 200
    assert (
        api_for(world.member)
        .put(f"/api/v1/actions/{action.id}/evaluation", json={"summary": "Bilan.", "effect": "none"})
        .status_code
        == 403
    )
    history = _history(api_for(world.member), action.id or 0)
    assert [(h["event"], h["from_body_id"], h["to_body_id"]) for h in history] == [
        ("created", None, None),
        ("referred", world.body.id, target.body.id),
        ("status", None, None),
        ("status", None, None),
    ]
    assert history[1]["author_id"] == world.chair.id
    # Its guest and the outsiders still see nothing.
    for user in (world.guest, world.other):
        assert api_for(user).get(f"/api/v1/actions/{action.id}").status_code == 404


def test_an_action_handed_over_leaves_the_reports_its_referrer_does_not_read_whole(
    client_for: Any, api_for: Any, world: World, factory: Factory, target: Target
) -> None:
    """Handing an action over refers its reports to the receiving body, whose chair and
    secretaries then read a restricted one: the staff, who do not read it, handed it on, and so
    opened it to people of their choosing (a security review found it)."""
    restricted = factory.situation(
        world.body, world.member, "Guetteurs identifiés", confidentiality=Confidentiality.restricted
    )
    open_report = factory.situation(world.body, world.member, "Tags, hall B")
    action = factory.action(world.body, world.organisation, situations=(open_report, restricted))
    page = client_for(world.coordinator)
    handed = page.form(f"/actions/{action.id}/refer", {"body_id": str(target.body.id)})
    assert handed.status_code == 303
    said = page.get(handed.headers["location"]).text
    assert (
        "Les signalements qu’elle traite et que vous ne pouvez pas transmettre vous-même sont restés" in said
    )
    chair = api_for(target.chair)
    assert chair.get(f"/api/v1/situations/{open_report.id}").status_code == 200
    assert chair.get(f"/api/v1/situations/{restricted.id}").status_code == 404
    assert chair.get(f"/api/v1/actions/{action.id}").json()["situation_ids"] == [open_report.id]
    # The report's own chair still refers it on its own, with a reason.
    assert api_for(world.chair).get(f"/api/v1/situations/{restricted.id}").status_code == 200


def test_referral_targets_and_refusals(
    api_for: Any, world: World, factory: Factory, target: Target, session: Session
) -> None:
    plenary = factory.body("Conseil plénier", kind=BodyKind.plenary)
    closed = factory.body("Ancienne cellule")
    closed.status = BodyStatus.closed
    factory._save(closed)
    for body in (plenary, closed):
        factory.member(body, world.chair)
    open_report = factory.situation(world.body, world.member, "Tags, hall B")
    restricted = factory.situation(
        world.body, world.member, "Deal", confidentiality=Confidentiality.restricted
    )
    social = factory.situation(world.body, world.member, "Famille", confidentiality=Confidentiality.social)
    chair = api_for(world.chair)

    def refer(api: Any, action: Action, body_id: int | None) -> Any:
        return api.post(f"/api/v1/actions/{action.id}/refer", json={"body_id": body_id})

    # Bodies whose content the chair does not see: as a guest, or with the charter pending.
    as_guest = factory.body("Cellule de veille de l'est")
    factory.member(as_guest, world.chair, MemberRole.guest)
    pending = factory.body("Cellule de veille de l'ouest", charter_required=True)
    factory.member(pending, world.chair)
    factory.charter(pending)
    action = factory.action(world.body, world.organisation, situations=[open_report])
    # A body the chair does not sit in, the action's own, a closed one, an unknown one.
    for body_id in (
        target.body.id,
        world.other_body.id,
        world.body.id,
        closed.id,
        99999,
        as_guest.id,
        pending.id,
    ):
        refused = refer(chair, action, body_id)
        assert refused.status_code == 422 and _fields(refused) == {"body_id"}, (body_id, refused.text)
    assert refer(chair, action, None).status_code == 422
    # No restricted or social report goes to a plenary.
    for secret in (restricted, social):
        confidential = factory.action(world.body, world.organisation, situations=[open_report, secret])
        refused = refer(chair, confidential, plenary.id)
        assert refused.status_code == 422 and _fields(refused) == {"body_id"}, refused.text
        assert "plenary" in refused.json()["detail"][0]["msg"]
        # Not even by the staff, who see every body.
        assert refer(api_for(world.coordinator), confidential, plenary.id).status_code == 422
    session.rollback()
    assert (
        session.exec(
            select(func.count()).select_from(ActionEntry).where(ActionEntry.event == "referred")
        ).one()
        == 0
    )
    assert all(a.body_id == world.body.id for a in session.exec(select(Action)).all())
    # Reports the whole body reads go to a plenary; the chair refers to a body they sit in.
    assert refer(chair, action, plenary.id).status_code == 200
    factory.member(target.body, world.chair)
    other = factory.action(world.body, world.organisation, situations=[open_report])
    assert refer(chair, other, target.body.id).status_code == 200
    # The coordinator refers to any open body.
    third = factory.action(world.body, world.organisation)
    assert (
        refer(api_for(world.coordinator), third, world.other_body.id).json()["body_id"] == world.other_body.id
    )
    assert api_for(world.other).get(f"/api/v1/actions/{third.id}").status_code == 200
