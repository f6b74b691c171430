"""Full-text search of the reports through the feed: accents, French word forms, several words,
hostile queries, the index kept in step with the text, and no leak of what a person may not
read whole (docs/confidentiality.md, rule 3), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from tests.factories import Factory, World
from veille.access import viewer_of
from veille.bodies.enums import MemberRole
from veille.config import Settings
from veille.directory.enums import OrganisationKind
from veille.directory.models import User
from veille.migrate import downgrade, upgrade
from veille.orm import utcnow
from veille.situations import feed, reports, retention, visibility
from veille.situations.enums import Confidentiality, SituationStatus
from veille.situations.models import Situation, SituationUpdate, SituationUpdateIn


def found(session: Session, user: User, q: str, **filters: Any) -> set[str]:
    """The titles of the reports the person finds with this search, as the feed selects them
    (any text: the bounds of the filters are the edge's, here the search is tried on its own)."""
    session.commit()
    viewer = viewer_of(session, user)
    stmt = feed.feed_query(session, viewer, feed.Filters.model_construct(q=q, **filters))
    return {s.title for s in session.exec(stmt).all()}


def count(session: Session, user: User, q: str) -> int:
    viewer = viewer_of(session, user)
    stmt = feed.feed_query(session, viewer, feed.Filters.model_construct(q=q))
    return session.exec(select(func.count()).select_from(stmt.subquery())).one()


@pytest.fixture
def report(factory: Factory, world: World) -> Any:
    """report(title, **values): a `body` report of the world's body, by its police member."""
    return lambda title, **values: factory.situation(world.body, world.member, title, **values)


# Words


def test_accents_are_ignored_both_ways(session: Session, world: World, report: Any) -> None:
    report("Sécurité aux abords de l'école", description="")
    report("Securite routiere devant le college", description="")
    assert found(session, world.member, "securite ecole") == {"Sécurité aux abords de l'école"}
    assert found(session, world.member, "SÉCURITÉ ROUTIÈRE") == {"Securite routiere devant le college"}
    assert found(session, world.member, "sécurite") == {
        "Sécurité aux abords de l'école",
        "Securite routiere devant le college",
    }
    assert found(session, world.member, "collège") == {"Securite routiere devant le college"}


@pytest.mark.parametrize(
    ("title", "q"),
    [
        ("Rodéos urbains sur le parking", "rodeo"),
        ("Rodéo de quads", "rodéos"),
        ("Dégradations de l'abribus", "degradation"),
        ("Abribus dégradé", "dégradations"),
        ("Sécurité du marché", "securite"),
        ("Occupation du hall", "occupations"),
        ("Halls occupés tous les soirs", "occupation hall"),
        ("Bruits nocturnes", "bruit nocturne"),
        ("Cœur de ville", "coeur"),
        ("Véhicules incendiés", "vehicule incendie"),
    ],
)
def test_french_word_forms_match(session: Session, world: World, report: Any, title: str, q: str) -> None:
    report(title, description="")
    report("Autre chose", description="Rien à voir.")
    assert found(session, world.member, q) == {title}


def test_every_word_must_match(session: Session, world: World, report: Any) -> None:
    report("Rodéos sur le parking Jean-Moulin", description="")
    report("Rodéos rue de la Gare", description="")
    report("Parking Jean-Moulin éclairage en panne", description="")
    assert found(session, world.member, "rodéos parking") == {"Rodéos sur le parking Jean-Moulin"}
    assert found(session, world.member, "parking moulin") == {
        "Rodéos sur le parking Jean-Moulin",
        "Parking Jean-Moulin éclairage en panne",
    }
    assert found(session, world.member, "rodéos gare parking") == set()


def test_the_last_word_matches_as_a_prefix(session: Session, world: World, report: Any) -> None:
    report("Occupation du hall, bâtiment B", description="")
    report("Harcèlement à la sortie du collège", description="")
    assert found(session, world.member, "occupation ha") == set()  # two letters: whole words only
    assert found(session, world.member, "occupation hal") == {"Occupation du hall, bâtiment B"}
    assert found(session, world.member, "harc") == {"Harcèlement à la sortie du collège"}
    assert found(session, world.member, "sortie harc") == {"Harcèlement à la sortie du collège"}
    assert found(session, world.member, "harc sortie") == set()  # only the last word


def test_function_words_are_left_out_of_the_query(session: Session, world: World, report: Any) -> None:
    report("Occupation des halls", description="")
    assert found(session, world.member, "occupation du hall") == {"Occupation des halls"}
    assert found(session, world.member, "l'occupation d'un hall") == {"Occupation des halls"}
    assert found(session, world.member, "des") == {"Occupation des halls"}  # nothing else: kept
    assert found(session, world.member, "du") == set()


def test_description_place_and_updates_are_searched(session: Session, world: World, report: Any) -> None:
    situation = report("Regroupement", description="Des jeunes se rassemblent.", place="Square Voltaire")
    assert found(session, world.member, "rassemblement") == {"Regroupement"}
    assert found(session, world.member, "voltaire") == {"Regroupement"}
    assert found(session, world.member, "médiateurs") == set()
    access = visibility.get_situation(session, viewer_of(session, world.member), situation.id)
    reports.add_update(session, access=access, data=SituationUpdateIn(text="Passage des médiateurs jeudi."))
    session.commit()
    assert found(session, world.member, "mediateur jeudi") == {"Regroupement"}


@pytest.mark.parametrize(
    "q",
    [
        "   ",
        '"',
        '""',
        "'",
        "*",
        "-",
        ":",
        "(",
        ")",
        "()",
        "^",
        "{}",
        "\\",
        "&",
        "|",
        "!",
        "<->",
        ":*",
        "?!;,.",
        "— « » …",
        "😀",
        "_",
    ],
)
def test_a_query_without_letters_or_digits_matches_nothing(
    session: Session, world: World, report: Any, q: str
) -> None:
    report("Occupation du hall", description="")
    assert found(session, world.member, q) == set()
    assert count(session, world.member, q) == 0


@pytest.mark.parametrize(
    "q",
    [
        "hall*",
        '"hall"',
        '"hall',
        "hall'",
        "-hall",
        "(hall)",
        "hall:",
        "hall:*",
        "^hall",
        "hall OR",
        "OR hall",
        "hall AND",
        "NOT hall",
        "hall NEAR",
        "NEAR(hall)",
        "document:hall",
        "hall & | !",
        "{hall}",
        "hall\\",
        "hall_",
    ],
)
def test_query_syntax_is_plain_text(session: Session, world: World, report: Any, q: str) -> None:
    """FTS5 and tsquery operators typed by someone are words or separators, never syntax."""
    report("Occupation du hall", description="Or près du document, and near not.")
    report("Rodéos", description="")
    assert found(session, world.member, q) == {"Occupation du hall"}


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE situation; --",
        '" OR 1=1 --',
        "hall' OR '1'='1",
        "x" * 5_000,
        "a " * 500,
        "NEAR(a b, 3) OR c* AND -d NOT e:f",
        "\x00hall",
    ],
)
def test_hostile_queries_never_raise(session: Session, world: World, report: Any, q: str) -> None:
    report("Occupation du hall", description="")
    assert found(session, world.member, q) <= {"Occupation du hall"}
    assert session.exec(select(func.count()).select_from(Situation)).one() == 1


# The index follows the text


def _edit(session: Session, user: User, situation: Situation, **values: Any) -> None:
    session.commit()
    access = visibility.get_situation(session, viewer_of(session, user), situation.id or 0)
    current = access.situation
    fields = {
        "body_id": current.body_id,
        "title": current.title,
        "description": current.description,
        "category": "hall_occupation",
        "occurred_at": current.occurred_at,
        "status": current.status,
        "version": current.version,
    }
    data = SituationUpdate.model_validate(fields | values)
    reports.update_situation(session, access=access, data=data)
    session.commit()


def test_an_edited_report_is_found_by_its_new_text_only(session: Session, world: World, report: Any) -> None:
    situation = report("Occupation du hall", description="Squat chaque soir.")
    _edit(session, world.member, situation, title="Trafic de stupéfiants", description="Point de deal.")
    assert found(session, world.member, "hall") == set()
    assert found(session, world.member, "squat") == set()
    assert found(session, world.member, "stupefiant deal") == {"Trafic de stupéfiants"}


def test_an_anonymised_report_is_not_found_by_its_former_text(
    session: Session, world: World, report: Any, settings: Settings
) -> None:
    situation = report(
        "Occupation du hall, bâtiment B",
        description="M. Dupont",
        place="12 rue Hoche",
        status=SituationStatus.resolved,
    )
    access = visibility.get_situation(session, viewer_of(session, world.member), situation.id)
    reports.add_update(session, access=access, data=SituationUpdateIn(text="Mme Martin a appelé."))
    session.commit()
    assert found(session, world.member, "martin") == {"Occupation du hall, bâtiment B"}
    later = utcnow() + relativedelta(months=settings.retention_months + 1)
    assert retention.purge(session, settings, now=later) == 1
    for q in ("hall", "dupont", "hoche", "martin"):
        assert found(session, world.member, q) == set()
    assert found(session, world.member, "anonymise") == {retention.ANONYMISED_TITLE}


def test_a_deleted_report_leaves_nothing_in_the_index(
    session: Session, world: World, report: Any, engine: Engine
) -> None:
    kept = report("Rodéos", description="")
    gone = report("Rodéos encore", description="")
    session.delete(gone)
    session.commit()
    if engine.dialect.name == "postgresql":
        statement = text("SELECT situation_id FROM situation_search")
    else:
        statement = text("SELECT rowid FROM situation_search")
    entries = session.connection().execute(statement).scalars().all()
    assert entries == [kept.id]
    assert found(session, world.member, "rodeo") == {"Rodéos"}


def test_the_migration_indexes_existing_reports(
    session: Session, world: World, report: Any, engine: Engine
) -> None:
    report("Dégradations de l'abribus", description="Vitres brisées.")
    session.close()
    downgrade(engine, "0004")
    upgrade(engine)
    assert found(session, world.member, "vitre degradation") == {"Dégradations de l'abribus"}


# No leak (docs/confidentiality.md, rule 3)


@pytest.fixture
def secrets(factory: Factory, world: World) -> dict[str, User]:
    """A restricted report of the world's police member, a social report of a social worker
    shared with a mediation team, and the people around them; every text holds "confidentiel"."""
    transit = factory.organisation("Réseau de bus", OrganisationKind.transit)
    social = factory.organisation("Service social départemental", OrganisationKind.social_services)
    mediation = factory.organisation("Médiation de nuit", OrganisationKind.mediation)
    people = {
        "colleague": factory.user("Colette Collègue", organisation=transit),
        "social_worker": factory.user("Sylvie Sociale", organisation=social),
        "mediator": factory.user("Mehdi Médiateur", organisation=mediation),
    }
    for user in people.values():
        factory.member(world.body, user, MemberRole.member)
    factory.situation(
        world.body,
        world.member,
        "Réseau de revente confidentiel",
        description="Informations confidentielles de l'enquête.",
        confidentiality=Confidentiality.restricted,
    )
    factory.situation(
        world.body,
        people["social_worker"],
        "Famille en difficulté",
        description="Suivi social confidentiel.",
        category="vulnerable_person",
        confidentiality=Confidentiality.social,
        shared_with=[mediation],
    )
    factory.situation(world.body, world.member, "Point confidentiel", description="Pour toute la cellule.")
    factory.situation(world.other_body, world.other, "Ailleurs confidentiel", description="Autre cellule.")
    return people


RESTRICTED, SOCIAL, BODY, ELSEWHERE = (
    "Réseau de revente confidentiel",
    "Famille en difficulté",
    "Point confidentiel",
    "Ailleurs confidentiel",
)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("chair", {RESTRICTED, BODY}),
        ("secretary", {RESTRICTED, BODY}),
        ("member", {RESTRICTED, BODY}),  # the organisation named on the restricted report
        ("colleague", {BODY}),
        ("social_worker", {SOCIAL, BODY}),
        ("mediator", {SOCIAL, BODY}),
        ("guest", set()),
        ("other", {ELSEWHERE}),
    ],
)
def test_search_finds_only_what_the_person_reads_whole(
    session: Session, world: World, secrets: dict[str, User], persona: str, expected: set[str]
) -> None:
    user = secrets.get(persona) or world.persona(persona)
    assert user is not None
    assert found(session, user, "confidentiel") == expected
    assert found(session, user, "confid") == expected
    assert count(session, user, "confidentiel") == len(expected)
    assert found(session, user, "confidentiel", body_id=world.body.id) == expected - {ELSEWHERE}


@pytest.mark.parametrize("persona", ["admin", "coordinator", "chair", "secretary", "member", "colleague"])
def test_a_social_report_seen_as_a_stub_never_matches(
    session: Session, world: World, secrets: dict[str, User], persona: str
) -> None:
    user = secrets.get(persona) or world.persona(persona)
    assert user is not None
    viewer = viewer_of(session, user)
    listed = session.exec(feed.feed_query(session, viewer, feed.Filters())).all()
    assert SOCIAL in {s.title for s in listed}  # the stub is in the feed without a search
    for q in ("famille", "difficulte", "suivi social", "confidentiel", "fam"):
        assert SOCIAL not in found(session, user, q)


@pytest.mark.parametrize(
    "persona", ["admin", "coordinator", "chair", "member", "colleague", "guest", "other"]
)
def test_search_never_widens_what_the_person_reads_whole(
    session: Session, world: World, secrets: dict[str, User], persona: str
) -> None:
    user = secrets.get(persona) or world.persona(persona)
    assert user is not None
    viewer = viewer_of(session, user)
    readable = {s.title for s in session.exec(select(Situation).where(visibility.full_text(viewer))).all()}
    for q in ("confidentiel", "revente", "famille", "social", "enquête", "cellule"):
        assert found(session, user, q) <= readable


# Through HTTP


def test_the_feed_page_searches_and_hides_what_it_must(
    client_for: Any, session: Session, world: World, secrets: dict[str, User]
) -> None:
    colleague = client_for(secrets["colleague"])
    page = colleague.get("/situations", params={"q": "confidentiel"})
    assert page.status_code == 200
    assert BODY in page.text and RESTRICTED not in page.text and SOCIAL not in page.text
    chair = client_for(world.chair).get("/situations", params={"q": "confidentielles enquete"})
    assert RESTRICTED in chair.text and BODY not in chair.text
    fragment = colleague.get("/situations", params={"q": "confid"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and BODY in fragment.text and RESTRICTED not in fragment.text
    for q in ('"NEAR(*', "hall' OR '1'='1", "-:^()", "😀"):
        response = colleague.get("/situations", params={"q": q})
        assert response.status_code == 200 and BODY not in response.text


def test_the_api_searches_and_hides_what_it_must(
    api_for: Any, session: Session, world: World, secrets: dict[str, User]
) -> None:
    def titles(user: User, q: str) -> set[str]:
        response = api_for(user).get("/api/v1/situations", params={"q": q})
        assert response.status_code == 200
        return {item["title"] for item in response.json()["items"]}

    assert titles(secrets["colleague"], "confidentiel") == {BODY}
    assert titles(world.secretary, "réseau revente") == {RESTRICTED}
    assert titles(secrets["mediator"], "difficultes familles") == {SOCIAL}
    assert titles(world.chair, "famille") == set()
    for q in ('"NEAR(*', "hall' OR '1'='1", "-:^()", "😀"):
        assert titles(secrets["colleague"], q) == set()


@pytest.mark.parametrize("q", ["¾û", "k ½ ²", "ﬁ⁄"])
def test_a_word_that_unaccents_into_several_is_searched_without_error(
    api_for: Any, world: World, q: str
) -> None:
    """NFKD turns "¾" into "3⁄4": one query term that the index would read as a phrase."""
    assert api_for(world.member).get("/api/v1/situations", params={"q": q}).status_code == 200
    assert api_for(world.member).get("/api/v1/search", params={"q": q}).status_code == 200
