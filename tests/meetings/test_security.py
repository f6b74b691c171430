"""Security hardening of meetings (issue 13): what a guest's mail lists, what a guest keeps
once out of the body, withdrawn invitations, and the reports an agenda item names."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.bodies.enums import MemberRole
from veille.config import Settings
from veille.notifications import service as outbox

PUBLIC = "Rodéos sur le parking du marché"
SECRET = "Situation de la famille du 12"


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return smtp_server.configure(settings)


def _mails(engine: Engine, settings: Settings, smtp_server: SmtpServer) -> dict[str, str]:
    """The text of the mail each address received, once the outbox is delivered."""
    outbox.deliver_pending(engine, settings)
    texts: dict[str, str] = {}
    for message in smtp_server.messages:
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        assert body is not None
        texts[str(message["To"])] = body.get_content()
    smtp_server.messages.clear()
    return texts


def _meeting_with_a_confidential_item(factory: Factory, world: World) -> Any:
    meeting = factory.meeting(world.body)
    factory.item(meeting, PUBLIC, position=1)
    factory.item(meeting, SECRET, position=2, confidential=True)
    factory.invite(meeting, world.guest, guest=True)
    return meeting


def test_a_guests_mails_list_no_confidential_item(
    world: World, factory: Factory, api_for: Any, engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    meeting = _meeting_with_a_confidential_item(factory, world)
    api = api_for(world.secretary)
    assert api.post(f"/api/v1/meetings/{meeting.id}/convene").status_code == 200
    convocations = _mails(engine, settings, smtp_server)
    assert PUBLIC in convocations[world.guest.email]
    assert SECRET not in convocations[world.guest.email]
    for member in (world.chair, world.secretary, world.member):
        assert SECRET in convocations[member.email]

    # "Meeting changed": the same, per recipient.
    moved = api.patch(f"/api/v1/meetings/{meeting.id}", json={"version": 2, "location": "Maison de quartier"})
    assert moved.status_code == 200, moved.text
    updates = _mails(engine, settings, smtp_server)
    assert PUBLIC in updates[world.guest.email] and SECRET not in updates[world.guest.email]
    assert SECRET in updates[world.member.email]

    # A guest invited once the meeting is convened gets the convocation at once, filtered too.
    visitor = factory.user("Valérie Visiteuse", email="visitor@example.org")
    factory.member(world.body, visitor, MemberRole.guest)
    invited = api.post(f"/api/v1/meetings/{meeting.id}/invitations", json={"user_id": visitor.id})
    assert invited.status_code == 201, invited.text
    late = _mails(engine, settings, smtp_server)
    assert list(late) == [visitor.email]
    assert PUBLIC in late[visitor.email] and SECRET not in late[visitor.email]
    # The page shows the guest the same agenda as the mail.
    page = api_for(world.guest).get(f"/api/v1/meetings/{meeting.id}/agenda-items").json()["items"]
    assert [i["title"] for i in page] == [PUBLIC]
