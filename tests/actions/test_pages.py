"""The action pages: recording (from an agenda item, a report, a problem file), the board and
its moves, the table and its filters, an action with its history, status, evaluation and
referral, and their refusals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from tests.factories import Factory, World
from veille import pagination
from veille.actions import lists
from veille.actions.enums import ActionKind, ActionStatus, Event
from veille.actions.models import Action, ActionEntry
from veille.bodies.enums import BodyKind
from veille.meetings.enums import MeetingStatus, StandingItem
from veille.orm import utcnow

SOON = (date.today() + timedelta(days=20)).isoformat()


def _actions(session: Session) -> list[Action]:
    session.rollback()
    session.expire_all()
    return list(session.exec(select(Action).order_by(col(Action.id))))


def _form(world: World, **values: Any) -> dict[str, Any]:
    return {
        "body_id": str(world.body.id),
        "title": "Tournées de médiation le vendredi soir",
        "description": "Deux médiateurs au pied du bâtiment B.",
        "kind": "preventive",
        "lead_organisation_id": str(world.organisation.id),
        "owner_id": str(world.member.id),
        "due_on": SOON,
        "status": "planned",
        "progress": "0",
    } | values


def test_secretary_records_a_decision_from_an_agenda_item(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body)
    item = factory.item(meeting, "Hall du bâtiment B", decisions="Tournées de médiation le vendredi soir")
    client = client_for(world.secretary)
    page = client.get(f"/actions/new?agenda_item_id={item.id}")
    assert page.status_code == 200
    assert 'value="Tournées de médiation le vendredi soir"' in page.text  # the decision proposed
    assert "apparaîtra dans le compte rendu" in page.text
    form = _form(world, meeting_id=str(meeting.id), agenda_item_id=str(item.id))
    response = client.form("/actions/new", form)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/meetings/{meeting.id}#item-{item.id}"
    [action] = _actions(session)
    assert (action.meeting_id, action.agenda_item_id, action.status) == (meeting.id, item.id, "planned")
    # The meeting page shows the decision under its item.
    assert "Tournées de médiation le vendredi soir" in client.get(f"/meetings/{meeting.id}").text


def test_recording_refused_keeps_the_form_with_french_messages(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    response = client.form(
        "/actions/new", _form(world, title="", progress="120", owner_id=str(world.other.id))
    )
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in response.text
    assert "Deux médiateurs au pied du bâtiment B." in response.text  # nothing typed is lost
    assert _actions(session) == []


def test_a_member_records_only_actions_led_by_their_organisation(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    housing = factory.organisation("Bailleur")
    client = client_for(world.member)
    assert client.form("/actions/new", _form(world, lead_organisation_id=str(housing.id))).status_code == 403
    assert client.form("/actions/new", _form(world)).status_code == 303
    assert len(_actions(session)) == 1
    assert client_for(world.guest).get(f"/actions/new?body_id={world.body.id}").status_code == 404


def test_action_from_a_report_links_it(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    report = factory.situation(world.body, world.member, "Rodéos sur le parking")
    client = client_for(world.secretary)
    page = client.get(f"/actions/new?situation_id={report.id}")
    assert page.status_code == 200
    assert "Rodéos sur le parking" in page.text
    response = client.form("/actions/new", _form(world) | {"situation_ids": [str(report.id)]})
    assert response.status_code == 303
    action_page = client.get(response.headers["location"])
    assert "Rodéos sur le parking" in action_page.text


def test_crime_treatment_group_form_states_the_end_date(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    group = factory.body(
        "GLTD Nord", kind=BodyKind.crime_treatment_group, ends_on=date.today() + timedelta(days=10)
    )
    factory.member(group, world.member)
    client = client_for(world.member)
    page = client.get(f"/actions/new?body_id={group.id}")
    assert "chaque action doit être échue" in page.text or "Le groupe prend fin" in page.text
    response = client.form("/actions/new", _form(world, body_id=str(group.id), due_on=SOON))
    assert response.status_code == 422
    assert "date de fin du groupe" in response.text
    assert _actions(session) == []


def _action(factory: Factory, world: World, **values: Any) -> Action:
    return factory.action(world.body, world.organisation, **({"owner": world.member} | values))


def test_board_moves_a_card_with_htmx_and_refuses_a_stale_one(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    action = _action(factory, world, status=ActionStatus.planned)
    client = client_for(world.member)
    board = client.get(f"/bodies/{world.body.id}/actions")
    assert board.status_code == 200
    assert "data-board" in board.text and "Démarrer" in board.text
    moved = client.htmx(
        f"/actions/{action.id}/status",
        {"status": "in_progress", "version": str(action.version), "from": "board"},
    )
    assert moved.status_code == 200
    assert 'id="board"' in moved.text and "data-autofocus" in moved.text
    [action] = _actions(session)
    assert action.status == ActionStatus.in_progress
    stale = client.htmx(f"/actions/{action.id}/status", {"status": "done", "version": "1", "from": "board"})
    assert stale.status_code == 409
    assert "Quelqu’un d’autre a modifié cette action" in stale.text
    [action] = _actions(session)
    assert action.status == ActionStatus.in_progress


def test_board_shows_moves_only_to_those_who_may_change(
    client_for: Any, world: World, factory: Factory
) -> None:
    housing = factory.organisation("Commerçants du centre")
    _action(factory, world, title="Action de la police")
    factory.action(world.body, housing, title="Action des commerçants")
    member_board = client_for(world.member).get(f"/bodies/{world.body.id}/actions").text
    assert member_board.count('draggable="true"') == 1  # their organisation's card only
    assert (
        client_for(world.secretary).get(f"/bodies/{world.body.id}/actions").text.count('draggable="true"')
        == 2
    )
    assert client_for(world.guest).get(f"/bodies/{world.body.id}/actions").status_code == 403
    assert client_for(world.other).get(f"/bodies/{world.body.id}/actions").status_code == 404


def test_action_page_history_update_status_evaluation(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    action = _action(factory, world, status=ActionStatus.in_progress)
    client = client_for(world.member)
    posted = client.htmx(f"/actions/{action.id}/updates", {"text": "Deux tournées faites", "progress": "60"})
    assert posted.status_code == 200
    assert "Deux tournées faites" in posted.text and 'id="history"' in posted.text
    # The progress above the history follows (it stayed at its old figure until a reload).
    assert '<span id="action-progress" hx-swap-oob="true">' in posted.text and ">60 %<" in posted.text
    refused = client.htmx(f"/actions/{action.id}/updates", {"text": "", "progress": "60"})
    assert refused.status_code == 422 and "Ce champ est obligatoire." in refused.text
    assert "action-progress" not in refused.text
    [action] = _actions(session)
    assert action.progress == 60
    done = client.form(f"/actions/{action.id}/status", {"status": "done", "version": str(action.version)})
    assert done.status_code == 303
    # What comes next is its evaluation, a screen below: the page opens there, and says so.
    assert done.headers["location"] == f"/actions/{action.id}#evaluation"
    assert "Dites ce qu’elle a donné dans son évaluation." in client.get(done.headers["location"]).text
    empty = client.form(f"/actions/{action.id}/evaluation", {"summary": "", "effect": ""})
    assert empty.status_code == 422  # told in a summary above the form, as every other form does
    summary = empty.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#field-summary"' in summary and 'href="#field-effect"' in summary
    evaluated = client.form(
        f"/actions/{action.id}/evaluation",
        {"summary": "Tournées chaque vendredi", "effect": "positive", "indicator": "−40 % de signalements"},
    )
    assert evaluated.status_code == 303
    page = client.get(f"/actions/{action.id}").text
    assert "Positif" in page and "−40 % de signalements" in page and "Deux tournées faites" in page
    session.rollback()
    events = [e.event for e in session.exec(select(ActionEntry).where(ActionEntry.action_id == action.id))]
    assert events == [Event.created, Event.note, Event.status, Event.evaluated]
    # Reopened, it is back at the progress it had when marked done, not at 100 %.
    [action] = _actions(session)
    assert action.progress == 100
    reopened = client.form(
        f"/actions/{action.id}/status",
        {"status": "in_progress", "reopen": "1", "version": str(action.version)},
    )
    assert reopened.status_code == 303
    session.rollback()
    [action] = _actions(session)
    assert action.status == ActionStatus.in_progress and action.progress == 60


def test_edit_with_a_stale_version_is_refused_with_a_clear_message(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    action = _action(factory, world)
    client = client_for(world.secretary)
    form = _form(world, version=str(action.version), title="Nouveau titre")
    assert client.form(f"/actions/{action.id}/edit", form).status_code == 303
    stale = client.form(f"/actions/{action.id}/edit", form | {"title": "Autre titre"})
    assert stale.status_code == 409
    assert "Quelqu’un d’autre a modifié cette action" in stale.text and "Autre titre" in stale.text
    [action] = _actions(session)
    assert action.title == "Nouveau titre"


def test_table_filters_and_scopes(client_for: Any, world: World, factory: Factory) -> None:
    _action(factory, world, title="Retardataire", due_in_days=-3, kind=ActionKind.deterrent)
    _action(factory, world, title="À venir", owner=None)
    housing = factory.organisation("Commerçants")
    factory.action(world.body, housing, title="Des commerçants", partners=[world.organisation])
    client = client_for(world.member)
    everything = client.get("/actions").text
    assert all(t in everything for t in ("Retardataire", "À venir", "Des commerçants"))
    assert "jours de retard" in everything
    overdue = client.get("/actions?overdue=1").text
    assert "Retardataire" in overdue and "À venir" not in overdue
    assert "À venir" not in client.get("/actions?scope=mine").text
    assert "À venir" not in client.get(f"/actions?owner_id={world.member.id}").text
    # The owner filter is a search field (words of their name, whatever the case), not a list.
    assert 'name="owner"' in everything and "Marc Membre (Police nationale)" not in everything
    assert "Retardataire" in client.get("/actions?owner=membre").text
    assert "Retardataire" not in client.get("/actions?owner=marc+chair").text
    assert "Retardataire" not in client.get("/actions?owner=%25").text  # a wildcard is a letter
    assert "Vérifiez les filtres" in client.get("/actions?owner=" + "x" * 101).text
    mine = client.get("/actions?scope=organisation").text
    assert "Des commerçants" in mine  # a partner organisation's action
    assert "Des commerçants" not in client.get(f"/actions?lead_organisation_id={world.organisation.id}").text
    assert "Retardataire" not in client.get("/actions?kind=preventive").text
    assert "Vérifiez les filtres" in client.get("/actions?due_before=demain").text
    assert "Retardataire" not in client_for(world.other).get("/actions").text


def test_refer_from_the_page(client_for: Any, world: World, factory: Factory, session: Session) -> None:
    action = _action(factory, world)
    client = client_for(world.coordinator)
    page = client.get(f"/actions/{action.id}").text
    assert "Transmettre" in page
    assert (
        client.form(f"/actions/{action.id}/refer", {"body_id": str(world.other_body.id)}).status_code == 303
    )
    [action] = _actions(session)
    assert action.body_id == world.other_body.id
    history = client_for(world.member).get(f"/actions/{action.id}")
    assert history.status_code == 200 and "Transmise de" in history.text


def test_follow_up_item_shows_what_changed_since_the_last_meeting(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    action = _action(factory, world, status=ActionStatus.in_progress)
    client_for(world.member).htmx(f"/actions/{action.id}/updates", {"text": "Caméra posée", "progress": "80"})
    meeting = factory.meeting(world.body, in_days=3)
    factory.invite(meeting, world.guest, guest=True)
    factory.item(meeting, "Suivi des actions", standing=StandingItem.actions_follow_up)
    # An action unchanged since the body's previous meeting: one line.
    quiet_one = _action(factory, world, title="Fresque sur le mur de l’école")
    for entry in session.exec(select(ActionEntry).where(ActionEntry.action_id == quiet_one.id)).all():
        entry.created_at = utcnow() - timedelta(days=20)
        factory._save(entry)
    factory.meeting(world.body, in_days=-10, status=MeetingStatus.held)
    page = client_for(world.member).get(f"/meetings/{meeting.id}").text
    assert "Médiation au pied du bâtiment B" in page and "Caméra posée" in page
    changed, quiet = page.split("1 action en cours sans nouvelles depuis la dernière réunion")
    assert "1 action modifiée depuis la dernière réunion" in changed and "Caméra posée" in changed
    assert "Fresque sur le mur de l’école" in quiet.split("</ul>")[0]
    assert "Caméra posée" not in client_for(world.guest).get(f"/meetings/{meeting.id}").text


def test_follow_up_shows_an_actions_latest_changes_and_counts_the_earlier(
    client_for: Any, world: World, factory: Factory
) -> None:
    """An action moved every day would fill the agenda: the follow-up shows its latest changes,
    oldest first, and links its page for the earlier ones; an action with fewer shows them all."""
    busy = _action(factory, world, title="Tournées quotidiennes", status=ActionStatus.in_progress)
    calm = _action(factory, world, title="Fresque sur le mur", status=ActionStatus.in_progress)
    member = client_for(world.member)
    steps = ["Étape A", "Étape B", "Étape C", "Étape D", "Étape E", "Étape F", "Étape G"]
    assert len(steps) > lists.FOLLOW_UP_ENTRIES + 1
    for n, text in enumerate(steps):
        answer = member.htmx(f"/actions/{busy.id}/updates", {"text": text, "progress": str(10 + n)})
        assert answer.status_code == 200
    painted = member.htmx(f"/actions/{calm.id}/updates", {"text": "Peinture", "progress": "50"})
    assert painted.status_code == 200
    factory.meeting(world.body, in_days=-10, status=MeetingStatus.held)
    meeting = factory.meeting(world.body, in_days=3)
    factory.item(meeting, "Suivi des actions", standing=StandingItem.actions_follow_up)
    page = member.get(f"/meetings/{meeting.id}").text
    shown = steps[-lists.FOLLOW_UP_ENTRIES :]
    assert all(step in page for step in shown)
    assert [page.index(step) for step in shown] == sorted(page.index(step) for step in shown)
    assert not any(step in page for step in steps[: -lists.FOLLOW_UP_ENTRIES])
    earlier = 1 + len(steps) - len(shown)  # with its creation
    assert page.count("modifications antérieures depuis la dernière réunion") == 1
    assert f'<a href="/actions/{busy.id}#history">{earlier} modifications antérieures' in page
    assert "Peinture" in page and f'href="/actions/{calm.id}#history"' not in page


def test_follow_up_leaves_out_an_action_finished_after_the_meeting(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    """A meeting whose minutes are approved follows up the changes up to its end: an action
    finished since is not one of its open actions without news."""
    factory.meeting(world.body, in_days=-30, status=MeetingStatus.minutes_approved)
    meeting = factory.meeting(world.body, in_days=-10, status=MeetingStatus.minutes_approved)
    factory.item(meeting, "Suivi des actions", standing=StandingItem.actions_follow_up)
    action = _action(factory, world, title="Fresque sur le mur", status=ActionStatus.done)
    for entry in session.exec(select(ActionEntry).where(ActionEntry.action_id == action.id)).all():
        entry.created_at = utcnow() - timedelta(days=2)  # finished after the meeting
        factory._save(entry)
    action.created_at = utcnow() - timedelta(days=60)
    factory._save(action)
    page = client_for(world.member).get(f"/meetings/{meeting.id}").text
    assert "Suivi des actions" in page and "Fresque sur le mur" not in page


def test_pages_use_a_bounded_number_of_queries(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    client = client_for(world.secretary)
    counts = []
    for n in (2, 12):
        while len(_actions(factory.session)) < n:
            _action(factory, world, title=f"Action {len(_actions(factory.session))}")
        row = []
        for url in (
            f"/bodies/{world.body.id}/actions",
            "/actions",
            f"/actions/{_actions(factory.session)[0].id}",
        ):
            with queries() as log:
                assert client.get(url).status_code == 200
            row.append(log.count)
        counts.append(row)
    assert counts[0] == counts[1], counts


def test_minutes_list_the_actions_decided_and_leave_confidential_items_outside(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, in_days=-1, status=MeetingStatus.held)
    open_item = factory.item(meeting, "Rodéos", position=1)
    secret_item = factory.item(meeting, "Squat", position=2, confidential=True)
    client = client_for(world.secretary)
    for item, title in ((open_item, "Arrêté anti-rodéos"), (secret_item, "Visite du squat")):
        form = _form(world, title=title, meeting_id=str(meeting.id), agenda_item_id=str(item.id))
        assert client.form("/actions/new", form).status_code == 303
    api = api_for(world.secretary)
    inside = api.get(f"/api/v1/meetings/{meeting.id}/minutes").json()
    assert [d["title"] for d in inside["decisions"]] == ["Arrêté anti-rodéos", "Visite du squat"]
    outside = api.get(f"/api/v1/meetings/{meeting.id}/minutes?audience=outside").json()
    assert [d["title"] for d in outside["decisions"]] == ["Arrêté anti-rodéos"]
    pdf = client.get(f"/meetings/{meeting.id}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Once the minutes are approved, no decision is added to them.
    meeting.status = MeetingStatus.minutes_approved
    session.add(meeting)
    session.commit()
    late = client.form(
        "/actions/new", _form(world, meeting_id=str(meeting.id), agenda_item_id=str(open_item.id))
    )
    assert late.status_code == 422 and "approuvé" in late.text
    assert len(_actions(session)) == 2


def test_a_long_table_counts_up_to_a_limit_and_says_more(
    client_for: Any, world: World, factory: Factory, monkeypatch: Any
) -> None:
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 10)
    for n in range(pagination.PAGE_SIZE + 1):
        factory.action(world.body, world.organisation, title=f"Action {n}")
    client = client_for(world.member)
    first = client.get("/actions").text
    assert "Plus de 50 actions" in first and 'rel="next"' in first and "Page 1 sur" not in first
    assert "51 actions" in client.get("/actions?page=2").text
