"""The generator's reports: problem files, reports with their shares, updates, search index
entries and audit events, written a few thousand at a time in the order they were posted.

The rules of ``situations.reports`` hold for every row: a `restricted` or `social` report is
shared with its author's organisation and at least one other (only social services, mediation
and health beside the author's for `social`); a report that names a person is never body-wide;
a plenary holds body-wide reports only; the sector is one of the body's; a report is dated in
its body's life and never in the future; ``resolved_at`` is set exactly when resolved, and the
version counts the status moves. The search index gets the terms ``search.document`` makes of
the title, description, place and updates, as ``search.index`` would write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from veille.audit.models import AuditEvent
from veille.bench import texts
from veille.bench.world import SOCIAL_KINDS, BodyPlan, Person, World
from veille.bench.writer import Writer
from veille.bodies.enums import BodyKind
from veille.situations import search
from veille.situations.enums import Confidentiality, ProblemStatus, SituationStatus
from veille.situations.models import Problem, Situation, SituationShare, SituationUpdateRecord

CHUNK = 5_000
# Categories by kind of body (codes of the migration's list); others draw from all.
LEANING = {
    BodyKind.nightlife_copil: ("noise_nightlife", "noise_nightlife", "violence", "public_space_damage"),
    BodyKind.crime_treatment_group: ("drug_dealing", "hall_occupation", "violence", "drug_dealing"),
}
PROBLEMS = texts.FACTS["hall_occupation"] + texts.FACTS["drug_dealing"]
SQLITE_INDEX = text("INSERT INTO situation_search (rowid, document) VALUES (:id, :document)")
POSTGRES_INDEX = text(
    "INSERT INTO situation_search (situation_id, document) "
    "VALUES (:id, array_to_tsvector(string_to_array(:document, ' ')))"
)


@dataclass
class Reports:
    """What later steps need of the reports: per body, its body-wide reports (id, posted at)."""

    public: dict[int, list[tuple[int, datetime]]] = field(default_factory=dict)
    counts: dict[Confidentiality, int] = field(default_factory=dict)


def write_reports(world: World, writer: Writer) -> Reports:
    problems = _write_problems(world, writer)
    found = Reports(public={b.id: [] for b in world.bodies})
    rng, total = world.rng, world.scale.reports
    start, end = world.moment(world.since, 0), world.now
    span = (end - start).total_seconds()
    # Posted uniformly over the years, in order, so that ids follow time as in real use.
    offsets = sorted(rng.random() * span for _ in range(total))
    weights = [b.reports_weight for b in world.bodies]
    ids = writer.ids(Situation, total)
    for first in range(0, total, CHUNK):
        chunk = [
            (ids[n], start + timedelta(seconds=offsets[n])) for n in range(first, min(first + CHUNK, total))
        ]
        _write_chunk(world, writer, chunk, weights, problems, found)
    return found


def _write_problems(world: World, writer: Writer) -> dict[int, list[int]]:
    """Two to four problem files per watch cell and GLTD; answers their ids by body."""
    holders = [b for b in world.bodies if b.kind in (BodyKind.watch_cell, BodyKind.crime_treatment_group)]
    plans = [(b, world.rng.randint(2, 4)) for b in holders]
    ids = iter(writer.ids(Problem, sum(n for _, n in plans)))
    rows: list[dict[str, Any]] = []
    found: dict[int, list[int]] = {}
    for body, count in plans:
        found[body.id] = []
        for _ in range(count):
            problem_id = next(ids)
            found[body.id].append(problem_id)
            created = world.moment(body.starts_on + timedelta(days=world.rng.randint(0, 60)), 10)
            rows.append(
                {
                    "id": problem_id,
                    "body_id": body.id,
                    "title": f"{world.rng.choice(PROBLEMS)} – {world.rng.choice(texts.STREETS)}",
                    "analysis": " ".join(world.rng.sample(texts.DETAILS, 3)),
                    "status": world.rng.choice(list(ProblemStatus)),
                    "created_by": body.secretary.id,
                    "created_at": created,
                    "updated_at": created,
                    "version": 1,
                }
            )
    writer.insert(Problem, rows, step="problèmes")
    return found


def _body_for(world: World, weights: list[float], at: datetime) -> BodyPlan:
    day = at.date()
    for _ in range(20):
        body = world.rng.choices(world.bodies, weights)[0]
        if body.starts_on <= day and (body.ends_on is None or day <= body.ends_on):
            return body
    return world.bodies[0]  # a watch cell: they span the whole period


def _confidentiality(world: World, body: BodyPlan) -> Confidentiality:
    if body.kind == BodyKind.plenary:
        return Confidentiality.body
    draw = world.rng.random()
    scale = world.scale
    if draw < scale.body_share:
        return Confidentiality.body
    if draw < scale.body_share + scale.restricted_share:
        return Confidentiality.restricted
    return Confidentiality.social


def _shares(world: World, body: BodyPlan, author: Person, confidentiality: Confidentiality) -> list[int]:
    """The organisations named: the author's, and others as ``reports._check`` allows."""
    rng = world.rng
    member_orgs = {p.org.id: p.org for p, _ in body.members}
    if confidentiality == Confidentiality.restricted:
        others = [o for i, o in member_orgs.items() if i != author.org.id]
        chosen = {o.id for o in rng.sample(others, min(len(others), rng.randint(1, 3)))}
    else:
        social = [o for o in member_orgs.values() if o.kind in SOCIAL_KINDS and o.id != author.org.id]
        social = social or [o for o in world.orgs if o.kind in SOCIAL_KINDS and o.id != author.org.id]
        chosen = {o.id for o in rng.sample(social, min(len(social), rng.randint(1, 2)))}
    return sorted(chosen | {author.org.id})


def _status(world: World, created: datetime) -> tuple[SituationStatus, datetime | None, int]:
    """Status, resolution moment and version (each status move bumps it)."""
    rng = world.rng
    old = world.now - created > timedelta(days=90)
    draw = rng.random()
    resolved, monitoring = (0.8, 0.9) if old else (0.2, 0.5)
    if draw < resolved:
        latest = min(world.now, created + timedelta(days=120))
        return SituationStatus.resolved, world.between(created, latest), 2
    if draw < monitoring:
        return SituationStatus.monitoring, None, 2
    return SituationStatus.open, None, 1


# Four reports in five carry a point on the map, near their sector's centre: the sectors lie on a
# grid over the city, six to a row. A social report never has one (the schema refuses it).
GEOLOCATED_SHARE = 0.8


def _point(world: World, sector: int, confidentiality: Confidentiality) -> tuple[float | None, float | None]:
    rng = world.rng
    if confidentiality == Confidentiality.social or rng.random() >= GEOLOCATED_SHARE:
        return None, None
    row, column = divmod(sector, 6)
    return (
        round(45.70 + 0.02 * row + rng.uniform(-0.008, 0.008), 6),
        round(4.78 + 0.025 * column + rng.uniform(-0.01, 0.01), 6),
    )


def _write_chunk(
    world: World,
    writer: Writer,
    chunk: list[tuple[int, datetime]],
    weights: list[float],
    problems: dict[int, list[int]],
    found: Reports,
) -> None:
    rng = world.rng
    codes = list(world.categories)
    rows: list[dict[str, Any]] = []
    shares: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    update_ids = iter(writer.ids(SituationUpdateRecord, 4 * len(chunk)))
    for situation_id, created in chunk:
        body = _body_for(world, weights, created)
        author = rng.choice(body.contributors)
        category = rng.choice(LEANING.get(body.kind, codes))
        sector = rng.choice(body.sectors) if body.sectors else rng.randrange(len(world.sectors))
        district = world.sectors[sector][1]
        confidentiality = _confidentiality(world, body)
        status, resolved_at, version = _status(world, created)
        occurred = created - timedelta(minutes=rng.randint(10, 2 * 24 * 60))
        title = texts.report_title(rng, category, district)
        description = texts.report_description(rng)
        place = texts.place(rng)
        latitude, longitude = _point(world, sector, confidentiality)
        words = [title, description, place]
        updated = resolved_at or created
        if rng.random() < world.scale.updated_share:
            for _ in range(rng.randint(1, 3)):
                at = world.between(created, min(world.now, created + timedelta(days=60)))
                writer_ = (
                    author
                    if confidentiality == Confidentiality.social
                    else rng.choice([author, body.secretary])
                )
                note = rng.choice(texts.UPDATES)
                words.append(note)
                updated = max(updated, at)
                updates.append(
                    {
                        "id": next(update_ids),
                        "situation_id": situation_id,
                        "text": note,
                        "author_id": writer_.id,
                        "created_at": at,
                    }
                )
        body_problems = problems.get(body.id)
        rows.append(
            {
                "id": situation_id,
                "body_id": body.id,
                "title": title,
                "description": description,
                "category_id": world.categories[category],
                "sector_id": world.sectors[sector][0],
                "venue_id": None,
                "problem_id": rng.choice(body_problems) if body_problems and rng.random() < 0.05 else None,
                "place": place,
                "latitude": latitude,
                "longitude": longitude,
                "occurred_at": occurred,
                "severity": rng.choices((1, 2, 3, 4), (3, 5, 2, 1))[0],
                "status": status,
                "confidentiality": confidentiality,
                "names_person": confidentiality != Confidentiality.body and rng.random() < 0.5,
                "created_by": author.id,
                "organisation_id": author.org.id,
                "created_at": created,
                "updated_at": updated,
                "resolved_at": resolved_at,
                "anonymised_at": None,
                "version": version,
            }
        )
        found.counts[confidentiality] = found.counts.get(confidentiality, 0) + 1
        if confidentiality == Confidentiality.body:
            found.public[body.id].append((situation_id, created))
        else:
            shares += [
                {"situation_id": situation_id, "organisation_id": o}
                for o in _shares(world, body, author, confidentiality)
            ]
        documents.append({"id": situation_id, "document": search.document(words)})
        audit.append(
            {
                "at": created,
                "user_id": author.id,
                "verb": "create",
                "entity": "situation",
                "entity_id": situation_id,
                "detail": {"body_id": body.id, "confidentiality": str(confidentiality)},
            }
        )
    writer.insert(Situation, rows, step="signalements")
    writer.insert(SituationShare, shares, step="signalements")
    writer.insert(SituationUpdateRecord, updates, step="signalements")
    writer.insert(AuditEvent, audit, step="signalements")
    writer.raw(POSTGRES_INDEX if writer.postgresql else SQLITE_INDEX, documents, step="index de recherche")
