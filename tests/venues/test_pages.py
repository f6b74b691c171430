"""The night-life charter pages: who may read and change venues and articles, bad input, stale
saves, signatures, and a venue's reports shown only to those who may read them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from markupsafe import escape
from sqlmodel import Session, col, select

from tests.factories import PERSONAS, Factory, World
from veille.audit.models import AuditEvent
from veille.bodies.enums import BodyStatus
from veille.bodies.models import Membership
from veille.directory.enums import OrganisationKind
from veille.i18n import translate
from veille.orm import utcnow
from veille.situations import venue_reports
from veille.situations.enums import Confidentiality
from veille.venues import service
from veille.venues.models import CharterArticle, Venue

TODAY = date.today()
LAST_YEAR = (TODAY - timedelta(days=365)).isoformat()
TOMORROW = (TODAY + timedelta(days=2)).isoformat()


def _message(message_id: str) -> str:
    """A service message as the page shows it (French, escaped), whatever the catalogue holds."""
    return str(escape(translate(message_id, "fr")))


def _venue(factory: Factory, world: World, name: str = "Le Comptoir des Halles", **values: Any) -> Venue:
    venue: Venue = factory._save(Venue(body_id=world.body.id, name=name, **values))
    return venue


def _venues(session: Session, world: World) -> list[Venue]:
    session.rollback()
    session.expire_all()
    return list(session.exec(select(Venue).where(Venue.body_id == world.body.id).order_by(col(Venue.id))))


def _articles(session: Session, world: World) -> list[CharterArticle]:
    session.rollback()
    session.expire_all()
    stmt = select(CharterArticle).where(CharterArticle.body_id == world.body.id)
    return list(session.exec(stmt.order_by(col(CharterArticle.position))))


def _events(session: Session, entity: str) -> list[AuditEvent]:
    session.rollback()
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.entity == entity).order_by(col(AuditEvent.id)))
    )


def _verdict(response: Any) -> int | str:
    if response.status_code == 303 and response.headers["location"].startswith("/login"):
        return "login"
    return "ok" if response.status_code < 400 else int(response.status_code)


# Who may do what

READ = {"admin": "ok", "coordinator": "ok", "chair": "ok", "secretary": "ok", "member": "ok", "other": 404}
MANAGE = READ | {"member": 403}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_and_changes_venues_as_the_rules_say(
    persona: str, client_for: Any, world: World, factory: Factory
) -> None:
    venue = _venue(factory, world)
    client = client_for(world.persona(persona))
    expected = {
        "list": READ | {"guest": 403, "anonymous": "login"},
        "venue": READ | {"guest": 404, "anonymous": "login"},
        "create": MANAGE | {"guest": 403, "anonymous": "login"},
        "edit": MANAGE | {"guest": 404, "anonymous": "login"},
    }
    found = {
        "list": _verdict(client.get(f"/bodies/{world.body.id}/venues")),
        "venue": _verdict(client.get(f"/venues/{venue.id}")),
        "create": _verdict(client.form(f"/bodies/{world.body.id}/venues/new", {"name": f"Bar {persona}"})),
        "edit": _verdict(client.form(f"/venues/{venue.id}/edit", {"name": "Le Comptoir", "version": "1"})),
    }
    assert found == {action: expected[action][persona] for action in expected}


def test_secretary_adds_a_venue_that_signed_and_it_is_listed(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    form = {
        "name": "L'Entrepôt",
        "kind": "Discothèque",
        "address": "18 quai de Loire",
        "signed_on": LAST_YEAR,
        "notes": "Ouvert du jeudi au samedi.\r\nGérant joignable.",
    }
    response = client.form(f"/bodies/{world.body.id}/venues/new", form)
    assert response.status_code == 303, response.text
    [venue] = _venues(session, world)
    assert response.headers["location"] == f"/venues/{venue.id}"
    assert (venue.kind, venue.signed_on, venue.withdrawn_on) == (
        "Discothèque",
        date.fromisoformat(LAST_YEAR),
        None,
    )
    assert venue.notes == "Ouvert du jeudi au samedi.\nGérant joignable."
    [event] = _events(session, "venue")
    assert (event.verb, event.user_id, event.entity_id) == ("create", world.secretary.id, venue.id)
    listing = client.get(f"/bodies/{world.body.id}/venues").text
    assert "L&#39;Entrepôt" in listing and "18 quai de Loire" in listing
    assert f'href="/venues/{venue.id}"' in listing
    page = client.get(f"/venues/{venue.id}").text
    assert "Gérant joignable." in page and f'action="/venues/{venue.id}/withdraw"' in page


def test_a_plain_member_reads_without_any_form(client_for: Any, world: World, factory: Factory) -> None:
    venue = _venue(factory, world)
    factory._save(CharterArticle(body_id=world.body.id, position=1, title="Niveaux sonores"))
    client = client_for(world.member)
    listing = client.get(f"/bodies/{world.body.id}/venues").text
    assert "Niveaux sonores" in listing and "Le Comptoir des Halles" in listing
    assert "<form" not in listing.split('id="main"')[1].split("</main>")[0]
    page = client.get(f"/venues/{venue.id}").text
    assert "/sign" not in page and f"/venues/{venue.id}/edit" not in page


def test_bad_venue_input_is_explained_and_writes_nothing(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    _venue(factory, world, "Le Zinc")
    client = client_for(world.secretary)
    url = f"/bodies/{world.body.id}/venues/new"
    cases = [
        ({"name": ""}, "name", translate("This field is required.", "fr")),
        ({"name": "  le zinc "}, "name", translate(service.DUPLICATE, "fr")),
        ({"name": "Le Phare", "withdrawn_on": LAST_YEAR}, "withdrawn_on", None),
        ({"name": "Le Phare", "signed_on": TOMORROW}, "signed_on", translate(service.FUTURE, "fr")),
        ({"name": "Le Phare", "signed_on": "hier"}, "signed_on", None),
        ({"name": "x" * 201}, "name", None),
    ]
    for form, field, message in cases:
        response = client.form(url, form)
        assert response.status_code == 422, form
        assert f'id="field-{field}-error"' in response.text, form
        assert f'href="#field-{field}"' in response.text, form  # the error summary links to it
        if message:
            assert str(escape(message)) in response.text, form
        if form["name"] == "Le Phare":
            assert 'value="Le Phare"' in response.text  # what was typed stays
    # Every error at once: a date in the future is said beside a missing name (it was said only
    # once the name was given).
    both = client.form(url, {"name": "", "signed_on": TOMORROW})
    assert 'id="field-name-error"' in both.text and 'id="field-signed_on-error"' in both.text
    assert str(escape(translate(service.FUTURE, "fr"))) in both.text
    assert [v.name for v in _venues(session, world)] == ["Le Zinc"]
    assert _events(session, "venue") == []


def test_renaming_a_venue_to_a_taken_name_is_refused(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    _venue(factory, world, "Le Zinc")
    venue = _venue(factory, world, "Le Phare")
    response = client_for(world.chair).form(f"/venues/{venue.id}/edit", {"name": "LE ZINC", "version": "1"})
    assert response.status_code == 422
    assert _message(service.DUPLICATE) in response.text
    assert [v.name for v in _venues(session, world)] == ["Le Zinc", "Le Phare"]


def test_a_stale_save_is_refused_and_overwrites_nothing(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    venue = _venue(factory, world)
    first, second = client_for(world.secretary), client_for(world.chair)
    assert first.get(f"/venues/{venue.id}/edit").status_code == 200
    saved = first.form(
        f"/venues/{venue.id}/edit", {"name": "Le Comptoir", "address": "2 rue Haute", "version": "1"}
    )
    assert saved.status_code == 303
    stale = second.form(f"/venues/{venue.id}/edit", {"name": "Comptoir des Halles", "version": "1"})
    assert stale.status_code == 409
    assert _message(service.STALE) in stale.text
    assert 'value="Comptoir des Halles"' in stale.text  # what the chair typed is still in the form
    [current] = _venues(session, world)
    assert (current.name, current.address, current.version) == ("Le Comptoir", "2 rue Haute", 2)
    assert [e.detail["fields"] for e in _events(session, "venue")] == [["address", "name"]]


def test_signature_and_withdrawal_are_recorded_in_order(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    venue = _venue(factory, world)
    client = client_for(world.chair)
    signed_on = (TODAY - timedelta(days=30)).isoformat()
    assert client.form(f"/venues/{venue.id}/sign", {"day": signed_on, "version": "1"}).status_code == 303
    again = client.form(f"/venues/{venue.id}/sign", {"day": signed_on, "version": "2"})
    assert again.status_code == 409 and _message(service.ALREADY_SIGNED) in again.text
    early = client.form(f"/venues/{venue.id}/withdraw", {"day": LAST_YEAR, "version": "2"})
    assert early.status_code == 422 and 'id="field-day-error"' in early.text
    stale = client.form(f"/venues/{venue.id}/withdraw", {"day": TODAY.isoformat(), "version": "1"})
    assert stale.status_code == 409 and _message(service.STALE) in stale.text
    assert (
        client.form(f"/venues/{venue.id}/withdraw", {"day": TODAY.isoformat(), "version": "2"}).status_code
        == 303
    )
    [current] = _venues(session, world)
    assert (current.signed_on, current.withdrawn_on) == (date.fromisoformat(signed_on), TODAY)
    assert service.charter_state(current) == service.CharterState.withdrawn
    page = client.get(f"/venues/{venue.id}").text
    assert f'action="/venues/{venue.id}/sign"' in page  # it may sign again
    assert [e.verb for e in _events(session, "venue")] == ["sign", "withdraw"]


def test_a_closed_body_keeps_its_venues_readable_and_unchanged(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    venue = _venue(factory, world)
    world.body.status = BodyStatus.closed
    factory._save(world.body)
    client = client_for(world.chair)
    assert client.get(f"/venues/{venue.id}").status_code == 200
    assert "/venues/new" not in client.get(f"/bodies/{world.body.id}/venues").text
    assert client.form(f"/venues/{venue.id}/edit", {"name": "X", "version": "1"}).status_code == 409
    assert client.form(f"/bodies/{world.body.id}/charter-articles", {"title": "Bruit"}).status_code == 409
    assert _venues(session, world)[0].name == "Le Comptoir des Halles"


def test_an_excluded_member_and_a_pending_charter_see_no_venue(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    venue = _venue(factory, world)
    membership = session.exec(select(Membership).where(Membership.user_id == world.member.id)).one()
    membership.excluded_at = utcnow()
    factory._save(membership)
    assert client_for(world.member).get(f"/venues/{venue.id}").status_code == 404
    world.body.charter_required = True
    factory._save(world.body)
    factory.charter(world.body)
    client = client_for(world.secretary)
    listing = client.get(f"/bodies/{world.body.id}/venues")
    assert listing.status_code == 303 and listing.headers["location"] == f"/bodies/{world.body.id}/charter"
    # The venue leads to the charter to accept, not a bare refusal (issue 17).
    gate = client.get(f"/venues/{venue.id}")
    assert gate.status_code == 303 and gate.headers["location"] == f"/bodies/{world.body.id}/charter"


# The charter's articles


def test_secretary_writes_reorders_and_removes_the_charter_articles(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    url = f"/bodies/{world.body.id}/charter-articles"
    plain = client.form(url, {"title": "Niveaux sonores", "text": "Limiteur réglé à 102 dB(A)."})
    assert plain.status_code == 303 and plain.headers["location"].endswith("/venues#articles")
    fragment = client.htmx(url, {"title": "Calme à la fermeture"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section class="card" id="articles"')
    assert "Calme à la fermeture" in fragment.text and "<html" not in fragment.text
    first, second = _articles(session, world)
    assert [(a.title, a.position) for a in (first, second)] == [
        ("Niveaux sonores", 1),
        ("Calme à la fermeture", 2),
    ]

    assert client.htmx(f"/charter-articles/{second.id}/move", {"direction": "up"}).status_code == 200
    assert [a.title for a in _articles(session, world)] == ["Calme à la fermeture", "Niveaux sonores"]
    edited = client.htmx(
        f"/charter-articles/{first.id}/edit", {"title": "Niveaux sonores maîtrisés", "text": ""}
    )
    assert edited.status_code == 200 and "Niveaux sonores maîtrisés" in edited.text
    assert client.form(f"/charter-articles/{second.id}/delete").status_code == 303
    [left] = _articles(session, world)
    assert (left.title, left.text) == ("Niveaux sonores maîtrisés", "")
    verbs = [e.verb for e in _events(session, "charter_article")]
    assert verbs == ["create", "create", "reorder", "update", "delete"]


def test_bad_article_input_is_explained_next_to_its_form_and_writes_nothing(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    article = factory._save(CharterArticle(body_id=world.body.id, position=1, title="Bruit"))
    client = client_for(world.chair)
    added = client.htmx(f"/bodies/{world.body.id}/charter-articles", {"title": "", "text": "Sans titre"})
    assert added.status_code == 422 and 'id="field-title-error"' in added.text
    assert ">\nSans titre</textarea>" in added.text  # what was typed stays
    edited = client.htmx(f"/charter-articles/{article.id}/edit", {"title": " ", "text": "Texte"})
    assert edited.status_code == 422
    assert (
        f'id="article-title-{article.id}-error"' in edited.text
        and 'id="field-title-error"' not in edited.text
    )
    whole = client.form(f"/charter-articles/{article.id}/edit", {"title": ""})
    assert whole.status_code == 422 and "<html" in whole.text  # without JavaScript: the page again
    assert [(a.title, a.text) for a in _articles(session, world)] == [("Bruit", "")]


@pytest.mark.parametrize(("persona", "expected"), [("member", 403), ("guest", 404), ("other", 404)])
def test_only_managers_change_the_articles(
    persona: str, expected: int, client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    article = factory._save(CharterArticle(body_id=world.body.id, position=1, title="Bruit"))
    client = client_for(world.persona(persona))
    for path in ("edit", "delete", "move"):
        response = client.form(
            f"/charter-articles/{article.id}/{path}", {"title": "Autre", "direction": "down"}
        )
        assert response.status_code == expected, path
    assert [a.title for a in _articles(session, world)] == ["Bruit"]


# What happened around a venue


def _reports(factory: Factory, world: World, venue: Venue) -> dict[str, Any]:
    """A body report, a restricted one by the housing provider and a social one by the
    mediation service, all naming the venue; and a report naming no venue."""
    housing = factory.organisation("Bailleur du centre", OrganisationKind.housing_provider)
    landlord = factory.user("Henri Bailleur", organisation=housing)
    factory.member(world.body, landlord)
    mediation = factory.organisation("Médiation de nuit", OrganisationKind.mediation)
    mediator = factory.user("Mina Médiatrice", organisation=mediation)
    factory.member(world.body, mediator)
    return {
        "body": factory.situation(
            world.body, world.member, "Rixe devant le bar", venue_id=venue.id, days_ago=40
        ),
        "restricted": factory.situation(
            world.body,
            landlord,
            "Nuisances signalées par une locataire nommée",
            venue_id=venue.id,
            confidentiality=Confidentiality.restricted,
        ),
        "social": factory.situation(
            world.body,
            mediator,
            "Jeune majeur en errance à la fermeture",
            venue_id=venue.id,
            confidentiality=Confidentiality.social,
        ),
        "elsewhere": factory.situation(world.body, world.member, "Tags rue Haute"),
        "landlord": landlord,
    }


def test_a_venue_page_shows_only_the_reports_the_person_may_read(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    venue = _venue(factory, world)
    reports = _reports(factory, world, venue)
    member_page = client_for(world.member).get(f"/venues/{venue.id}").text
    assert "Rixe devant le bar" in member_page
    for hidden in ("Nuisances signalées", "Jeune majeur", "Tags rue Haute"):
        assert hidden not in member_page
    assert '<td class="num">1</td>' in member_page.split("<tfoot>")[1]  # the counts hide them too
    chair_page = client_for(world.chair).get(f"/venues/{venue.id}").text
    assert "Rixe devant le bar" in chair_page and "Nuisances signalées" in chair_page
    assert "Jeune majeur" not in chair_page  # social: its organisations only, and no stub here
    assert chair_page.index("Nuisances signalées") < chair_page.index("Rixe devant le bar")  # newest first
    assert '<td class="num">2</td>' in chair_page.split("<tfoot>")[1]
    assert "Nuisances signalées" in client_for(reports["landlord"]).get(f"/venues/{venue.id}").text
    reads = [e for e in _events(session, "situation") if e.verb == "read"]
    assert {(e.user_id, e.entity_id, e.detail.get("via")) for e in reads} == {
        (world.chair.id, reports["restricted"].id, "venue"),
        (reports["landlord"].id, reports["restricted"].id, "venue"),
    }


def test_the_venue_list_counts_only_the_reports_the_person_may_read(
    client_for: Any, world: World, factory: Factory
) -> None:
    venue = _venue(factory, world)
    _reports(factory, world, venue)
    factory.situation(world.body, world.member, "Il y a deux ans", venue_id=venue.id, days_ago=800)
    member = client_for(world.member).get(f"/bodies/{world.body.id}/venues").text
    chair = client_for(world.chair).get(f"/bodies/{world.body.id}/venues").text
    count = '<span class="venue-list__count">%s</span>'
    assert count % "1 signalement" in member or count % "1 report" in member
    assert count % "2 signalements" in chair or count % "2 reports" in chair


def test_the_venue_page_pages_its_reports(client_for: Any, world: World, factory: Factory) -> None:
    venue = _venue(factory, world)
    for n in range(venue_reports.REPORTS_PAGE_SIZE + 1):
        factory.situation(world.body, world.member, f"Fait numéro {n:02d}", venue_id=venue.id, days_ago=n + 1)
    client = client_for(world.member)
    first = client.get(f"/venues/{venue.id}").text
    assert "Fait numéro 00" in first and "Fait numéro 20" not in first
    assert f'href="/venues/{venue.id}?page=2"' in first
    assert "Fait numéro 20" in client.get(f"/venues/{venue.id}?page=2").text


def test_the_venue_page_issues_the_same_queries_however_many_reports(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    venue = _venue(factory, world)
    _reports(factory, world, venue)
    client = client_for(world.chair)
    client.get(f"/venues/{venue.id}")
    with queries() as few:
        assert client.get(f"/venues/{venue.id}").status_code == 200
    # Body reports: each read of a restricted one is one more audit row, written on purpose.
    for n in range(8):
        factory.situation(world.body, world.member, f"Fait {n}", venue_id=venue.id, days_ago=n * 20)
    with queries() as many:
        assert client.get(f"/venues/{venue.id}").status_code == 200
    assert many.count == few.count
    assert many.count <= 25
    client.get(f"/bodies/{world.body.id}/venues")
    with queries() as listing:
        client.get(f"/bodies/{world.body.id}/venues")
    for n in range(5):
        _venue(factory, world, f"Bar {n}", signed_on=TODAY)
    with queries() as longer:
        client.get(f"/bodies/{world.body.id}/venues")
    assert longer.count == listing.count <= 16
