"""The mails of actions, delivered to a real SMTP server: to the owner an action is given to
(through the API), and the weekly reminder of each owner's overdue and soon-due actions
(``remind_owners`` and ``veille remind``). A mail names the action and links to it; its
description stays in Veille; it goes only to people who still see the body's content."""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from babel.dates import format_date
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.actions import flows
from veille.actions.enums import ActionStatus
from veille.actions.models import Action, ActionReminder
from veille.bodies.enums import BodyStatus
from veille.bodies.models import Membership
from veille.config import Settings
from veille.directory.models import User
from veille.i18n import translate
from veille.notifications import service as outbox
from veille.notifications.models import OutboxMail

DESCRIPTION = "Le gardien signale un point de deal : deux mineurs guettent devant la porte B."


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return smtp_server.configure(settings)


@pytest.fixture
def colleague(factory: Factory, world: World) -> User:
    """A second member of the body from the police, who may own its police actions."""
    user = factory.user("Paul Police", organisation=world.organisation, email="paul@example.org")
    factory.member(world.body, user)
    return user


def fr(message: str, **params: object) -> str:
    """A message as a French reader gets it (whether or not the catalogue has it yet)."""
    return translate(message, "fr", **params)


def subject(message: str, **params: object) -> str:
    """A subject as sent: on one line, its spaces (French no-break ones too) plain."""
    return " ".join(fr(message, **params).split())


def subject_of(message: EmailMessage) -> str:
    """The subject received, unfolded: Python's folding before an encoded word (a word with an
    accent) doubles the space there."""
    return " ".join(str(message["Subject"]).split())


def long_date(day: date) -> str:
    return format_date(day, "long", locale="fr")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def received(smtp_server: SmtpServer) -> dict[str, EmailMessage]:
    """The mails the server got, by recipient (one each at most)."""
    mails = {str(m["To"]): m for m in smtp_server.messages}
    assert len(mails) == len(smtp_server.messages), "one mail per person"
    return mails


def queued(session: Session, kind: str) -> list[OutboxMail]:
    session.rollback()
    return list(session.exec(select(OutboxMail).where(OutboxMail.kind == kind)).all())


def new_action(api: Any, world: World, **values: Any) -> dict[str, Any]:
    payload = {
        "body_id": world.body.id,
        "title": "Rondes au pied du bâtiment B",
        "description": DESCRIPTION,
        "kind": "deterrent",
        "lead_organisation_id": world.organisation.id,
        "due_on": (date.today() + timedelta(days=30)).isoformat(),
    } | values
    response = api.post("/api/v1/actions", json=payload)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# The owner an action is given to


def test_creating_an_action_mails_its_owner_once_without_its_description(
    world: World, api_for: Any, smtp_server: SmtpServer
) -> None:
    due = date.today() + timedelta(days=30)
    action = new_action(api_for(world.secretary), world, owner_id=world.member.id, due_on=due.isoformat())

    mails = received(smtp_server)
    assert list(mails) == [world.member.email]
    mail = mails[world.member.email]
    assert subject_of(mail) == subject(
        "An action is given to you in %(body)s: %(title)s",
        body=world.body.name,
        title="Rondes au pied du bâtiment B",
    )
    text = text_of(mail)
    assert fr("Hello %(name)s,", name=world.member.name) in text
    assert (
        fr("%(actor)s gave you an action of %(body)s:", actor=world.secretary.name, body=world.body.name)
        in text
    )
    assert "Rondes au pied du bâtiment B" in text
    assert fr("Due on %(date)s", date=long_date(due)) in text
    assert f"http://testserver/actions/{action['id']}" in text
    whole = str(mail["Subject"]) + text
    assert DESCRIPTION not in whole
    assert "point de deal" not in whole


def test_an_action_given_to_oneself_or_to_nobody_sends_nothing(
    world: World, api_for: Any, smtp_server: SmtpServer, session: Session
) -> None:
    new_action(api_for(world.member), world, owner_id=world.member.id)
    new_action(api_for(world.secretary), world)
    assert smtp_server.messages == []
    assert queued(session, flows.ASSIGNED) == []


def test_a_new_owner_set_by_patch_is_mailed_and_only_them(
    world: World, api_for: Any, smtp_server: SmtpServer, colleague: User
) -> None:
    api = api_for(world.secretary)
    action = new_action(api, world, owner_id=world.member.id)
    smtp_server.messages.clear()

    # A change that keeps the owner mails nobody.
    kept = api.patch(f"/api/v1/actions/{action['id']}", json={"version": 1, "title": "Rondes renforcées"})
    assert kept.status_code == 200, kept.text
    assert smtp_server.messages == []

    moved = api.patch(f"/api/v1/actions/{action['id']}", json={"version": 2, "owner_id": colleague.id})
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner_id"] == colleague.id
    mails = received(smtp_server)
    assert list(mails) == [colleague.email]
    assert subject_of(mails[colleague.email]) == subject(
        "An action is given to you in %(body)s: %(title)s", body=world.body.name, title="Rondes renforcées"
    )
    assert f"http://testserver/actions/{action['id']}" in text_of(mails[colleague.email])

    # Taking it back oneself sends nothing either.
    smtp_server.messages.clear()
    taken = api_for(world.member).patch(
        f"/api/v1/actions/{action['id']}", json={"version": 3, "owner_id": world.member.id}
    )
    assert taken.status_code == 200, taken.text
    assert smtp_server.messages == []


def test_an_owner_who_left_the_body_is_not_mailed(
    world: World,
    factory: Factory,
    api_for: Any,
    smtp_server: SmtpServer,
    session: Session,
    settings: Settings,
) -> None:
    api = api_for(world.secretary)
    action_id = new_action(api, world, owner_id=world.member.id)["id"]
    smtp_server.messages.clear()
    assert api.delete(f"/api/v1/bodies/{world.body.id}/members/{world.member.id}").status_code == 204

    session.rollback()
    action = session.get(Action, action_id)
    assert action is not None and action.owner_id == world.member.id
    flows.assigned(session, action=action, actor=world.secretary, settings=settings)
    session.commit()
    assert len(queued(session, flows.ASSIGNED)) == 1, "only the creation's, already delivered"
    # Nor in the weekly reminder, though the action is still theirs.
    action.due_on = date.today() - timedelta(days=1)
    factory._save(action)
    assert flows.remind_owners(session, settings, today=date.today()) == 0
    assert smtp_server.messages == []


# The weekly reminder


@pytest.fixture
def due_actions(factory: Factory, world: World, colleague: User) -> dict[str, Action]:
    """The member's actions around today's two-week horizon, and one of the colleague's."""
    police = world.organisation
    member = world.member

    def make(title: str, due_in_days: int | None, status: ActionStatus, owner: User = member) -> Action:
        return factory.action(
            world.body,
            police,
            title,
            owner=owner,
            due_in_days=due_in_days,
            status=status,
            description=DESCRIPTION,
        )

    return {
        "overdue": make("Fermer l'accès au toit du bâtiment B", -3, ActionStatus.in_progress),
        "soon": make("Rondes du vendredi soir rue des Lilas", 5, ActionStatus.planned),
        "horizon": make("Rencontre avec le gardien", 14, ActionStatus.proposed),
        "beyond": make("Bilan avec le bailleur", 15, ActionStatus.planned),
        "far": make("Diagnostic de sûreté de la résidence", 60, ActionStatus.planned),
        "undated": make("Veille sur les réseaux sociaux", None, ActionStatus.in_progress),
        "done": make("Dispersion des regroupements du hall", -2, ActionStatus.done),
        "abandoned": make("Caméra nomade sur le parking", 3, ActionStatus.abandoned),
        "colleague": make("Contrôles routiers avenue Jaurès", 2, ActionStatus.in_progress, colleague),
    }


def test_remind_owners_mails_each_owner_their_overdue_and_soon_due_open_actions(
    world: World,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    colleague: User,
    due_actions: dict[str, Action],
) -> None:
    today = date.today()
    assert flows.remind_owners(session, settings, today=today) == 2
    outbox.deliver_pending(engine, settings)

    mails = received(smtp_server)
    assert sorted(mails) == sorted([world.member.email, colleague.email])
    mail = mails[world.member.email]
    assert subject_of(mail) == subject(
        "Your actions: %(overdue)s overdue, %(soon)s due soon", overdue=1, soon=2
    )
    text = text_of(mail)
    overdue, soon = fr("Overdue:"), fr("Due in the next two weeks:")
    assert text.index(overdue) < text.index("Fermer l'accès au toit") < text.index(soon)
    assert text.index(soon) < text.index("Rondes du vendredi soir") < text.index("Rencontre avec le gardien")
    for key in ("overdue", "soon", "horizon"):
        action = due_actions[key]
        assert f"http://testserver/actions/{action.id}\n" in text
        assert action.due_on is not None
        assert fr("due on %(date)s", date=long_date(action.due_on)) in text
    assert f"({world.body.name})" in text
    for key in ("beyond", "far", "undated", "done", "abandoned", "colleague"):
        assert due_actions[key].title not in text, key
        assert f"/actions/{due_actions[key].id}\n" not in text, key
    assert DESCRIPTION not in text

    other = mails[colleague.email]
    assert subject_of(other) == subject(
        "Your actions: %(overdue)s overdue, %(soon)s due soon", overdue=0, soon=1
    )
    assert "Contrôles routiers avenue Jaurès" in text_of(other)
    assert overdue not in text_of(other)


def test_remind_owners_mails_each_owner_once_a_week(
    world: World,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    due_actions: dict[str, Action],
) -> None:
    today = date.today()
    assert flows.remind_owners(session, settings, today=today) == 2
    assert flows.remind_owners(session, settings, today=today) == 0
    assert flows.remind_owners(session, settings, today=today + timedelta(days=6)) == 0
    assert len(queued(session, flows.REMINDER)) == 2
    sent_on = [r.sent_on for r in session.exec(select(ActionReminder)).all()]
    assert sent_on == [today, today]

    assert flows.remind_owners(session, settings, today=today + timedelta(days=7)) == 2
    assert len(queued(session, flows.REMINDER)) == 4
    outbox.deliver_pending(engine, settings)
    assert len(smtp_server.messages) == 4
    # A week later, what was due soon is overdue, what was beyond two weeks is due soon.
    first, later = [m for m in smtp_server.messages if m["To"] == world.member.email]
    assert "Bilan avec le bailleur" not in text_of(first)
    assert "Bilan avec le bailleur" in text_of(later)
    assert subject_of(later) == subject(
        "Your actions: %(overdue)s overdue, %(soon)s due soon", overdue=2, soon=2
    )


def test_no_reminder_for_an_owner_out_of_the_body_or_deactivated(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    smtp_server: SmtpServer,
    engine: Engine,
) -> None:
    police = world.organisation
    gone = factory.user("Gaston Parti", organisation=police, email="gone@example.org")
    factory.member(world.body, gone)
    retired = factory.user("Rémi Retraité", organisation=police, email="retired@example.org")
    factory.member(world.body, retired)
    for owner in (gone, retired, world.member):
        factory.action(world.body, police, f"Action de {owner.name}", owner=owner, due_in_days=-1)

    # One leaves the body (as the secretary removes them), one's account is deactivated.
    session.rollback()
    left = session.exec(
        select(Membership).where(Membership.user_id == gone.id, Membership.body_id == world.body.id)
    ).one()
    session.delete(left)
    session.commit()
    retired.active = False
    factory._save(retired)

    assert flows.remind_owners(session, settings, today=date.today()) == 1
    outbox.deliver_pending(engine, settings)
    assert [m["To"] for m in smtp_server.messages] == [world.member.email]
    text = text_of(smtp_server.messages[0])
    assert f"Action de {world.member.name}" in text
    assert "Gaston" not in text and "Rémi" not in text


def test_no_reminder_for_the_actions_of_a_closed_body(
    world: World, factory: Factory, session: Session, settings: Settings, smtp_server: SmtpServer
) -> None:
    """A closed body is read-only: its actions can no longer be updated, nobody is chased."""
    factory.action(world.body, world.organisation, "Rondes", owner=world.member, due_in_days=-1)
    factory.member(world.other_body, world.secretary)
    factory.action(
        world.other_body, world.other.organisation, "Action close", owner=world.secretary, due_in_days=1
    )
    world.other_body.status = BodyStatus.closed
    factory._save(world.other_body)
    assert flows.remind_owners(session, settings, today=date.today()) == 1
    assert [m.to_address for m in queued(session, flows.REMINDER)] == [world.member.email]


def test_veille_remind_queues_and_delivers_the_owners_reminders(
    world: World,
    factory: Factory,
    smtp_server: SmtpServer,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from veille.cli import main

    action = factory.action(
        world.body, world.organisation, "Rondes du vendredi soir", owner=world.member, due_in_days=-4
    )
    factory.action(world.body, world.organisation, "Bilan annuel", owner=world.member, due_in_days=90)
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", "cli-test-secret-key-0123456789abcdefghij")
    monkeypatch.setenv("VEILLE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("VEILLE_BASE_URL", "https://veille.example")
    assert main(["remind"]) == 0
    assert "Queued 1 reminder(s)." in capsys.readouterr().out
    assert [m["To"] for m in smtp_server.messages] == [world.member.email]
    mail = smtp_server.messages[0]
    assert subject_of(mail) == subject(
        "Your actions: %(overdue)s overdue, %(soon)s due soon", overdue=1, soon=0
    )
    text = text_of(mail)
    assert "Rondes du vendredi soir" in text
    assert f"https://veille.example/actions/{action.id}" in text
    assert "Bilan annuel" not in text

    # Run daily: the next run the same day sends nothing.
    assert main(["remind"]) == 0
    assert "Queued 0 reminder(s)." in capsys.readouterr().out
    assert len(smtp_server.messages) == 1
