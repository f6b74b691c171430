"""A body's page built around what happens next (issue 17): the next meeting and the answers it
awaits, the reports posted since the last meeting, the actions due or overdue, the open problem
files, for who may see them (a guest sees the next meeting only); member management on its own
page, closing the body in the settings' danger zone, the charter tab opening the text; a page
whose query count does not grow with the body."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from tests.factories import Factory, World
from veille.bodies.enums import BodyStatus
from veille.bodies.models import Body
from veille.home import body_page
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.orm import utcnow
from veille.situations import feed
from veille.situations.enums import Confidentiality


def _section(html: str, start: str, end: str = "</section>") -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_the_page_shows_what_happens_next(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    body = world.body
    factory.meeting(body, in_days=-3, status=MeetingStatus.held)
    old = factory.situation(body, world.member, "Tags sur le mur du gymnase")
    old.created_at = utcnow() - timedelta(days=5)
    factory._save(old)
    fresh = factory.situation(body, world.member, "Rodéo rue des Lilas")
    hidden = factory.situation(body, world.chair, "Famille suivie", confidentiality=Confidentiality.social)
    coming = factory.meeting(body, in_days=4, status=MeetingStatus.convened)
    factory.invite(coming, world.member)
    factory.invite(coming, world.chair, AttendanceStatus.confirmed)
    factory.invite(coming, world.secretary, AttendanceStatus.represented)
    factory.invite(coming, world.guest, guest=True)
    late = factory.action(body, world.organisation, "Éclairage du parking", due_in_days=-2)
    soon = factory.action(body, world.organisation, "Réunion avec le bailleur", due_in_days=5)
    factory.action(body, world.organisation, "Chantier éducatif", due_in_days=60)
    problem = factory.problem(body, "Squat du bâtiment B", [fresh])

    page = client_for(world.member).get(f"/bodies/{body.id}")

    assert page.status_code == 200, page.text
    html = page.text
    meeting = _section(html, 'id="next-meeting-title"')
    assert f'href="/meetings/{coming.id}"' in meeting
    assert "2 sur 4 invités ont répondu" in meeting and "2 réponses attendues" in meeting
    assert f'href="/meetings/{coming.id}#attendance"' in meeting  # the member has not answered
    reports = _section(html, 'id="new-reports-title"')
    assert fresh.title in reports and old.title not in reports
    assert hidden.title not in html  # a social report of another organisation: a stub only
    due = _section(html, 'id="due-title"')
    assert late.title in due and soon.title in due and "Chantier éducatif" not in due
    assert due.index(late.title) < due.index(soon.title)
    assert problem.title in _section(html, 'id="problems-title"')
    # Members and closing have left the page.
    assert 'id="role-' not in html and f"/bodies/{body.id}/close" not in html
    assert f'href="/bodies/{body.id}/members"' in html


def test_a_guest_sees_the_next_meeting_only(client_for: Any, world: World, factory: Factory) -> None:
    body = world.body
    invited = factory.meeting(body, in_days=2, status=MeetingStatus.convened)
    factory.invite(invited, world.guest, guest=True)
    factory.situation(body, world.member, "Rodéo rue des Lilas")
    factory.action(body, world.organisation, "Éclairage du parking", due_in_days=-2)

    html = client_for(world.guest).get(f"/bodies/{body.id}").text

    assert f'href="/meetings/{invited.id}"' in html
    assert "Rodéo rue des Lilas" not in html and "Éclairage du parking" not in html
    assert 'id="due-title"' not in html and 'id="new-reports-title"' not in html
    assert f'href="/bodies/{body.id}/members"' not in html
    assert client_for(world.guest).get(f"/bodies/{body.id}/members").status_code == 403


def test_a_first_meeting_shows_every_report(client_for: Any, world: World, factory: Factory) -> None:
    old = factory.situation(world.body, world.member, "Tags sur le mur du gymnase")
    old.created_at = utcnow() - timedelta(days=200)
    factory._save(old)
    html = client_for(world.chair).get(f"/bodies/{world.body.id}").text
    assert old.title in _section(html, 'id="new-reports-title"')


def test_new_reports_past_the_list_are_counted_with_a_link_to_them(
    client_for: Any, world: World, factory: Factory
) -> None:
    last = factory.meeting(world.body, in_days=-3, status=MeetingStatus.held)
    for n in range(body_page.NEW_REPORTS + 2):
        factory.situation(world.body, world.member, f"Signalement {n}")
    page = client_for(world.member).get(f"/bodies/{world.body.id}").text
    reports = _section(page, 'id="new-reports-title"')
    assert f"({body_page.NEW_REPORTS + 2})" in reports
    assert reports.count('<li class="situation-row') == body_page.NEW_REPORTS
    day = last.starts_at.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
    assert f'href="/bodies/{world.body.id}/situations?since={day}"' in reports
    assert "2 autres nouveaux signalements\u00a0: les voir tous" in reports
    # Past the limit of its count, the page says "or more" and no number it has not counted.
    for n in range(feed.NEW_REPORTS_LIMIT):
        factory.situation(world.body, world.member, f"Autre signalement {n}")
    page = client_for(world.member).get(f"/bodies/{world.body.id}").text
    reports = _section(page, 'id="new-reports-title"')
    assert f"({feed.NEW_REPORTS_LIMIT} ou plus)" in reports
    assert "Tous les nouveaux signalements depuis la dernière réunion" in reports
    assert "autres nouveaux signalements" not in reports


def test_members_have_their_own_page(client_for: Any, world: World) -> None:
    members = f"/bodies/{world.body.id}/members"
    page = client_for(world.secretary).get(members)
    assert page.status_code == 200
    assert f'id="role-{world.member.id}"' in page.text and 'aria-current="page">Membres' in page.text
    assert client_for(world.member).get(members).status_code == 200
    assert client_for(world.other).get(members).status_code == 404
    assert client_for(None).get(members).status_code == 303
    added = client_for(world.secretary).form(members, {"user_id": world.other.id, "role": "member"})
    assert added.status_code == 200 and "Olivier Autre" in added.text


def test_closing_sits_in_the_settings_danger_zone(client_for: Any, world: World, session: Session) -> None:
    edit = client_for(world.chair).get(f"/bodies/{world.body.id}/edit").text
    zone = _section(edit, 'id="danger-title"')
    assert f'action="/bodies/{world.body.id}/close"' in zone
    # A secretary edits the body but does not close it.
    assert "/close" not in client_for(world.secretary).get(f"/bodies/{world.body.id}/edit").text
    assert client_for(world.chair).form(f"/bodies/{world.body.id}/close").status_code == 303
    session.expire_all()
    assert session.get(Body, world.body.id).status == BodyStatus.closed  # type: ignore[union-attr]


def test_the_charter_tab_opens_the_text(client_for: Any, world: World, factory: Factory) -> None:
    factory.charter(world.body, "Article 1. Ce qui est dit ici reste ici.")
    factory.accept(world.body, world.chair)
    factory.accept(world.body, world.member)
    chair = client_for(world.chair).get(f"/bodies/{world.body.id}").text
    assert f'href="/bodies/{world.body.id}/charter" aria-current' not in chair
    assert f'href="/bodies/{world.body.id}/charter">Charte de l’instance</a>' in chair
    text = client_for(world.chair).get(f"/bodies/{world.body.id}/charter").text
    assert "Article 1. Ce qui est dit ici reste ici." in text
    assert f'href="/bodies/{world.body.id}/charter/edit"' in text and "Modifier" in text
    member = client_for(world.member).get(f"/bodies/{world.body.id}/charter").text
    assert "Article 1." in member and "/charter/edit" not in member


def test_the_body_page_queries_do_not_grow(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    client = client_for(world.chair)
    path = f"/bodies/{world.body.id}"

    def add(n: int) -> None:
        for i in range(n):
            factory.situation(world.body, world.member, f"Signalement {i}")
            factory.action(world.body, world.organisation, f"Action {i}", due_in_days=i - 3)
            factory.problem(world.body, f"Dossier {i}")
            meeting = factory.meeting(world.body, in_days=i + 1)
            factory.invite(meeting, factory.user())

    add(2)
    client.get(path)
    with queries() as few:
        assert client.get(path).status_code == 200
    add(12)
    with queries() as many:
        assert client.get(path).status_code == 200
    assert many.count == few.count
    assert many.count <= 24
