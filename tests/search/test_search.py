"""The header search (page and API): each kind of record through its own visibility rule, a
confidential report's text and a guest's view of the minutes kept out, bounded queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from tests.conftest import ON_POSTGRESQL
from veille.actions.models import Action
from veille.audit.models import AuditEvent
from veille.bodies.models import Membership
from veille.db import contains_words
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import AgendaItem
from veille.orm import utcnow
from veille.search import service as search
from veille.situations.enums import Confidentiality
from veille.venues.models import Venue


def _found(api: Any, q: str) -> dict[str, list[str]]:
    """The titles found per kind, through the API."""
    response = api.get("/api/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return {g["kind"]: [i["title"] for i in g["items"]] for g in response.json()["groups"] if g["total"]}


def _page_text(client: Any, q: str) -> str:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    return str(response.text)


def test_a_confidential_report_matches_only_for_those_who_read_it_whole(world, factory, api_for, client_for):
    factory.situation(world.body, world.member, "Hall de l'escalier", description="Zorglub signalé au hall")
    factory.situation(
        world.body,
        world.member,
        "Famille suivie",
        description="Situation tartempion du foyer",
        confidentiality=Confidentiality.social,
    )
    factory.situation(
        world.body,
        world.member,
        "Suivi nominatif",
        description="Personne nommée brimborion",
        confidentiality=Confidentiality.restricted,
    )
    readers = {
        # The social report is read by the organisation named (the member's police) only, the
        # chair and the staff included in those who see it as a stub at most.
        "tartempion": {"member"},
        # The restricted one by the chair, the secretaries and the organisation named.
        "brimborion": {"chair", "secretary", "member"},
        "zorglub": {"chair", "secretary", "member", "admin", "coordinator"},
    }
    for name in ("admin", "coordinator", "chair", "secretary", "member", "other", "guest"):
        api = api_for(world.persona(name))
        for word, who in readers.items():
            found = _found(api, word).get("reports", [])
            assert bool(found) == (name in who), (name, word, found)
        page = _page_text(client_for(world.persona(name)), "tartempion")
        assert ("Famille suivie" in page) == (name == "member"), name


def test_a_search_typed_without_accents_finds_what_is_written_with_them(world, factory, api_for):
    """As the reports' feed does: "eclairage" finds "éclairage", "coeur" finds "cœur", and the
    other way round, in every kind of record and whatever the case."""
    factory.action(world.body, world.organisation, "Remise en état de l'ÉCLAIRAGE du bâtiment C")
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    factory.item(meeting, "Médiation au cœur de la cité")
    api = api_for(world.coordinator)
    for typed in ("eclairage", "Éclairage", "éclairàge"):
        assert _found(api, typed) == {"actions": ["Remise en état de l'ÉCLAIRAGE du bâtiment C"]}, typed
    for typed in ("mediation coeur", "MÉDIATION cœur"):
        assert _found(api, typed) == {"meetings": ["Médiation au cœur de la cité"]}, typed
    assert _found(api, "eclairage mediation") == {}  # every word, as before


def test_a_report_found_is_dated_by_its_facts_as_the_feed_dates_it(world, factory, api_for):
    report = factory.situation(world.body, world.member, "Tapage nocturne rue des Halles")
    report.occurred_at = report.created_at - timedelta(days=7)
    factory.session.add(report)
    factory.session.commit()
    groups = api_for(world.member).get("/api/v1/search", params={"q": "tapage"}).json()["groups"]
    [group] = [g for g in groups if g["kind"] == "reports"]
    assert group["items"][0]["when"].startswith(report.occurred_at.isoformat()[:16])


def test_a_guest_finds_the_agenda_titles_never_the_notes(world, factory, api_for):
    """Agenda titles for whoever sees the meeting, but a confidential item's for its members
    only (a guest's agenda leaves it out); an item's notes only once the minutes are approved
    and only for the body's members (a guest's access ends with the approval)."""
    convened = factory.meeting(world.body, status=MeetingStatus.convened)
    factory.item(convened, "Tranquillité place Gambetta", notes="Note farfadet", confidential=True)
    factory.item(convened, "Marché de Noël place Gambetta", 2)
    factory.invite(convened, world.guest, guest=True)
    approved = factory.meeting(world.body, status=MeetingStatus.minutes_approved, in_days=-30)
    factory.item(approved, "Bilan estival", notes="Relevé des décisions lutin", decisions="Médiation lutin")
    factory.invite(approved, world.guest, guest=True)
    for name in ("admin", "chair", "member", "guest", "other"):
        api = api_for(world.persona(name))
        titles = _found(api, "gambetta").get("meetings", [])
        both = ["Tranquillité place Gambetta", "Marché de Noël place Gambetta"]
        assert titles == {"other": [], "guest": both[1:]}.get(name, both), name
        # The notes of a meeting whose minutes are not approved are never searched.
        assert _found(api, "farfadet") == {}, name
        assert bool(_found(api, "lutin")) == (name in ("admin", "chair", "member")), name
        # Once approved, the meeting is no longer the guest's at all.
        titles = _found(api, "bilan").get("meetings", [])
        assert titles == ([] if name in ("guest", "other") else ["Bilan estival"]), name


def test_actions_problem_files_and_venues_follow_their_rules(world, factory, session, api_for, client_for):
    factory.action(world.body, world.organisation, "Médiation rue Pistache")
    factory.problem(world.body, "Dossier pistache du bâtiment C")
    session.add(Venue(body_id=world.body.id, name="Le Pistache Bar", address="3 rue Haute"))
    session.commit()
    names = ("admin", "member", "guest", "other")
    found = {name: _found(api_for(world.persona(name)), "pistache") for name in names}
    assert (
        found["member"]
        == found["admin"]
        == {
            "actions": ["Médiation rue Pistache"],
            "problems": ["Dossier pistache du bâtiment C"],
            "venues": ["Le Pistache Bar"],
        }
    )
    assert found["guest"] == found["other"] == {}
    # A body whose charter is pending shows nothing of it to its member, as its pages do.
    world.body.charter_required = True
    session.add(world.body)
    session.commit()
    factory.charter(world.body)
    assert _found(api_for(world.member), "pistache") == {}
    page = _page_text(client_for(world.admin), "pistache")
    assert 'href="/venues/' in page and 'href="/problems/' in page and 'href="/actions/' in page


def test_groups_are_bounded_with_counts_and_a_link_to_the_feed(world, factory, client_for, api_for, queries):
    for n in range(3):
        factory.situation(world.body, world.member, f"Rodéo motorisé n° {n}")
    api = api_for(world.member)
    client = client_for(world.member)
    client.get("/search", params={"q": "rodéo"})
    with queries() as few:
        assert client.get("/search", params={"q": "rodéo"}).status_code == 200
    for n in range(3, 14):
        factory.situation(world.body, world.member, f"Rodéo motorisé n° {n}")
    with queries() as many:
        page = client.get("/search", params={"q": "rodeo"})
    assert many.count == few.count
    assert "/situations?q=rodeo" in page.text
    group = api.get("/api/v1/search", params={"q": "rodéos"}).json()["groups"][0]
    assert (group["kind"], group["total"], group["more"], len(group["items"])) == ("reports", 14, False, 10)
    assert group["more_url"] == "/situations?q=rod%C3%A9os"


def test_past_the_count_limit_a_group_says_more_than(world, factory, client_for, api_for, monkeypatch):
    """Each kind counts its matches up to ``COUNTED_TO`` (a common word is in tens of thousands
    of a metropolis's reports): past it, "more than", and still the newest first."""
    monkeypatch.setattr(search, "COUNTED_TO", 12)
    for n in range(14):
        factory.situation(world.body, world.member, f"Rodéo motorisé n° {n}")
        factory.action(world.body, world.organisation, f"Contrôle rodéo n° {n}")
    factory.action(world.body, world.organisation, "Contrôle rodéo, le seul")
    groups = api_for(world.member).get("/api/v1/search", params={"q": "rodéo"}).json()["groups"]
    found = {
        g["kind"]: (g["total"], g["more"], [i["title"] for i in g["items"]]) for g in groups if g["total"]
    }
    newest = [f"Rodéo motorisé n° {n}" for n in range(13, 3, -1)]
    assert found == {
        "reports": (12, True, newest),
        "actions": (
            12,
            True,
            ["Contrôle rodéo, le seul"] + [f"Contrôle rodéo n° {n}" for n in range(13, 4, -1)],
        ),
    }
    page = client_for(world.member).get("/search", params={"q": "rodéo"}).text
    assert "Résultats pour «\u00a0rodéo\u00a0»\u00a0: plus de 24" in page
    assert page.count(">plus de 12</span>") == 4  # each kind, in the list of kinds and its own title
    assert "Voir tous les signalements dans la liste" in page
    assert "Les 10 premiers sur plus de 12 sont affichés" in page
    monkeypatch.setattr(search, "COUNTED_TO", 14)  # 14 reports: all counted; 15 actions: one more
    groups = api_for(world.member).get("/api/v1/search", params={"q": "rodéo"}).json()["groups"]
    assert [(g["total"], g["more"]) for g in groups if g["total"]] == [(14, False), (14, True)]


@pytest.mark.parametrize("q", ["", "a", "x" * 201])
def test_a_query_too_short_or_too_long_is_refused_in_french(world, client_for, api_for, q):
    page = client_for(world.member).get("/search", params={"q": q})
    if q:
        assert page.status_code == 422
        assert "caractères" in page.text
        assert api_for(world.member).get("/api/v1/search", params={"q": q}).status_code == 422
    else:
        assert page.status_code == 200
        assert "Tapez ce que vous cherchez" in page.text


def test_wildcards_are_plain_characters(world, factory, api_for):
    factory.action(world.body, world.organisation, "Taux 100% atteint")
    factory.action(world.body, world.organisation, "Autre action")
    assert _found(api_for(world.member), "0%")["actions"] == ["Taux 100% atteint"]
    assert _found(api_for(world.member), "__") == {}


def test_anonymous_is_sent_to_login(client_for, api_for, world):
    assert client_for(None).get("/search", params={"q": "hall"}).status_code == 303
    assert api_for(None).get("/api/v1/search", params={"q": "hall"}).status_code == 401


def test_every_page_has_the_search_landmark(world, client_for):
    page = client_for(world.member).get("/").text
    assert 'role="search"' in page and 'id="site-search-q"' in page and 'aria-keyshortcuts="/"' in page
    assert 'href="/help"' in page
    assert 'id="site-search-q"' not in client_for(None).get("/login").text


def test_confidential_reports_listed_are_audited_and_an_excluded_member_finds_nothing(
    world, factory, session, api_for
):  # type: ignore[no-untyped-def]
    report = factory.situation(
        world.body, world.member, "Suivi Quincampoix", confidentiality=Confidentiality.restricted
    )
    factory.action(world.body, world.organisation, "Action Quincampoix")
    assert _found(api_for(world.secretary), "quincampoix")["reports"] == ["Suivi Quincampoix"]
    reads = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "read", AuditEvent.entity_id == report.id)
    ).all()
    assert [(e.user_id, e.detail.get("via")) for e in reads] == [(world.secretary.id, "api")]
    membership = session.exec(select(Membership).where(Membership.user_id == world.secretary.id)).one()
    membership.excluded_at = utcnow()
    session.add(membership)
    session.commit()
    assert _found(api_for(world.secretary), "quincampoix") == {}


@ON_POSTGRESQL
@pytest.mark.parametrize(
    ("model", "columns"),
    [(Action, ("title", "description")), (AgendaItem, ("title", "notes", "decisions"))],
)
def test_on_postgresql_a_word_inside_a_text_is_found_through_an_index(engine, model, columns):
    """The search's ``LIKE '%word%'`` over the large tables' texts is what their trigram
    indexes serve (migration 0018; SQLite has none): a metropolis's 60,000 actions were read
    for each search."""
    found = select(col(model.id)).where(
        contains_words("médiation rodéo", *(getattr(model, c) for c in columns))
    )
    sql = found.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        connection.execute(text("SET enable_seqscan = off"))  # a test's few rows: read the table
        plan = "\n".join(connection.execute(text(f"EXPLAIN {sql}")).scalars())
    for column in columns:
        assert f"ix_{model.__tablename__}_{column}_words" in plan


@ON_POSTGRESQL
def test_on_postgresql_the_reports_search_index_keeps_ten_times_more_word_frequencies(engine):
    """A prefix none of the kept words begins with is guessed at half the rarest kept frequency:
    at the default (0.5 % of the reports at metropolis scale) a word found nowhere made
    PostgreSQL walk every report back from the newest; with ten times more words kept, it looks
    the word up in the index (migration 0019; measured in docs/performance.md)."""
    query = text(
        "SELECT attstattarget FROM pg_attribute "
        "WHERE attrelid = 'situation_search'::regclass AND attname = 'document'"
    )
    with engine.connect() as connection:
        assert connection.execute(query).scalar_one() == 1000
