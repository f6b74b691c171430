"""Convocations, updates, cancellations and minutes delivered to a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar
from sqlmodel import Session, select

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.config import Settings
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.meetings.models import Invitation, Meeting
from veille.orm import utcnow


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return smtp_server.configure(settings)


@pytest.fixture
def five_members(factory: Factory, world: World) -> list[Any]:
    """The body's chair, secretary and member, plus two partners; its guest is not convened."""
    extra = [
        factory.user("Bruno Bailleur", organisation=world.organisation, email="bruno@example.org"),
        factory.user("Tania Transports", organisation=world.organisation, email="tania@example.org"),
    ]
    for user in extra:
        factory.member(world.body, user)
    return [world.chair, world.secretary, world.member, *extra]


def _calendar(message: EmailMessage) -> tuple[str, Any]:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "one calendar file per mail"
    data = parts[0].get_payload(decode=True)
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return str(calendar["METHOD"]), events[0]


def _new_meeting(api: Any, world: World, **values: Any) -> dict[str, Any]:
    starts = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    body = {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "location": "Mairie, salle du conseil",
    } | values
    response = api.post(f"/api/v1/bodies/{world.body.id}/meetings", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_convene_update_and_cancel_reuse_one_calendar_event(
    world: World, five_members: list[Any], api_for: Any, smtp_server: SmtpServer, session: Session
) -> None:
    api = api_for(world.secretary)
    meeting = _new_meeting(api, world)
    assert api.post(f"/api/v1/meetings/{meeting['id']}/convene").json()["status"] == "convened"

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(u.email for u in five_members)
    uid = session.exec(select(Meeting.uid).where(Meeting.id == meeting["id"])).one()
    for message in smtp_server.messages:
        assert message["Subject"].startswith("Convocation")
        body = message.get_body(("plain",))
        assert body is not None and "Mairie, salle du conseil" in body.get_content()
        method, event = _calendar(message)
        assert method == "REQUEST"
        assert str(event["UID"]) == uid
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART").isoformat().startswith(meeting["starts_at"][:16])
        assert str(event["ATTENDEE"]).lower() == f"mailto:{message['To']}".lower()

    smtp_server.messages.clear()
    patched = api.patch(
        f"/api/v1/meetings/{meeting['id']}", json={"version": 2, "location": "Maison de quartier"}
    )
    assert patched.status_code == 200, patched.text
    assert len(smtp_server.messages) == 5
    for message in smtp_server.messages:
        method, event = _calendar(message)
        assert (method, str(event["UID"]), event["SEQUENCE"]) == ("REQUEST", uid, 1)
        assert str(event["LOCATION"]) == "Maison de quartier"

    smtp_server.messages.clear()
    assert api.post(f"/api/v1/meetings/{meeting['id']}/cancel").json()["status"] == "cancelled"
    assert len(smtp_server.messages) == 5
    for message in smtp_server.messages:
        method, event = _calendar(message)
        assert (method, str(event["UID"]), event["SEQUENCE"]) == ("CANCEL", uid, 2)
        assert str(event["STATUS"]) == "CANCELLED"


def _status(session: Session, world: World) -> str:
    return str(session.exec(select(Invitation.status).where(Invitation.user_id == world.member.id)).one())


def _link(message: EmailMessage, status: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"http://testserver(/meetings/\S+\?status={status})", body.get_content())
    assert found, "the mail carries the answer links"
    return found.group(1)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_the_signed_link_records_the_answer_without_login(
    world: World,
    five_members: list[Any],
    api_for: Any,
    client_for: Any,
    smtp_server: SmtpServer,
    session: Session,
) -> None:
    meeting = _new_meeting(api_for(world.secretary), world)
    api_for(world.secretary).post(f"/api/v1/meetings/{meeting['id']}/convene")
    mail = next(m for m in smtp_server.messages if m["To"] == world.member.email)
    link = _link(mail, "excused").split("?")[0]

    browser = client_for(None)
    page = browser.get(link, params={"status": "excused"})
    assert page.status_code == 200
    assert "Marc Membre" in page.text
    # Opening the link (as a mail scanner does) changes nothing: the answer is confirmed by a button.
    assert _status(session, world) == "invited"
    done = browser.post(link, data={"csrf_token": _csrf(page.text), "status": "excused"})
    assert done.status_code == 200
    assert "enregistrée" in done.text
    session.rollback()
    session.expire_all()
    assert _status(session, world) == "excused"

    # Represented needs a name; nothing is written without it.
    refused = browser.post(link, data={"csrf_token": _csrf(page.text), "status": "represented"})
    assert refused.status_code == 422
    assert "représentera" in refused.text
    session.rollback()
    session.expire_all()
    assert _status(session, world) == "excused"

    # The link is this person's and this meeting's only.
    forged = link.replace(f"/answer/{world.member.id}/", f"/answer/{world.chair.id}/")
    assert browser.get(forged).status_code == 404
    other = factory_meeting_link(link, meeting["id"] + 1000)
    assert browser.get(other).status_code == 404


def factory_meeting_link(link: str, meeting_id: int) -> str:
    return re.sub(r"/meetings/\d+/", f"/meetings/{meeting_id}/", link)


def test_answer_links_close_when_the_meeting_starts(
    world: World, factory: Factory, client_for: Any, session: Session, settings: Settings
) -> None:
    from veille.meetings.mails import answer_links

    meeting = factory.meeting(world.body, in_days=-0.01, status=MeetingStatus.convened)
    factory.invite(meeting, world.member)
    link = answer_links(settings, meeting, world.member.id or 0)["confirmed"].removeprefix(
        "http://testserver"
    )
    browser = client_for(None)
    page = browser.get(link)
    assert "les réponses sont closes" in page.text
    answer = browser.form(link.split("?")[0], {"status": "confirmed"})
    assert answer.status_code == 409
    session.rollback()
    session.expire_all()
    assert _status(session, world) == AttendanceStatus.invited


def test_approved_minutes_are_mailed_to_members_with_the_pdf(
    world: World, factory: Factory, api_for: Any, smtp_server: SmtpServer
) -> None:
    meeting = factory.meeting(world.body, in_days=-1, status=MeetingStatus.held)
    factory.item(meeting, notes="Regroupements signalés rue des Lilas.")
    response = api_for(world.chair).post(f"/api/v1/meetings/{meeting.id}/approve")
    assert response.status_code == 200, response.text
    recipients = sorted(m["To"] for m in smtp_server.messages)
    # Members only: the guest's access ended with the approval.
    assert recipients == sorted([world.chair.email, world.secretary.email, world.member.email])
    for message in smtp_server.messages:
        pdf = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
        assert len(pdf) == 1 and pdf[0].get_payload(decode=True).startswith(b"%PDF")


def test_round_table_reminder_two_days_before(
    world: World, factory: Factory, smtp_server: SmtpServer, session: Session, settings: Settings, engine: Any
) -> None:
    from veille.meetings import attendance
    from veille.notifications import service as outbox

    meeting = factory.meeting(world.body, in_days=1.5, status=MeetingStatus.convened)
    later = factory.meeting(world.body, in_days=5, status=MeetingStatus.convened)
    for user in (world.chair, world.secretary, world.member):
        factory.invite(meeting, user)
        factory.invite(later, user)
    from veille.meetings.models import RoundTableEntry

    police = world.member.organisation_id
    factory._save(RoundTableEntry(meeting_id=meeting.id, organisation_id=police, seen="Calme"))
    assert attendance.remind_round_table(session, settings) == 2  # the city's two people; police has posted
    assert attendance.remind_round_table(session, settings) == 0  # once per meeting
    outbox.deliver_pending(engine, settings)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([world.chair.email, world.secretary.email])


def test_veille_remind_queues_and_delivers_the_due_reminders(
    world: World,
    factory: Factory,
    smtp_server: SmtpServer,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from veille.cli import main

    meeting = factory.meeting(world.body, in_days=1, status=MeetingStatus.convened)
    factory.invite(meeting, world.member)
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", "cli-test-secret-key-0123456789abcdefghij")
    monkeypatch.setenv("VEILLE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(smtp_server.port))
    assert main(["remind"]) == 0
    assert "Queued 1 reminder(s)." in capsys.readouterr().out
    assert [m["To"] for m in smtp_server.messages] == [world.member.email]
    assert smtp_server.messages[0]["Subject"].startswith("Tour de table")
    assert main(["remind"]) == 0
    assert "Queued 0" in capsys.readouterr().out


def test_a_member_with_the_charter_to_accept_gets_nothing_of_the_body(
    world: World, factory: Factory, api_for: Any, smtp_server: SmtpServer, session: Session
) -> None:
    world.body.charter_required = True
    factory._save(world.body)
    factory.charter(world.body)
    for user in (world.chair, world.secretary):
        factory.accept(world.body, user)
    meeting = _new_meeting(api_for(world.secretary), world)
    api_for(world.secretary).post(f"/api/v1/meetings/{meeting['id']}/convene")
    assert sorted(m["To"] for m in smtp_server.messages) == sorted([world.chair.email, world.secretary.email])
