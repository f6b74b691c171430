"""The meeting pages: forms and their errors, state rules, guests, minutes, calendar feed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from tests.factories import Factory, World
from veille.bodies.enums import MemberRole
from veille.bodies.models import Membership
from veille.meetings.enums import AttendanceStatus, MeetingStatus, StandingItem
from veille.meetings.models import AgendaItem, Invitation, Meeting, RoundTableEntry
from veille.orm import utcnow

PARIS = ZoneInfo("Europe/Paris")
NEXT_MONTH = (date.today() + timedelta(days=30)).isoformat()


def _meetings(session: Session, world: World) -> list[Meeting]:
    session.rollback()
    session.expire_all()
    return list(
        session.exec(select(Meeting).where(Meeting.body_id == world.body.id).order_by(col(Meeting.starts_at)))
    )


def test_secretary_plans_a_meeting_with_the_standing_items(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    form = {"day": NEXT_MONTH, "start": "14:00", "end": "16:00", "location": "Mairie, salle 2"}
    response = client.form(f"/bodies/{world.body.id}/meetings/new", form)
    assert response.status_code == 303
    [meeting] = _meetings(session, world)
    assert response.headers["location"] == f"/meetings/{meeting.id}"
    # Stored in UTC, shown in the city's time zone.
    assert meeting.starts_at.astimezone().utcoffset() is not None
    page = client.get(f"/meetings/{meeting.id}").text
    assert "14:00" in page and "Mairie, salle 2" in page
    for title in ("Tour de table des partenaires", "Suivi des actions", "Nouveaux signalements"):
        assert title in page


def test_the_standing_items_are_in_the_citys_language_whoever_plans_the_meeting(
    client_for: Any, world: World, session: Session
) -> None:
    """Planned by an English reader, they were in English for a French body, its convocation and
    its minutes (walkthrough)."""
    world.secretary.language = "en"
    session.add(world.secretary)
    session.commit()
    form = {"day": NEXT_MONTH, "start": "14:00", "end": "16:00", "location": "Mairie"}
    assert client_for(world.secretary).form(f"/bodies/{world.body.id}/meetings/new", form).status_code == 303
    [meeting] = _meetings(session, world)
    titles = session.exec(select(AgendaItem.title).where(AgendaItem.meeting_id == meeting.id)).all()
    assert sorted(titles) == [
        "Nouveaux signalements depuis la dernière réunion",
        "Suivi des actions",
        "Tour de table des partenaires",
    ]


def test_bad_meeting_input_is_explained_and_writes_nothing(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    url = f"/bodies/{world.body.id}/meetings/new"
    for form, message in (
        ({"day": "", "start": "14:00", "end": "16:00"}, "Ce champ est obligatoire."),
        ({"day": NEXT_MONTH, "start": "16:00", "end": "14:00"}, "La fin doit être après le début."),
        ({"day": "demain", "start": "14:00", "end": "16:00"}, "Saisissez une date valide."),
        ({"day": NEXT_MONTH, "start": "14:00", "end": "16:00", "location": "x" * 301}, "300"),
    ):
        response = client.form(url, form)
        assert response.status_code == 422, form
        assert message in response.text, form
    assert _meetings(session, world) == []


def test_a_meeting_sent_twice_is_planned_once_and_the_second_told_at_its_day(
    client_for: Any, api_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    form = {"day": NEXT_MONTH, "start": "14:00", "end": "16:00", "location": "Mairie"}
    assert client.form(f"/bodies/{world.body.id}/meetings/new", form).status_code == 303
    again = client.form(f"/bodies/{world.body.id}/meetings/new", form)
    assert again.status_code == 422
    assert "L’instance a déjà une réunion à cette date et à cette heure." in again.text
    assert 'href="#field-day"' in again.text  # the summary leads to the day's field
    [meeting] = _meetings(session, world)
    # A cancelled meeting leaves its time free; the API refuses as the page does.
    starts_at = meeting.starts_at.isoformat()
    api = api_for(world.secretary)
    sent = {"starts_at": starts_at, "ends_at": meeting.ends_at.isoformat(), "location": "Mairie"}
    refused = api.post(f"/api/v1/bodies/{world.body.id}/meetings", json=sent)
    assert refused.status_code == 422
    assert "already has a meeting" in refused.text
    assert api.post(f"/api/v1/meetings/{meeting.id}/cancel").status_code == 200
    assert api.post(f"/api/v1/bodies/{world.body.id}/meetings", json=sent).status_code == 201


def test_a_meeting_moved_onto_another_or_into_the_past_is_told_at_its_day(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    client = client_for(world.secretary)
    taken = factory.meeting(world.body, in_days=20)
    taken.starts_at = taken.starts_at.replace(second=0)  # a time the form can type
    session.add(taken)
    session.commit()
    moved = factory.meeting(world.body, in_days=21)
    start = taken.starts_at.astimezone(PARIS)
    form = {
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": (start + timedelta(hours=1)).strftime("%H:%M"),
        "location": "Mairie",
        "version": str(moved.version),
    }
    for day, message in (
        (form["day"], "L’instance a déjà une réunion à cette date et à cette heure."),
        ((date.today() - timedelta(days=3)).isoformat(), "Choisissez une date et une heure à venir."),
    ):
        response = client.form(f"/meetings/{moved.id}/edit", form | {"day": day})
        assert response.status_code == 422, day
        assert message in response.text and 'href="#field-day"' in response.text, day
    session.refresh(moved)
    assert moved.starts_at != taken.starts_at


def test_a_series_follows_the_cadence_and_skips_taken_days(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    form = {
        "first_month": "2027-01-15",
        "ordinal": "1",
        "weekday": "1",
        "start": "14:00",
        "end": "16:00",
        "count": "3",
        "location": "Mairie",
    }
    assert client.form(f"/bodies/{world.body.id}/meetings/series", form).status_code == 303
    days = [m.starts_at.astimezone(PARIS) for m in _meetings(session, world)]
    assert [(d.date().isoformat(), d.strftime("%H:%M")) for d in days] == [
        ("2027-01-05", "14:00"),
        ("2027-02-02", "14:00"),
        ("2027-03-02", "14:00"),
    ]
    # Planned again: nothing twice.
    client.form(f"/bodies/{world.body.id}/meetings/series", form | {"count": "4"})
    assert len(_meetings(session, world)) == 4
    # The last Friday of the month.
    client.form(
        f"/bodies/{world.body.id}/meetings/series", form | {"ordinal": "-1", "weekday": "4", "count": "1"}
    )
    assert "2027-01-29" in [m.starts_at.date().isoformat() for m in _meetings(session, world)]
    refused = client.form(f"/bodies/{world.body.id}/meetings/series", form | {"count": "99"})
    assert refused.status_code == 422


def test_meeting_page_issues_bounded_queries(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    factory.item(meeting)
    factory.invite(meeting, world.member)
    factory._save(
        RoundTableEntry(meeting_id=meeting.id, organisation_id=world.member.organisation_id, seen="Calme")
    )
    client = client_for(world.secretary)
    client.get(f"/meetings/{meeting.id}")
    with queries() as few:
        assert client.get(f"/meetings/{meeting.id}").status_code == 200
    for n in range(12):
        user = factory.user(organisation=factory.organisation())
        factory.member(world.body, user)
        factory.invite(meeting, user)
        factory.item(meeting, f"Point {n}", position=n + 2, notes="Notes")
        factory._save(
            RoundTableEntry(meeting_id=meeting.id, organisation_id=user.organisation_id, seen="Calme")
        )
    with queries() as many:
        assert client.get(f"/meetings/{meeting.id}").status_code == 200
    assert many.count == few.count
    # The page, its attendance and round table, and what it shows of the body's reports and
    # actions (the reader's bodies, decisions, links of the items and what may be linked).
    assert many.count <= 24
    for path in ("/meetings", f"/bodies/{world.body.id}/meetings"):
        client.get(path)
        with queries() as listing:
            client.get(path)
        for _ in range(5):
            factory.meeting(world.body)
        with queries() as longer:
            client.get(path)
        assert longer.count == listing.count <= 10, path


def test_two_people_saving_the_same_notes_never_overwrite_each_other(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.held, in_days=-0.05)
    item = factory.item(meeting)
    first, second = client_for(world.secretary), client_for(world.chair)
    saved = first.htmx(f"/agenda-items/{item.id}/notes", {"notes": "Texte de Sophie", "version": "1"})
    assert saved.status_code == 200
    assert f'id="notes-version-{item.id}" value="2"' in saved.text
    # The item's form (loaded in its place when opened, the version standing there until then)
    # gets the new version too: once loaded before the notes were saved, it was refused as stale.
    page = first.get(f"/meetings/{meeting.id}").text
    form = first.get(f"/agenda-items/{item.id}/edit", headers={"HX-Request": "true"}).text
    assert (
        f'id="item-version-{item.id}" value="2"' in page and f'id="item-version-{item.id}" value="2"' in form
    )
    assert f'id="item-version-{item.id}" value="2" hx-swap-oob="true"' in saved.text
    stale = second.htmx(f"/agenda-items/{item.id}/notes", {"notes": "Texte de Charles", "version": "1"})
    assert stale.status_code == 409
    assert "autre a enregistré ce point entre-temps" in stale.text
    assert "notes-version" not in stale.text  # the stale page keeps its version: it cannot overwrite later
    session.rollback()
    session.expire_all()
    assert session.get(AgendaItem, item.id).notes == "Texte de Sophie"  # type: ignore[union-attr]


def test_approved_minutes_are_locked(client_for: Any, api_for: Any, world: World, factory: Factory) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.minutes_approved, in_days=-3)
    item = factory.item(meeting, notes="Approuvé")
    client = client_for(world.secretary)
    page = client.get(f"/meetings/{meeting.id}").text
    assert "Ajouter un point" not in page and "verrouillée" in page
    refused = client.htmx(f"/meetings/{meeting.id}/agenda", {"title": "Encore un point"})
    assert refused.status_code == 409
    assert "Le compte rendu de cette réunion est approuvé" in refused.text
    api = api_for(world.secretary)
    assert api.post(f"/api/v1/meetings/{meeting.id}/agenda-items", json={"title": "x"}).status_code == 409
    assert api.patch(f"/api/v1/agenda-items/{item.id}", json={"version": 1, "notes": "x"}).status_code == 409
    assert api.delete(f"/api/v1/agenda-items/{item.id}").status_code == 409
    assert api.post(f"/api/v1/meetings/{meeting.id}/approve").status_code == 409


def test_guest_sees_the_agenda_only_until_the_minutes_are_approved(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    visitor = factory.user("Valérie Visiteuse", organisation=factory.organisation())
    factory.member(world.body, visitor, MemberRole.guest)
    meeting = factory.meeting(world.body, status=MeetingStatus.held, in_days=-0.05)
    factory.item(
        meeting, "Occupation du hall B", notes="Noms des jeunes cités", decisions="Rondes renforcées"
    )
    factory.invite(meeting, visitor, guest=True)
    other_meeting = factory.meeting(world.body)
    client = client_for(visitor)
    page = client.get(f"/meetings/{meeting.id}")
    assert page.status_code == 200
    assert "Occupation du hall B" in page.text
    assert "Noms des jeunes cités" not in page.text and "Rondes renforcées" not in page.text
    items = api_for(visitor).get(f"/api/v1/meetings/{meeting.id}/agenda-items").json()["items"]
    assert items[0]["notes"] == "" and items[0]["decisions"] == ""
    assert client.get(f"/meetings/{other_meeting.id}").status_code == 404
    assert api_for(visitor).get(f"/api/v1/bodies/{world.body.id}/members").status_code == 403
    assert api_for(visitor).get(f"/api/v1/meetings/{meeting.id}/minutes").status_code == 403
    meeting.status = MeetingStatus.minutes_approved
    factory._save(meeting)
    assert client.get(f"/meetings/{meeting.id}").status_code == 404


def test_attendance_answers_and_presence(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=0.05)
    factory.invite(meeting, world.member)
    member = client_for(world.member)
    refused = member.htmx(f"/meetings/{meeting.id}/attendance", {"status": "represented"})
    assert refused.status_code == 422 and "Indiquez la personne qui vous représentera." in refused.text
    answered = member.htmx(
        f"/meetings/{meeting.id}/attendance", {"status": "represented", "represented_by": "Lt Durand"}
    )
    assert answered.status_code == 200 and "Lt Durand" in answered.text
    # A member cannot record presence, the secretary can, and the meeting is then held.
    assert member.htmx(f"/meetings/{meeting.id}/attendance", {"status": "present"}).status_code == 403
    recorded = client_for(world.secretary).htmx(
        f"/meetings/{meeting.id}/attendance/{world.member.id}", {"status": "present"}
    )
    assert recorded.status_code == 200
    session.rollback()
    session.expire_all()
    invitation = session.exec(select(Invitation).where(Invitation.user_id == world.member.id)).one()
    assert invitation.status == AttendanceStatus.present
    assert session.get(Meeting, meeting.id).status == MeetingStatus.held  # type: ignore[union-attr]


def test_answers_never_hold_a_meeting_and_presence_waits_for_it(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=7)
    for user in (world.secretary, world.member):
        factory.invite(meeting, user)
    secretary = client_for(world.secretary)
    own = secretary.htmx(
        f"/meetings/{meeting.id}/attendance", {"status": "represented", "represented_by": "Mme Roux"}
    )
    assert own.status_code == 200
    early = secretary.htmx(f"/meetings/{meeting.id}/attendance/{world.member.id}", {"status": "present"})
    assert early.status_code == 409 and "deux heures avant la réunion" in early.text
    unnamed = secretary.htmx(
        f"/meetings/{meeting.id}/attendance/{world.member.id}", {"status": "represented"}
    )
    assert unnamed.status_code == 422 and "Indiquez la personne" in unnamed.text
    session.rollback()
    session.expire_all()
    assert session.get(Meeting, meeting.id).status == MeetingStatus.convened  # type: ignore[union-attr]
    status = session.exec(select(Invitation.status).where(Invitation.user_id == world.member.id)).one()
    assert status == AttendanceStatus.invited


def test_a_member_who_left_or_was_excluded_loses_the_meetings_they_were_invited_to(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    factory.invite(meeting, world.member)
    client = client_for(world.member)
    assert client.get(f"/meetings/{meeting.id}").status_code == 200
    membership = session.exec(select(Membership).where(Membership.user_id == world.member.id)).one()
    membership.excluded_at = utcnow()
    factory._save(membership)
    assert client.get(f"/meetings/{meeting.id}").status_code == 404
    assert api_for(world.member).get(f"/api/v1/meetings/{meeting.id}/agenda-items").status_code == 404
    assert f"/meetings/{meeting.id}" not in client.get("/meetings").text
    # Nor can the secretary bring them back as the meeting's guest: only the chair lifts it.
    refused = client_for(world.secretary).htmx(
        f"/meetings/{meeting.id}/invitations", {"user_id": world.member.id}
    )
    assert refused.status_code == 422 and "exclue" in refused.text


def test_confidential_items_stay_in_the_body(
    client_for: Any, api_for: Any, world: World, factory: Factory
) -> None:
    visitor = factory.user("Valérie Visiteuse", organisation=factory.organisation())
    meeting = factory.meeting(world.body, status=MeetingStatus.held, in_days=-0.05)
    factory.item(meeting, "Point public", position=1)
    factory.item(
        meeting, "Situation de la famille du 12", position=2, notes="Suivi social", confidential=True
    )
    factory.member(world.body, visitor, MemberRole.guest)
    factory.invite(meeting, visitor, guest=True)
    page = client_for(visitor).get(f"/meetings/{meeting.id}")
    assert page.status_code == 200 and "Point public" in page.text
    assert "Situation de la famille" not in page.text
    api = api_for(world.chair)
    inside = api.get(f"/api/v1/meetings/{meeting.id}/minutes").json()
    outside = api.get(f"/api/v1/meetings/{meeting.id}/minutes", params={"audience": "outside"}).json()
    assert [i["title"] for i in inside["items"]] == ["Point public", "Situation de la famille du 12"]
    assert [i["title"] for i in outside["items"]] == ["Point public"]


def test_round_table_one_update_per_organisation_until_the_meeting(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    factory.item(meeting, "Tour de table", standing=StandingItem.round_table)
    client = client_for(world.member)
    empty = client.htmx(f"/meetings/{meeting.id}/round-table", {"seen": " ", "done": "", "needs": ""})
    assert empty.status_code == 422 and "Remplissez au moins" in empty.text
    client.htmx(f"/meetings/{meeting.id}/round-table", {"seen": "Rodéos le soir", "needs": "Caméra"})
    client.htmx(f"/meetings/{meeting.id}/round-table", {"seen": "Rodéos chaque soir", "needs": "Caméra"})
    session.rollback()
    session.expire_all()
    [entry] = session.exec(select(RoundTableEntry)).all()
    assert entry.seen == "Rodéos chaque soir"
    page = client_for(world.chair).get(f"/meetings/{meeting.id}").text
    assert "Rodéos chaque soir" in page
    assert "Points reçus de\u00a0: Police nationale." in page
    past = factory.meeting(world.body, status=MeetingStatus.held, in_days=-1)
    factory.item(past, "Tour de table", standing=StandingItem.round_table)
    for invited in (meeting, past):
        factory.invite(invited, world.secretary)  # the city's, which sends none
    assert "Pas encore envoyé\u00a0: Mairie" in client_for(world.chair).get(f"/meetings/{meeting.id}").text
    closed = client.htmx(f"/meetings/{past.id}/round-table", {"seen": "Trop tard"})
    assert closed.status_code == 409 and "Le tour de table de cette réunion est clos." in closed.text
    # Held, the meeting's missing updates will not come: not "yet".
    held = client_for(world.chair).get(f"/meetings/{past.id}").text
    assert "Aucun point n’a été envoyé." in held and "Non envoyé\u00a0: Mairie" in held
    assert "pour l’instant" not in held and "Pas encore envoyé" not in held


def test_agenda_items_move_and_carry_over_with_their_notes(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.held, in_days=-0.05)
    first = factory.item(meeting, "Premier", position=1)
    second = factory.item(meeting, "Second", position=2, notes="À reprendre")
    client = client_for(world.secretary)
    moved = client.htmx(f"/agenda-items/{second.id}/move", {"direction": "up"})
    assert moved.status_code == 200
    assert moved.text.index("Second") < moved.text.index("Premier")
    api = api_for(world.secretary)
    order = api.post(f"/api/v1/meetings/{meeting.id}/agenda-items/order", json={"ids": [first.id, second.id]})
    assert [i["title"] for i in order.json()["items"]] == ["Premier", "Second"]
    bad = api.post(f"/api/v1/meetings/{meeting.id}/agenda-items/order", json={"ids": [first.id]})
    assert bad.status_code == 422
    no_next = client.htmx(f"/agenda-items/{second.id}/carry-over")
    assert no_next.status_code == 409 and "la prochaine réunion de l’instance" in no_next.text
    following = factory.meeting(world.body, in_days=30)
    assert client.htmx(f"/agenda-items/{second.id}/carry-over").status_code == 200
    session.rollback()
    session.expire_all()
    [carried] = session.exec(select(AgendaItem).where(AgendaItem.meeting_id == following.id)).all()
    assert (carried.title, carried.notes, carried.carried_from_id) == ("Second", "À reprendre", second.id)


def test_personal_calendar_feed_is_secret_and_revocable(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    mine = factory.meeting(world.body, location="Mairie", status=MeetingStatus.convened)
    factory.meeting(world.other_body, location="Ailleurs")
    planned = factory.meeting(world.body, status=MeetingStatus.planned, in_days=40)
    client = client_for(world.member)
    page = client.get("/calendar").text
    url = page.split('id="feed-url" type="text" value="')[1].split('"')[0]
    path = url.removeprefix("http://testserver")
    anonymous = client_for(None)
    feed = anonymous.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert mine.uid in feed.text and "LOCATION:Mairie" in feed.text
    assert "Ailleurs" not in feed.text
    # A meeting convened is confirmed; one only planned may move (it said confirmed).
    events = {e.split("UID:")[1].split()[0]: e for e in feed.text.split("BEGIN:VEVENT")[1:]}
    assert "STATUS:CONFIRMED" in events[mine.uid] and "STATUS:TENTATIVE" in events[planned.uid]
    client.form("/calendar/revoke")
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(path.replace(f"/{world.member.id}-", f"/{world.chair.id}-")).status_code == 404


def test_a_guest_is_invited_by_typing_a_part_of_their_name(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    """The invitation form names the guest by words of their name or address (no list of every
    person on the meeting page); those invited already are not offered again."""
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    factory.invite(meeting, world.member)
    client = client_for(world.secretary)
    page = client.get(f"/meetings/{meeting.id}").text
    assert 'name="person"' in page and "Olivier Autre (" not in page
    url = f"/meetings/{meeting.id}/invitations"
    assert "Personne ne correspond" in client.htmx(url, {"person": "marc membre"}).text  # invited already
    invited = client.htmx(url, {"person": "olivier autre"})
    assert invited.status_code == 200 and "La personne est invitée." in invited.text
    session.rollback()
    guests = session.exec(select(Invitation.user_id).where(Invitation.meeting_id == meeting.id)).all()
    assert set(guests) == {world.member.id, world.other.id}


def test_the_minutes_wait_for_the_meeting_to_begin(
    api_for: Any, client_for: Any, world: World, factory: Factory
) -> None:
    """Presence is recorded from two hours before the meeting, which marks it held: its minutes
    were then approved, locked and mailed before it had begun (walkthrough)."""
    meeting = factory.meeting(world.body, status=MeetingStatus.convened, in_days=1 / 24)
    factory.invite(meeting, world.member)
    secretary = client_for(world.secretary)
    assert secretary.htmx(f"/meetings/{meeting.id}/all-present").status_code == 200
    page = secretary.get(f"/meetings/{meeting.id}").text
    assert "Tenue" in page and "Approuver le compte rendu" not in page
    refused = api_for(world.secretary).post(f"/api/v1/meetings/{meeting.id}/approve")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "The minutes are approved once the meeting has begun."
    button = secretary.form(f"/meetings/{meeting.id}/approve")  # the page's button: back, told why
    assert (button.status_code, button.headers["location"]) == (303, f"/meetings/{meeting.id}")
    assert (
        "Le compte rendu s’approuve une fois la réunion commencée."
        in secretary.get(button.headers["location"]).text
    )


def test_a_planned_meeting_whose_date_has_come_is_no_longer_offered_to_convene(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    """Its convocation was refused on a bare page at the button's address (walkthrough): the
    page says what is left to do, and a refusal comes back to the meeting."""
    past = factory.meeting(world.body, in_days=-2)
    secretary = client_for(world.secretary)
    page = secretary.get(f"/meetings/{past.id}").text
    assert f"/meetings/{past.id}/convene" not in page
    assert "La date de cette réunion est arrivée\u00a0: elle ne peut plus être convoquée." in page
    refused = secretary.form(f"/meetings/{past.id}/convene")
    assert (refused.status_code, refused.headers["location"]) == (303, f"/meetings/{past.id}")
    shown = secretary.get(refused.headers["location"]).text
    assert "Cette réunion est dans le passé\u00a0: changez sa date avant de la convoquer." in shown
    assert 'class="flash flash--error" role="alert"' in shown
    session.refresh(past)
    assert past.status == MeetingStatus.planned
    coming = factory.meeting(world.body, in_days=3)
    assert f"/meetings/{coming.id}/convene" in secretary.get(f"/meetings/{coming.id}").text
