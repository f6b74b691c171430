"""The live meeting's pages (issue 16): which changes make which events (and which a guest is
never told of), the parts of the meeting page each reader fetches again, the presentation mode
and its current item, and one save message at a time."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tests.factories import Factory, World
from veille.events import LiveEvent, last_id, since
from veille.meetings.enums import MeetingStatus
from veille.meetings.live import topic
from veille.meetings.models import AgendaItem, Meeting
from veille.meetings.presence import MeetingPresence, arrive, leave, still_here

HTMX = {"HX-Request": "true"}  # as the page's parts ask: the part alone


def _meeting(factory: Factory, world: World) -> tuple[Meeting, AgendaItem, AgendaItem]:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    public = factory.item(meeting, "Point de situation", 1)
    secret = factory.item(meeting, "Famille suivie", 2, confidential=True)
    factory.invite(meeting, world.member)
    factory.invite(meeting, world.guest, guest=True)
    return meeting, public, secret


def _events(session: Session, meeting: Meeting) -> list[tuple[str, bool]]:
    session.rollback()
    rows = session.exec(
        select(LiveEvent).where(LiveEvent.topic == topic(meeting.id or 0)).order_by(col(LiveEvent.id))
    )
    return [(e.kind, e.private) for e in rows]


def test_changes_name_what_changed_and_a_guest_is_told_only_what_they_see(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting, public, secret = _meeting(factory, world)
    client = client_for(world.secretary)
    assert (
        client.htmx(f"/agenda-items/{public.id}/notes", {"notes": "Calme", "version": "1"}).status_code == 200
    )
    form = {"notes": "Suivi ASE", "version": "1", "confidential": "1"}
    assert client.htmx(f"/agenda-items/{secret.id}/notes", form).status_code == 200
    assert client.htmx(f"/meetings/{meeting.id}/agenda", {"title": "Questions diverses"}).status_code == 200
    client_for(world.member).htmx(f"/meetings/{meeting.id}/round-table", {"seen": "Rien à signaler"})
    events = _events(session, meeting)
    assert events[:3] == [("notes", False), ("notes", True), ("agenda", False)]
    assert ("round_table", True) in events[3:]
    # A refused change writes no event.
    before = len(events)
    assert client.htmx(f"/agenda-items/{public.id}/notes", {"notes": "x", "version": "1"}).status_code == 409
    assert len(_events(session, meeting)) == before
    # What a guest's stream reads: the public kinds only, each once with its last id.
    kinds = [kind for _, kind in since(session, topic(meeting.id or 0), 0, private=False)]
    assert sorted(kinds) == ["agenda", "notes"]
    assert [k for _, k in since(session, topic(meeting.id or 0), 0, private=True)].count("notes") == 1


def test_each_part_is_rendered_for_its_reader(client_for: Any, world: World, factory: Factory) -> None:
    meeting, _, secret = _meeting(factory, world)
    factory.session.add(secret)
    secret.notes = "Le fils aîné est suivi par l'ASE."
    factory.session.commit()
    member, guest = client_for(world.member), client_for(world.guest)
    page = member.get(f"/meetings/{meeting.id}").text
    assert f'sse-connect="/meetings/{meeting.id}/live?after=' in page and 'hx-ext="sse"' in page
    assert "ASE" in member.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/agenda").text
    agenda = guest.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/agenda")
    assert agenda.status_code == 200 and "Point de situation" in agenda.text
    assert "ASE" not in agenda.text and "Famille suivie" not in agenda.text
    header = guest.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/header")
    assert header.status_code == 200 and "Convoquée" in header.text and "<html" not in header.text
    # A save of the notes sends the members the items' minutes alone, each to swap in by id.
    notes = member.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/notes")
    assert f'<div id="minutes-{secret.id}" hx-swap-oob="true">' in notes.text and "ASE" in notes.text
    assert "Point de situation" not in notes.text and "<html" not in notes.text
    # To those who edit too, their notes forms, with the version each holds (app.js keeps newer).
    edited = client_for(world.secretary).get(headers=HTMX, url=f"/meetings/{meeting.id}/live/notes").text
    fields = f'id="notes-fields-{secret.id}" hx-swap-oob="true" data-version="{secret.version}"'
    assert fields in edited and "ASE.</textarea>" in edited and "minutes-" not in edited
    assert f'id="item-version-{secret.id}" value="{secret.version}" data-version="{secret.version}"' in edited
    for part in ("round_table", "presence", "notes"):
        assert guest.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/{part}").status_code == 403
        assert member.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/{part}").status_code == 200
    assert member.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/nothing").status_code == 404
    assert client_for(world.other).get(f"/meetings/{meeting.id}/live/agenda").status_code == 404


def test_the_header_follows_presence_recorded(client_for: Any, world: World, factory: Factory) -> None:
    """Recording presence marks the meeting held: the header's event, and its new buttons."""
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=-0.01)
    factory.invite(meeting, world.member)
    secretary = client_for(world.secretary)
    assert "Annuler la réunion" in secretary.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/header").text
    after = last_id(factory.session, topic(meeting.id or 0))
    response = secretary.htmx(f"/meetings/{meeting.id}/attendance/{world.member.id}", {"status": "present"})
    assert response.status_code == 200
    factory.session.rollback()  # a new snapshot: the change was committed by the request
    kinds = {k for _, k in since(factory.session, topic(meeting.id or 0), after, private=True)}
    assert {"meeting", "attendance"} <= kinds
    header = secretary.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/header").text
    assert "Approuver le compte rendu" in header and "Annuler la réunion" not in header


def test_who_is_looking_is_kept_in_the_database(world: World, factory: Factory, client_for: Any) -> None:
    meeting, _, _ = _meeting(factory, world)
    session = factory.session
    arrive(session, "a" * 32, meeting.id or 0, world.member.id or 0)
    arrive(session, "b" * 32, meeting.id or 0, world.secretary.id or 0)
    still_here(session, "a" * 32)
    member = client_for(world.member)
    text = member.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/presence").text
    assert "Marc Membre" in text and "Sophie Secrétaire" in text
    leave(session, "b" * 32)
    assert (
        "Sophie Secrétaire" not in member.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/presence").text
    )
    assert [p.id for p in session.exec(select(MeetingPresence)).all()] == ["a" * 32]


def test_presentation_mode_follows_the_secretary(client_for: Any, world: World, factory: Factory) -> None:
    meeting, public, secret = _meeting(factory, world)
    third = factory.item(meeting, "Questions diverses", 3, notes="Fête de quartier en juin")
    member, secretary = client_for(world.member), client_for(world.secretary)
    page = member.get(f"/meetings/{meeting.id}/present")
    assert page.status_code == 200 and "Point de situation" in page.text and "Point 1 sur 3" in page.text
    assert client_for(world.guest).get(f"/meetings/{meeting.id}/present").status_code == 403
    assert (
        member.htmx(f"/meetings/{meeting.id}/present/current", {"item_id": str(third.id)}).status_code == 403
    )
    screen = secretary.htmx(f"/meetings/{meeting.id}/present/current", {"item_id": str(third.id)})
    assert screen.status_code == 200 and "Fête de quartier en juin" in screen.text
    assert (
        "Fête de quartier en juin" in member.get(headers=HTMX, url=f"/meetings/{meeting.id}/live/screen").text
    )
    for bad in ("", "abc", "999999"):
        refused = secretary.htmx(f"/meetings/{meeting.id}/present/current", {"item_id": bad})
        assert refused.status_code == 422 and "Choisissez un point" in refused.text
    assert secret.id is not None and public.id is not None


def test_a_part_says_the_last_event_it_shows(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    """The page skips the events a part already shows: its own change's among them."""
    meeting, _, _ = _meeting(factory, world)
    client = client_for(world.secretary)
    saved = client.htmx(f"/meetings/{meeting.id}/agenda", {"title": "Rodéos"})
    session.rollback()
    own = last_id(session, topic(meeting.id or 0))
    assert own > 0 and saved.headers["Veille-Live-Seen"] == str(own)
    for part in ("agenda", "header", "screen"):
        assert client.get(f"/meetings/{meeting.id}/live/{part}", headers=HTMX).headers[
            "Veille-Live-Seen"
        ] == str(own)


def test_one_save_message_replaces_the_previous(client_for: Any, world: World, factory: Factory) -> None:
    meeting, _, _ = _meeting(factory, world)
    answer = client_for(world.secretary).htmx(f"/meetings/{meeting.id}/agenda", {"title": "Rodéos"})
    assert 'hx-swap-oob="innerHTML:#flashes"' in answer.text and "beforeend:#flashes" not in answer.text


def test_the_parts_cost_a_fixed_number_of_queries(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    meeting, _, _ = _meeting(factory, world)
    member = client_for(world.member)
    paths = [f"/meetings/{meeting.id}/live/{p}" for p in ("header", "presence", "screen", "notes")]
    counts = []
    for grow in (False, True):
        if grow:
            for n in range(10):
                factory.item(meeting, f"Point {n}", n + 3, notes="Notes")
        for path in paths:
            member.get(path)
        with queries() as log:
            for path in paths:
                assert member.get(path).status_code == 200
        counts.append(log.count)
    assert counts[0] == counts[1]
