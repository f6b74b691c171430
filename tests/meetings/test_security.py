"""Security hardening of meetings (issue 13): what a guest's mail lists, what a guest keeps
once out of the body, withdrawn invitations, and the reports an agenda item names."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.audit.models import AuditEvent
from veille.bodies.enums import MemberRole
from veille.bodies.models import Membership
from veille.config import Settings
from veille.meetings import feeds, mails
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import AgendaItemSituation
from veille.notifications import service as outbox
from veille.situations.enums import Confidentiality

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


# A guest out of the body, or whose invitation is withdrawn, keeps nothing of its meetings.


def _guest_paths(
    client_for: Any, api_for: Any, settings: Settings, session: Session, user: Any, meeting: Any
) -> dict[str, int]:
    """Every way a guest reads a meeting: status codes, and whether the lists name it."""
    page, api = client_for(user), api_for(user)
    link = mails.answer_links(settings, meeting, user.id)["confirmed"].removeprefix("http://testserver")
    feed = feeds.feed_url(settings, feeds.feed(session, user=user)).removeprefix("http://testserver")
    listed = f"/meetings/{meeting.id}" in page.get("/meetings").text
    return {
        "page": page.get(f"/meetings/{meeting.id}").status_code,
        "page calendar file": page.get(f"/meetings/{meeting.id}/calendar.ics").status_code,
        "api meeting": api.get(f"/api/v1/meetings/{meeting.id}").status_code,
        "api agenda": api.get(f"/api/v1/meetings/{meeting.id}/agenda-items").status_code,
        "api calendar file": api.get(f"/api/v1/meetings/{meeting.id}/calendar.ics").status_code,
        "answer link": client_for().get(link).status_code,
        "answer by link": client_for().form(link, {"status": "excused"}).status_code,
        "listed": 200 if listed else 404,
        "in the feed": 200 if meeting.uid in client_for().get(feed).text else 404,
    }


def _convened_with_guest(factory: Factory, world: World) -> Any:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    factory.item(meeting, PUBLIC)
    factory.invite(meeting, world.guest, guest=True)
    return meeting


@pytest.mark.parametrize("way_out", ["removed", "excluded", "withdrawn"])
def test_a_guest_out_of_the_body_or_uninvited_keeps_nothing_of_its_meetings(
    way_out: str,
    client_for: Any,
    api_for: Any,
    world: World,
    factory: Factory,
    settings: Settings,
    session: Session,
) -> None:
    meeting = _convened_with_guest(factory, world)
    before = _guest_paths(client_for, api_for, settings, session, world.guest, meeting)
    assert set(before.values()) == {200}, before
    if way_out == "removed":
        response = api_for(world.secretary).delete(f"/api/v1/bodies/{world.body.id}/members/{world.guest.id}")
    elif way_out == "excluded":
        response = api_for(world.chair).post(
            f"/api/v1/bodies/{world.body.id}/members/{world.guest.id}/exclude", json={"reason": "Fuite"}
        )
    else:
        response = api_for(world.secretary).delete(
            f"/api/v1/meetings/{meeting.id}/invitations/{world.guest.id}"
        )
    assert response.status_code == 204, response.text
    after = _guest_paths(client_for, api_for, settings, session, world.guest, meeting)
    assert set(after.values()) == {404}, after


def test_a_guests_access_ends_with_the_minutes_and_needs_the_guest_seat(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    """A guest invitation of someone who is not (or no longer) the body's guest opens nothing."""
    meeting = factory.meeting(world.body)
    outsider = factory.user("Olga Extérieure")
    factory.invite(meeting, outsider, guest=True)
    assert client_for(outsider).get(f"/meetings/{meeting.id}").status_code == 404
    assert api_for(outsider).get(f"/api/v1/meetings/{meeting.id}/agenda-items").status_code == 404
    factory.member(world.body, outsider, MemberRole.guest)
    assert client_for(outsider).get(f"/meetings/{meeting.id}").status_code == 200
    meeting.status = MeetingStatus.minutes_approved
    factory._save(meeting)
    assert client_for(outsider).get(f"/meetings/{meeting.id}").status_code == 404


def test_inviting_an_outsider_seats_them_as_the_bodys_guest(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body)
    outsider = factory.user("Olga Extérieure")
    invited = api_for(world.secretary).post(
        f"/api/v1/meetings/{meeting.id}/invitations", json={"user_id": outsider.id}
    )
    assert invited.status_code == 201 and invited.json()["guest"] is True
    session.rollback()
    seat = session.exec(
        select(Membership).where(Membership.body_id == world.body.id, Membership.user_id == outsider.id)
    ).one()
    assert seat.role == MemberRole.guest
    assert client_for(outsider).get(f"/meetings/{meeting.id}").status_code == 200
    events = session.exec(
        select(AuditEvent.verb).where(AuditEvent.entity == "body", AuditEvent.entity_id == world.body.id)
    ).all()
    assert "add_member" in events
    # Removed from the body, they lose the meeting.
    api_for(world.secretary).delete(f"/api/v1/bodies/{world.body.id}/members/{outsider.id}")
    assert client_for(outsider).get(f"/meetings/{meeting.id}").status_code == 404


def test_withdrawing_an_invitation_by_page_is_audited_and_mailed(
    client_for: Any,
    api_for: Any,
    world: World,
    factory: Factory,
    engine: Engine,
    settings: Settings,
    smtp_server: SmtpServer,
    session: Session,
) -> None:
    meeting = _convened_with_guest(factory, world)
    page = client_for(world.secretary).get(f"/meetings/{meeting.id}").text
    action = f"/meetings/{meeting.id}/invitations/{world.guest.id}/withdraw"
    assert f'action="{action}"' in page
    # A member sees no such button, and the route refuses them.
    assert "/withdraw" not in client_for(world.member).get(f"/meetings/{meeting.id}").text
    assert client_for(world.member).htmx(action).status_code == 403
    response = client_for(world.secretary).htmx(action)
    assert response.status_code == 200
    assert "L’invitation est retirée." in response.text
    assert client_for(world.guest).get(f"/meetings/{meeting.id}").status_code == 404
    session.rollback()
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "withdraw_invitation")).one()
    assert (event.user_id, event.entity_id) == (world.secretary.id, meeting.id)
    assert event.detail == {"invitee": world.guest.id}
    # The guest's calendar drops the event: a CANCEL of the same UID, without answer links.
    outbox.deliver_pending(engine, settings)
    [mail] = [m for m in smtp_server.messages if m["To"] == world.guest.email]
    assert mail["Subject"].startswith("Invitation retirée")
    [part] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    ics = part.get_payload(decode=True).decode()
    assert "METHOD:CANCEL" in ics and meeting.uid in ics
    assert "status=" not in mail.get_body(("plain",)).get_content()
    # Again: nothing left to withdraw.
    assert client_for(world.secretary).htmx(action).status_code == 404


def test_withdrawing_an_invitation_by_api(api_for: Any, world: World, factory: Factory) -> None:
    meeting = _convened_with_guest(factory, world)
    url = f"/api/v1/meetings/{meeting.id}/invitations/{world.guest.id}"
    assert api_for(world.member).delete(url).status_code == 403
    assert api_for(world.guest).delete(url).status_code == 403
    assert api_for(world.other).delete(url).status_code == 404
    assert api_for(world.chair).delete(f"/api/v1/meetings/{meeting.id}/invitations/999").status_code == 404
    assert api_for(world.chair).delete(url).status_code == 204
    assert api_for(world.chair).delete(url).status_code == 404
    held = factory.meeting(world.body, status=MeetingStatus.held, in_days=-0.05)
    factory.invite(held, world.guest, guest=True)
    refused = api_for(world.chair).delete(f"/api/v1/meetings/{held.id}/invitations/{world.guest.id}")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "This meeting has been held: its invitations can no longer change."}


# The agenda API names only the reports its reader may open.


def test_the_agenda_api_names_only_the_reports_the_reader_may_open(
    api_for: Any, world: World, factory: Factory
) -> None:
    meeting = factory.meeting(world.body)
    public = factory.situation(world.body, world.member, "Rodéos sur le parking du marché")
    # Posted by the city (the chair's organisation): the member, of the police, may not open it.
    restricted = factory.situation(
        world.body, world.chair, "Squat signalé par la mairie", confidentiality=Confidentiality.restricted
    )
    # Posted by the police: the chair sees it as a stub, which opens (without its text).
    social = factory.situation(
        world.body, world.member, "Famille suivie", confidentiality=Confidentiality.social
    )
    item = factory.item(meeting, "Rodéos")
    factory.invite(meeting, world.guest, guest=True)
    for report in (public, restricted, social):
        factory._save(AgendaItemSituation(agenda_item_id=item.id, situation_id=report.id))
    url = f"/api/v1/meetings/{meeting.id}/agenda-items"

    def named(user: Any, item: dict[str, Any]) -> list[int]:
        ids: list[int] = item["situation_ids"]
        for situation_id in ids:  # every report named opens to the reader
            assert api_for(user).get(f"/api/v1/situations/{situation_id}").status_code == 200
        return ids

    assert api_for(world.member).get(f"/api/v1/situations/{restricted.id}").status_code == 404
    [listed] = api_for(world.member).get(url).json()["items"]
    assert named(world.member, listed) == sorted([public.id, social.id])
    [listed] = api_for(world.chair).get(url).json()["items"]
    assert named(world.chair, listed) == sorted([public.id, restricted.id, social.id])
    # The item routes answer the same way (the secretary, of the city, opens all three).
    patched = api_for(world.secretary).patch(
        f"/api/v1/agenda-items/{item.id}", json={"version": 1, "title": "Rodéos urbains"}
    )
    assert named(world.secretary, patched.json()) == sorted([public.id, restricted.id, social.id])
    assert api_for(world.guest).get(url).json()["items"][0]["situation_ids"] == []
