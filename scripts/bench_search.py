"""Benchmark of the report search at scale: speed goals live here, not in timed unit tests.

Fills a fresh database with 100,000 reports spread over bodies, categories and sectors (a
bulk insert, then the whole index built by ``search.index_all``), then times, for a few
people and searches, the feed's first page (50 newest, visibility rule included) and its
count, as ``service.feed`` runs them. Prints the median of several runs in milliseconds.

    .venv/bin/python scripts/bench_search.py                      # SQLite file in a temp dir
    .venv/bin/python scripts/bench_search.py postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python scripts/bench_search.py --reports 10000 --explain

A PostgreSQL database given here is emptied first (its public schema is dropped).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert
from sqlmodel import Session, col, select

import veille.models  # noqa: F401  (registers every table)
from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body, BodySector, Membership
from veille.db import make_engine
from veille.directory.enums import OrganisationKind, UserRole
from veille.directory.models import Organisation, Sector, User
from veille.migrate import upgrade
from veille.orm import utcnow
from veille.situations import search, service
from veille.situations.enums import Confidentiality, SituationStatus
from veille.situations.models import Category, Situation, SituationShare, SituationUpdateRecord

STREETS = [
    "Jean-Moulin", "Victor-Hugo", "de la Gare", "Voltaire", "Gambetta", "Jean-Jaurès", "Pasteur",
    "de la République", "des Écoles", "du Marché", "Carnot", "Hoche", "des Lilas", "Émile-Zola",
    "Lamartine", "Aristide-Briand", "de Verdun", "des Acacias", "Paul-Éluard", "Anatole-France",
]  # fmt: skip
TITLES = {
    "hall_occupation": ["Occupation du hall, bâtiment {b}", "Regroupements dans le hall", "Squat de la cave"],
    "drug_dealing": [
        "Point de deal près de l'entrée",
        "Trafic de stupéfiants",
        "Guetteurs devant la résidence",
    ],
    "urban_rodeo": ["Rodéos urbains sur le parking", "Motos et quads en rodéo", "Rodéo de scooters"],
    "noise_nightlife": ["Nuisances sonores devant le bar", "Bruit et rixes à la fermeture", "Musique tard"],
    "public_space_damage": ["Dégradations de l'abribus", "Tags sur la façade", "Vitres brisées"],
    "violence": ["Rixe entre jeunes", "Agression près de la gare", "Bagarre à la sortie du collège"],
    "harassment": ["Harcèlement à la sortie du collège", "Insultes répétées", "Harcèlement de rue"],
    "road_safety": ["Vitesse excessive", "Stationnement dangereux", "Feu tricolore en panne"],
    "vulnerable_person": ["Personne âgée isolée", "Famille en difficulté", "Jeune en errance"],
    "other": ["Éclairage public en panne", "Dépôt sauvage d'encombrants", "Chien errant"],
}
SENTENCES = [
    "Des jeunes se regroupent chaque soir vers {h} h.",
    "Les habitants se plaignent du bruit et des allées et venues.",
    "La police municipale est passée {n} fois cette semaine.",
    "Le bailleur a fait réparer la porte d'entrée.",
    "Des motos circulent à vive allure sur le trottoir.",
    "Les médiateurs ont rencontré les familles concernées.",
    "La vidéoprotection a été sollicitée.",
    "Un signalement a été fait au parquet.",
    "Les commerçants demandent un renforcement des patrouilles.",
    "L'éclairage du parking ne fonctionne plus depuis {n} jours.",
    "Des seringues ont été retrouvées dans l'escalier.",
    "Les sorties d'école sont tendues depuis la rentrée.",
    "La sécurité des piétons inquiète les riverains.",
    "Réunion prévue avec le gardien de l'immeuble.",
]
UPDATES = [
    "Passage des médiateurs, situation calme.",
    "Nouvelle intervention de la police nationale.",
    "Le bailleur a posé une nouvelle serrure.",
    "Les riverains signalent une amélioration.",
    "Les dégradations ont repris ce week-end.",
]
SEARCHES = [
    "hall",  # common
    "rodeo parking",  # two words, without accents
    "degradations abribus",
    "securite",
    "hoche",  # a street among twenty
    "harc",  # a prefix
    "mediateurs calme",  # in the updates
    "introuvable",  # no match
]
BATCH = 5_000


def fresh_engine(url: str | None) -> Engine:
    """An engine on an empty, migrated database."""
    if url is None:
        path = Path(tempfile.mkdtemp(prefix="veille-bench-")) / "bench.db"
        url = f"sqlite:///{path}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    return engine


def people(session: Session, rng: random.Random) -> dict[str, User]:
    """Sectors, organisations, bodies and their members; the people whose searches are timed."""
    sectors = [Sector(name=f"Secteur {i}", code=f"S{i}") for i in range(1, 9)]
    kinds = list(OrganisationKind)
    organisations = [Organisation(name=f"Partenaire {i}", kind=kinds[i % len(kinds)]) for i in range(30)]
    session.add_all([*sectors, *organisations])
    session.flush()
    bodies = [Body(name=f"Cellule de veille {s.name}", kind=BodyKind.watch_cell) for s in sectors]
    bodies += [Body(name=f"Instance {i}", kind=BodyKind.partnership_committee) for i in range(4)]
    session.add_all(bodies)
    session.flush()
    for i, body in enumerate(bodies):
        session.add(BodySector(body_id=body.id or 0, sector_id=sectors[i % len(sectors)].id or 0))
    users = [
        User(
            name=f"Personne {i}",
            email=f"personne{i}@example.org",
            organisation_id=organisations[i % len(organisations)].id or 0,
            role=UserRole.coordinator if i == 0 else UserRole.member,
        )
        for i in range(120)
    ]
    session.add_all(users)
    session.flush()
    # Each member sits in three bodies; the second person chairs the first body.
    for user in users[1:]:
        chairs = user is users[1]
        for body in [bodies[0], *rng.sample(bodies[1:], 2)] if chairs else rng.sample(bodies, 3):
            role = MemberRole.chair if chairs and body is bodies[0] else MemberRole.member
            session.add(Membership(body_id=body.id or 0, user_id=user.id or 0, role=role))
    session.commit()
    kind = {o.id: o.kind for o in organisations}
    social = next(u for u in users[2:] if kind[u.organisation_id] == OrganisationKind.social_services)
    return {"coordinator": users[0], "chair": users[1], "member": users[2], "social worker": social}


def reports(session: Session, rng: random.Random, count: int) -> Iterator[list[dict[str, Any]]]:
    """Rows of ``situation`` in batches: 80 % body, 15 % restricted, 5 % social."""
    categories = {c.code: c.id for c in session.exec(select(Category)).all()}
    bodies = session.exec(select(Body.id, BodySector.sector_id).join(BodySector)).all()
    users = session.exec(select(User.id, User.organisation_id)).all()
    now = utcnow()
    batch: list[dict[str, Any]] = []
    for _ in range(count):
        code = rng.choice(list(TITLES))
        body_id, sector_id = rng.choice(bodies)
        author, organisation = rng.choice(users)
        when = now - timedelta(days=rng.uniform(0, 1000))
        sentences = rng.sample(SENTENCES, rng.randint(1, 4))
        confidentiality = rng.choices(list(Confidentiality), weights=[80, 15, 5])[0]
        batch.append(
            {
                "body_id": body_id,
                "title": rng.choice(TITLES[code]).format(b=rng.choice("ABCDEFG")),
                "description": " ".join(
                    s.format(h=rng.randint(18, 23), n=rng.randint(2, 9)) for s in sentences
                ),
                "category_id": categories[code],
                "sector_id": sector_id,
                "place": f"{rng.randint(1, 120)} rue {rng.choice(STREETS)}",
                "occurred_at": when,
                "severity": rng.randint(1, 4),
                "status": rng.choice(list(SituationStatus)),
                "confidentiality": confidentiality,
                "names_person": confidentiality != Confidentiality.body,
                "created_by": author,
                "organisation_id": organisation,
                "created_at": when,
                "updated_at": when,
                "version": 1,
            }
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(engine: Engine, count: int) -> dict[str, User]:
    rng = random.Random(2026)  # noqa: S311 (made-up reports, no secret)
    with Session(engine, expire_on_commit=False) as session:
        persons = people(session, rng)
        started = time.perf_counter()
        for batch in reports(session, rng, count):
            session.execute(insert(Situation), batch)
        confidential = session.exec(
            select(Situation.id, Situation.organisation_id).where(
                col(Situation.confidentiality) != Confidentiality.body
            )
        ).all()
        # Named: the author's organisation, and the social worker's on every third one.
        social = persons["social worker"].organisation_id
        shares = set(confidential) | {(i, social) for i, _ in confidential[::3]}
        session.execute(
            insert(SituationShare), [{"situation_id": i, "organisation_id": o} for i, o in sorted(shares)]
        )
        ids = session.exec(select(Situation.id)).all()
        session.execute(
            insert(SituationUpdateRecord),
            [
                {"situation_id": i, "text": rng.choice(UPDATES), "created_at": utcnow()}
                for i in rng.sample(ids, len(ids) // 3)
            ],
        )
        session.commit()
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        with engine.begin() as connection:
            search.index_all(connection)
        indexed = time.perf_counter() - started
        print(f"{count:,} reports inserted in {inserted:.1f} s, indexed in {indexed:.1f} s")
    return persons


def median_ms(session: Session, query: Any, repeat: int) -> tuple[float, list[Any]]:
    """The median time of the query in milliseconds, after a first run that warms the caches."""
    rows = list(session.exec(query).all())
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        session.exec(query).all()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), rows


def bench(engine: Engine, persons: dict[str, User], repeat: int, explain: bool) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    with Session(engine) as session:
        print(f"{'person':<14} {'search':<22} {'found':>7} {'page ms':>8} {'count ms':>9}")
        for name, user in persons.items():
            viewer = service.viewer_for(session, user)
            for q in [None, *SEARCHES]:
                stmt = service.feed_query(session, viewer, service.Filters(q=q)).order_by(
                    col(Situation.id).desc()
                )
                page, _ = median_ms(session, stmt.limit(50), repeat)
                counted = select(func.count()).select_from(stmt.order_by(None).subquery())
                counting, [total] = median_ms(session, counted, repeat)
                print(f"{name:<14} {q or '(no search)':<22} {total:>7,} {page:>8.1f} {counting:>9.1f}")
                if explain and q == SEARCHES[0] and name == "member":
                    for verb, query in (("page", stmt.limit(50)), ("count", counted)):
                        print(f"-- plan of the {verb}")
                        print(plan(session, query))


def plan(session: Session, query: Any) -> str:
    bind = session.get_bind()
    compiled = query.compile(bind, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or [])
    prefix = "EXPLAIN ANALYZE " if bind.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    rows = session.connection().exec_driver_sql(prefix + str(compiled), params).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("url", nargs="?", help="a PostgreSQL URL (emptied first); default: a new SQLite file")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the plans of one search")
    args = parser.parse_args()
    engine = fresh_engine(args.url)
    print(f"{engine.dialect.name}: {engine.url.render_as_string(hide_password=True)}")
    persons = fill(engine, args.reports)
    bench(engine, persons, args.repeat, args.explain)
    engine.dispose()


if __name__ == "__main__":
    main()
