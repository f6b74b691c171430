"""The meeting day as the secretary lives it (issue 17): who answered, sorted and tallied;
presence as a summary with "all present"; a decision recorded as an action under its own
words; the standing item "new reports" since the previous meeting; past meetings and their
minutes in "Mes réunions"; the documents' file names. The mails' typography:
test_attendance_mail.py."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from tests.factories import Factory, World
from veille.audit.models import AuditEvent
from veille.meetings.enums import AttendanceStatus, MeetingStatus, StandingItem
from veille.meetings.models import Invitation, Meeting
from veille.orm import utcnow

PARIS = ZoneInfo("Europe/Paris")


def _block(page: str, section: str) -> str:
    """The text of the page's ``section`` (its id), as the reader gets it."""
    start = page.index(f'id="{section}"')
    return page[start : page.index("</section>", start)]


def _statuses(session: Session, meeting: Meeting) -> dict[int, str]:
    session.rollback()
    session.expire_all()
    rows = session.exec(select(Invitation).where(Invitation.meeting_id == meeting.id)).all()
    return {i.user_id: str(i.status) for i in rows}


def _invite(factory: Factory, world: World, meeting: Meeting, chair: str, member: str) -> None:
    """The chair and the member as given, the secretary represented, the guest not answered."""
    factory.invite(meeting, world.chair, AttendanceStatus(chair))
    represented = factory.invite(meeting, world.secretary, AttendanceStatus.represented)
    represented.represented_by = "Lt Durand"
    factory._save(represented)
    factory.invite(meeting, world.member, AttendanceStatus(member))
    factory.invite(meeting, world.guest, guest=True)


def test_who_answered_is_tallied_sorted_and_read_only_for_members(
    client_for: Any, world: World, factory: Factory
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=7)
    _invite(factory, world, meeting, AttendanceStatus.confirmed, AttendanceStatus.invited)

    page = client_for(world.secretary).get(f"/meetings/{meeting.id}").text
    block = _block(page, "attendance")
    assert "2 sur 4 ont répondu, 1 représenté" in block
    # Those who have not answered come first (the secretary chases them), guests after members.
    names = re.findall(r'attendance-list__name">([^<]+)<', block)
    assert names[:2] == [world.member.name, world.guest.name]
    assert set(names[2:]) == {world.chair.name, world.secretary.name}
    # The status is a readable label; changing it is tucked away, one per row.
    assert "Pas encore de réponse" in block
    rows = block[block.index('class="attendance-list"') :]
    rows = rows[: rows.index("</ul>")]
    assert rows.count("<details") == 4 and rows.count("<select") == 4

    # A member reads the same tally and labels, with no control over anyone else's answer.
    member_block = _block(client_for(world.member).get(f"/meetings/{meeting.id}").text, "attendance")
    assert "2 sur 4 ont répondu, 1 représenté" in member_block
    assert "Pas encore de réponse" in member_block and "Sera présent·e" in member_block
    assert "<select" not in member_block and f"/attendance/{world.chair.id}" not in member_block
    assert "/all-present" not in member_block


def test_all_present_then_the_exceptions(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=0.05)
    _invite(factory, world, meeting, AttendanceStatus.excused, AttendanceStatus.confirmed)
    secretary = client_for(world.secretary)

    before = _block(secretary.get(f"/meetings/{meeting.id}").text, "attendance")
    assert "0 présent sur 4" in before and "Tous présents" in before
    assert "2</strong> à pointer" in before

    # A member may not; the secretary marks everyone expected present in one click.
    assert client_for(world.member).htmx(f"/meetings/{meeting.id}/all-present").status_code == 403
    assert _statuses(session, meeting)[world.member.id] == AttendanceStatus.confirmed
    done = secretary.htmx(f"/meetings/{meeting.id}/all-present")
    assert done.status_code == 200
    assert "2 présents sur 4" in done.text and "corrigez les exceptions" in done.text
    assert "Tous présents" not in done.text  # nobody left to record
    assert _statuses(session, meeting) == {
        world.chair.id: AttendanceStatus.excused,
        world.secretary.id: AttendanceStatus.represented,
        world.member.id: AttendanceStatus.present,
        world.guest.id: AttendanceStatus.present,
    }
    assert session.get(Meeting, meeting.id).status == MeetingStatus.held  # type: ignore[union-attr]
    assert session.exec(select(AuditEvent).where(AuditEvent.verb == "all_present")).one()

    # Then one exception, corrected with one button of its row.
    corrected = secretary.htmx(f"/meetings/{meeting.id}/attendance/{world.guest.id}", {"status": "absent"})
    assert corrected.status_code == 200 and "1 présent sur 4" in corrected.text
    assert 'aria-pressed="true">Absent·e' in corrected.text
    assert _statuses(session, meeting)[world.guest.id] == AttendanceStatus.absent

    # Someone sent unannounced in another's place is named there, on the day too.
    row = f'id="represented-{world.member.id}" name="represented_by"'
    assert row in corrected.text
    unnamed = {"status": "represented", "represented_by": ""}
    refused = secretary.htmx(f"/meetings/{meeting.id}/attendance/{world.member.id}", unnamed)
    assert refused.status_code == 422 and "Indiquez la personne qui la représente." in refused.text
    sent = {"status": "represented", "represented_by": "Mme Roux, adjointe"}
    named = secretary.htmx(f"/meetings/{meeting.id}/attendance/{world.member.id}", sent)
    assert named.status_code == 200 and "par Mme Roux, adjointe" in named.text
    assert _statuses(session, meeting)[world.member.id] == AttendanceStatus.represented


def test_all_present_waits_for_the_meeting_and_stops_at_approval(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    secretary = client_for(world.secretary)
    coming = factory.meeting(world.body, status=MeetingStatus.convened, in_days=7)
    factory.invite(coming, world.member)
    early = secretary.htmx(f"/meetings/{coming.id}/all-present")
    assert early.status_code == 409 and "deux heures avant la réunion" in early.text
    assert "/all-present" not in _block(secretary.get(f"/meetings/{coming.id}").text, "attendance")
    approved = factory.meeting(world.body, status=MeetingStatus.minutes_approved, in_days=-3)
    factory.invite(approved, world.member)
    assert secretary.htmx(f"/meetings/{approved.id}/all-present").status_code == 409
    assert _statuses(session, coming)[world.member.id] == AttendanceStatus.invited
    assert _statuses(session, approved)[world.member.id] == AttendanceStatus.invited
    assert client_for(world.other).htmx(f"/meetings/{coming.id}/all-present").status_code == 404


def _title_value(page: str) -> str:
    found = re.search(r'<input[^>]*name="title"[^>]*>', page)
    assert found
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def test_a_decision_is_recorded_as_an_action_under_its_own_words(
    client_for: Any, world: World, factory: Factory
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.held, in_days=-0.01)
    item = factory.item(
        meeting,
        "Rodéos motorisés",
        decisions="- Arrêté d’interdiction de stationner le dimanche\n\n- Rencontre avec le bailleur",
    )
    silent = factory.item(meeting, "Tour de table", position=2)
    secretary = client_for(world.secretary)

    page = secretary.get(f"/meetings/{meeting.id}").text
    assert f"/actions/new?agenda_item_id={item.id}&amp;decision=1" in page
    assert f"/actions/new?agenda_item_id={item.id}&amp;decision=2" in page
    first = secretary.get(f"/actions/new?agenda_item_id={item.id}&decision=1").text
    assert _title_value(first) == "Arrêté d’interdiction de stationner le dimanche"
    # Without a number, the last decision typed (the page may predate it); never the item's title.
    latest = secretary.get(f"/actions/new?agenda_item_id={item.id}").text
    assert _title_value(latest) == "Rencontre avec le bailleur"
    for odd in ("9", "0", "x"):
        assert _title_value(secretary.get(f"/actions/new?agenda_item_id={item.id}&decision={odd}").text) == (
            "Rencontre avec le bailleur"
        )
    assert _title_value(secretary.get(f"/actions/new?agenda_item_id={silent.id}").text) == ""


@pytest.mark.parametrize(
    ("previous_days_ago", "report_days_ago", "shown"),
    [
        (None, 200, True),  # the body's first meeting: every report since it began
        (90, 60, True),  # after a summer break: more than a month back
        (20, 60, False),  # posted before the previous meeting
        (20, 10, True),
    ],
)
def test_new_reports_since_the_previous_meeting(
    client_for: Any,
    world: World,
    factory: Factory,
    previous_days_ago: int | None,
    report_days_ago: int,
    shown: bool,
) -> None:
    if previous_days_ago is not None:
        factory.meeting(world.body, status=MeetingStatus.held, in_days=-previous_days_ago)
    report = factory.situation(world.body, world.member, "Dépôt sauvage rue des Tanneurs")
    report.created_at = utcnow() - timedelta(days=report_days_ago)
    factory._save(report)
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=1)
    factory.item(meeting, "Nouveaux signalements", standing=StandingItem.new_reports)
    # A member's page: the secretary's also lists the body's reports an item may link.
    agenda = _block(client_for(world.member).get(f"/meetings/{meeting.id}").text, "agenda")
    assert ("Dépôt sauvage rue des Tanneurs" in agenda) is shown


def test_my_meetings_lists_the_past_ones_with_their_minutes(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    approved = factory.meeting(world.body, status=MeetingStatus.minutes_approved, in_days=-20)
    held = factory.meeting(world.body, status=MeetingStatus.held, in_days=-5)
    cancelled = factory.meeting(world.body, status=MeetingStatus.cancelled, in_days=-10)
    coming = factory.meeting(world.body, status=MeetingStatus.convened, in_days=7)
    elsewhere = factory.meeting(world.other_body, status=MeetingStatus.minutes_approved, in_days=-3)
    member = client_for(world.member)
    with queries() as log:
        page = member.get("/meetings").text
    past = page[page.index('id="past-title"') :]
    assert f"/meetings/{coming.id}" in page[: page.index('id="past-title"')]
    assert f"/meetings/{held.id}" in past and f"/meetings/{approved.id}" in past
    assert past.index(f"/meetings/{held.id}") < past.index(f"/meetings/{approved.id}")  # newest first
    assert f"/meetings/{approved.id}/minutes.pdf" in past
    assert f"/meetings/{held.id}/minutes.pdf" not in past  # not approved yet
    assert f"/meetings/{cancelled.id}" not in page and f"/meetings/{elsewhere.id}" not in page
    assert member.get(f"/meetings/{approved.id}/minutes.pdf").status_code == 200
    bounded = log.count
    for days in range(3):
        factory.meeting(world.body, status=MeetingStatus.minutes_approved, in_days=-30 - days)
    with queries() as log:
        member.get("/meetings")
    assert log.count == bounded

    # A guest's meeting leaves their list with its approval (their access ends then).
    factory.invite(approved, world.guest, guest=True)
    factory.invite(held, world.guest, guest=True)
    guest_page = client_for(world.guest).get("/meetings").text
    assert f"/meetings/{held.id}" in guest_page and f"/meetings/{approved.id}" not in guest_page


def _disposition_name(response: Any) -> str:
    assert response.status_code == 200
    found = re.search(r'filename="([^"]+)"', response.headers["content-disposition"])
    assert found and "filename*=UTF-8''" in response.headers["content-disposition"]
    return found.group(1)


def test_minutes_and_convocation_files_name_the_body_and_the_day(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    world.body.name = "Cellule de veille – Quartier Nord"
    factory._save(world.body)
    meeting = factory.meeting(world.body, status=MeetingStatus.held, in_days=-1)
    day = meeting.starts_at.astimezone(PARIS).date().isoformat()
    slug = "cellule-de-veille-quartier-nord"
    client = client_for(world.secretary)
    url = f"/meetings/{meeting.id}"
    assert _disposition_name(client.get(f"{url}/minutes.pdf")) == f"compte-rendu-{slug}-{day}.pdf"
    outside = _disposition_name(client.get(f"{url}/minutes.pdf?audience=outside"))
    assert outside == f"compte-rendu-diffusion-{slug}-{day}.pdf"
    assert _disposition_name(client.get(f"{url}/convocation.pdf")) == f"convocation-{slug}-{day}.pdf"
    api = api_for(world.secretary)
    assert _disposition_name(api.get(f"/api/v1{url}/minutes.pdf?audience=outside")) == outside
