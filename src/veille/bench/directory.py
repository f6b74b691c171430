"""The generator's directory and bodies: sectors, partner organisations, people, bodies with
their members (a chair, a secretary, members and a few guests), the charters of the bodies that
require one with every member's acceptance, the night-life venues and the activity figures of
the mediation teams.

Invariants kept as the services keep them: unique names and e-mail addresses, one membership per
person and body, a charter's author and members accept its current version (else the body's
content stays closed to them), a crime-treatment group has an end date and is closed once past.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from veille.activity.models import ActivityCount, ActivitySeries
from veille.bench import texts
from veille.bench.world import BodyPlan, Org, Person, World
from veille.bench.writer import Writer
from veille.bodies.enums import BodyKind, BodyStatus, Cadence, MemberRole
from veille.bodies.models import Body, BodySector, Charter, CharterAcceptance, Membership
from veille.directory.enums import Language, OrganisationKind, UserRole
from veille.directory.models import Organisation, Sector, User
from veille.venues.models import CharterArticle, Venue

K = OrganisationKind
# Partners of each sector, and of the whole city (name, kind).
SECTOR_ORGS = (
    ("Police municipale – {d}", K.municipal_police),
    ("Bailleur social – résidences {d}", K.housing_provider),
    ("Médiation sociale – {d}", K.mediation),
    ("Maison des solidarités – {d}", K.social_services),
    ("Collège – {d}", K.education),
    ("Conseil citoyen – {d}", K.residents),
    ("Commerçants – {d}", K.business),
)
CITY_ORGS = (
    ("Mairie – service prévention-médiation", K.city),
    ("Ville – direction du numérique", K.city),
    ("Mairie – cabinet du maire", K.city),
    ("Commissariat de police nationale", K.police),
    ("Parquet – tribunal judiciaire", K.justice),
    ("Service pénitentiaire d'insertion et de probation", K.justice),
    ("Réseau de transport urbain", K.transit),
    ("Centre hospitalier – CSAPA", K.health),
    ("Association d'aide aux victimes", K.association),
    ("Prévention spécialisée – travailleurs de rue", K.social_services),
)
PREVENTION, IT, CABINET, NATIONAL_POLICE = 0, 1, 2, 3
# How many people each kind of organisation has, relative to the others.
STAFFING = {
    K.police: 8,
    K.municipal_police: 3,
    K.city: 3,
    K.mediation: 2,
    K.social_services: 2,
    K.housing_provider: 2,
    K.justice: 2,
    K.transit: 2,
}
# The non-cell bodies, in turn: GLTDs are many (six months each), then COPILs and committees.
OTHER_KINDS = (
    BodyKind.crime_treatment_group,
    BodyKind.nightlife_copil,
    BodyKind.partnership_committee,
    BodyKind.crime_treatment_group,
    BodyKind.other,
    BodyKind.partnership_committee,
    BodyKind.crime_treatment_group,
    BodyKind.nightlife_copil,
)
CHARTER = (
    "Charte de la vie nocturne\n\n"
    "Article 1 – Les établissements signataires forment leur personnel à la prévention des "
    "conduites à risque et veillent au calme à la fermeture.\n\n"
    "Article 2 – Les informations échangées au sein du comité sont confidentielles (article "
    "L132-5 du code de la sécurité intérieure).\n\n"
    "Article 3 – Un membre qui manque à la confidentialité peut être exclu par le président."
)
ARTICLES = (
    ("Formation du personnel", "Prévention des conduites à risque, refus de servir une personne ivre."),
    ("Calme à la fermeture", "Sortie échelonnée de la clientèle, rappel au calme en terrasse."),
    ("Eau gratuite", "De l'eau gratuite et des boissons sans alcool à prix modéré."),
)
SERIES = ("Contacts établis", "Médiations réalisées", "Orientations vers un partenaire")


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "-"))


def write_directory(world: World, writer: Writer) -> None:
    """Sectors, organisations and people; the three printed accounts are the first people."""
    count = world.scale.sectors
    sector_ids = writer.ids(Sector, count)
    world.sectors = [(i, texts.DISTRICTS[n % len(texts.DISTRICTS)]) for n, i in enumerate(sector_ids)]
    writer.insert(
        Sector,
        # In the commune migration 0013 makes (id 1): the bench's city is one commune.
        (
            {"id": i, "name": name, "code": f"S{n + 1:02d}", "commune_id": 1}
            for n, (i, name) in enumerate(world.sectors)
        ),
        step="secteurs",
    )
    plans = [(name, kind, None) for name, kind in CITY_ORGS] + [
        (name.format(d=district), kind, n)
        for n, (_, district) in enumerate(world.sectors)
        for name, kind in SECTOR_ORGS
    ]
    ids = writer.ids(Organisation, len(plans))
    world.orgs = [Org(i, kind, name, sector) for i, (name, kind, sector) in zip(ids, plans, strict=True)]
    writer.insert(
        Organisation,
        ({"id": o.id, "name": o.name, "kind": o.kind, "active": True} for o in world.orgs),
        step="organisations",
    )
    _write_people(world, writer)


def _write_people(world: World, writer: Writer) -> None:
    rng, orgs = world.rng, world.orgs
    weights = [STAFFING.get(o.kind, 1) for o in orgs]
    ids = writer.ids(User, world.scale.people)
    fixed = [
        ("admin", orgs[IT], UserRole.admin, "Administrateur"),
        ("coordination", orgs[PREVENTION], UserRole.coordinator, "Coordinatrice CLSPD"),
        ("partenaire", orgs[NATIONAL_POLICE], UserRole.member, "Partenaire police nationale"),
    ]
    rows = []
    for n, user_id in enumerate(ids):
        if n < len(fixed):
            local, org, role, label = fixed[n]
            name = f"{texts.person_name(rng)} ({label})"
        else:
            org = rng.choices(orgs, weights)[0]
            role = UserRole.coordinator if n < 5 else UserRole.member
            name = texts.person_name(rng)
            local = f"{ascii_slug(name.replace(' ', '.'))}.{user_id}"
        sector = org.sector if org.sector is not None else rng.randrange(len(world.sectors))
        person = Person(user_id, org, role, sector, f"{local}@{world.domain}", name)
        world.people.append(person)
        if n < len(fixed):
            world.accounts[local] = person
        rows.append(
            {
                "id": user_id,
                "email": person.email,
                "name": name,
                "organisation_id": org.id,
                "role": role,
                "language": Language.fr,
                "active": True,
                "password_hash": world.password_hash,
                "created_at": world.moment(world.since, 9),
            }
        )
    writer.insert(User, rows, step="personnes")


def plan_bodies(world: World, writer: Writer) -> None:
    """A watch cell per sector, one plenary, then GLTDs, COPILs, committees; then their members."""
    rng, scale = world.rng, world.scale
    since = world.since
    count = max(scale.bodies, scale.sectors + 1)
    ids = iter(writer.ids(Body, count))
    for n, (_, district) in enumerate(world.sectors):
        world.bodies.append(
            BodyPlan(
                next(ids),
                BodyKind.watch_cell,
                f"Cellule de veille – {district}",
                [n],
                since,
                None,
                False,
                False,
            )
        )
    world.bodies.append(
        BodyPlan(next(ids), BodyKind.plenary, "CLSPD – assemblée plénière", [], since, None, False, False)
    )
    span = (world.today - since).days
    for n in range(count - scale.sectors - 1):
        kind = OTHER_KINDS[n % len(OTHER_KINDS)]
        sector = rng.randrange(len(world.sectors))
        district = world.sectors[sector][1]
        starts, ends, closed, charter = since, None, False, False
        if kind == BodyKind.crime_treatment_group:
            # Spread over the years; the latest ones still running.
            starts = since + timedelta(days=span * (n + 1) // (count - scale.sectors))
            ends = starts + timedelta(days=182)
            closed = ends < world.today
            name = f"GLTD {district} – {starts:%m/%Y}"
        elif kind == BodyKind.nightlife_copil:
            name, charter = f"COPIL Vie nocturne – {district}", True
        elif kind == BodyKind.partnership_committee:
            name = f"Comité partenarial – {district} ({n + 1})"
        else:
            starts = world.today - timedelta(days=rng.randint(60, 400))
            name = f"Prévention situationnelle – {rng.choice(texts.STREETS)} ({n + 1})"
        world.bodies.append(BodyPlan(next(ids), kind, name, [sector], starts, ends, closed, charter))
    for body in world.bodies:
        _choose_members(world, body)
    _write_bodies(world, writer)


def _choose_members(world: World, body: BodyPlan) -> None:
    rng = world.rng
    staff = [p for p in world.people if p.org is world.orgs[PREVENTION] and p.role == UserRole.member]
    local = [
        p
        for p in world.people
        if p.role == UserRole.member and (not body.sectors or p.sector in body.sectors)
    ]
    partners = [p for p in local if p.org.kind not in (K.business, K.residents)] or local
    guests_pool = [p for p in local if p.org.kind in (K.business, K.residents)]
    chair = rng.choice([p for p in partners if p.org.kind in (K.city, K.police, K.justice)] or partners)
    secretary = rng.choice([p for p in staff if p is not chair] or [p for p in partners if p is not chair])
    chosen = {chair.id, secretary.id}
    body.members = [(chair, MemberRole.chair), (secretary, MemberRole.secretary)]
    wanted = rng.randint(5, 12) if body.kind != BodyKind.plenary else 15
    for person in rng.sample(partners, min(len(partners), wanted + 4)):
        if len(body.members) >= wanted + 2:
            break
        if person.id not in chosen:
            chosen.add(person.id)
            body.members.append((person, MemberRole.member))
    for person in rng.sample(guests_pool, min(len(guests_pool), rng.randint(0, 2))):
        if person.id not in chosen:
            chosen.add(person.id)
            body.members.append((person, MemberRole.guest))
    partner = world.accounts["partenaire"]
    # The printed partner sits in the first sector's bodies, whatever the draw.
    if partner.id not in chosen and (0 in body.sectors or body.kind == BodyKind.plenary):
        body.members.append((partner, MemberRole.member))


def _write_bodies(world: World, writer: Writer) -> None:
    rows, sectors, members, charters, acceptances = [], [], [], [], []
    charter_ids = iter(writer.ids(Charter, sum(b.charter for b in world.bodies)))
    member_ids = iter(writer.ids(Membership, sum(len(b.members) for b in world.bodies)))
    acceptance_ids = iter(
        writer.ids(CharterAcceptance, sum(len(b.contributors) for b in world.bodies if b.charter))
    )
    for body in world.bodies:
        created = world.moment(body.starts_on, 9)
        rows.append(
            {
                "id": body.id,
                "kind": body.kind,
                "name": body.name,
                "description": f"{body.name} : échange d'informations et suivi des actions.",
                "starts_on": body.starts_on,
                "ends_on": body.ends_on,
                "cadence": Cadence.monthly if body.kind in MONTHLY else None,
                "charter_required": body.charter,
                "status": BodyStatus.closed if body.closed else BodyStatus.active,
                "version": 2 if body.closed else 1,
                "created_at": created,
            }
        )
        sectors += [{"body_id": body.id, "sector_id": world.sectors[s][0]} for s in body.sectors]
        members += [
            {"id": next(member_ids), "body_id": body.id, "user_id": p.id, "role": role, "created_at": created}
            for p, role in body.members
        ]
        if body.charter:
            charters.append(
                {
                    "id": next(charter_ids),
                    "body_id": body.id,
                    "version": 1,
                    "text": CHARTER,
                    "created_at": created,
                    "created_by": body.secretary.id,
                }
            )
            acceptances += [
                {
                    "id": next(acceptance_ids),
                    "body_id": body.id,
                    "user_id": p.id,
                    "version": 1,
                    "accepted_at": created,
                }
                for p in body.contributors
            ]
    writer.insert(Body, rows, step="instances")
    writer.insert(BodySector, sectors, step="instances")
    writer.insert(Membership, members, step="membres")
    writer.insert(Charter, charters, step="chartes")
    writer.insert(CharterAcceptance, acceptances, step="chartes")
    _write_venues(world, writer)


MONTHLY = (BodyKind.watch_cell, BodyKind.nightlife_copil)


def _write_venues(world: World, writer: Writer) -> None:
    copils = [b for b in world.bodies if b.kind == BodyKind.nightlife_copil]
    article_ids = iter(writer.ids(CharterArticle, len(ARTICLES) * len(copils)))
    venue_ids = iter(writer.ids(Venue, len(texts.VENUES) * len(copils)))
    articles, venues = [], []
    for body in copils:
        articles += [
            {"id": next(article_ids), "body_id": body.id, "position": n, "title": title, "text": text}
            for n, (title, text) in enumerate(ARTICLES, start=1)
        ]
        for name in texts.VENUES:
            signed = world.rng.random() < 0.7
            venues.append(
                {
                    "id": next(venue_ids),
                    "body_id": body.id,
                    "name": name,
                    "address": world.rng.choice(texts.STREETS),
                    "kind": world.rng.choice(("bar", "discothèque", "restaurant")),
                    "signed_on": body.starts_on + timedelta(days=world.rng.randint(10, 300))
                    if signed
                    else None,
                    "withdrawn_on": None,
                    "notes": "",
                    "created_at": world.moment(body.starts_on, 10),
                    "version": 2 if signed else 1,
                }
            )
    writer.insert(CharterArticle, articles, step="établissements")
    writer.insert(Venue, venues, step="établissements")


def write_activity(world: World, writer: Writer) -> None:
    """The monthly figures of each mediation team, over the whole period."""
    teams = [o for o in world.orgs if o.kind == K.mediation]
    months: list[date] = []
    day = world.since.replace(day=1)
    while day < world.today.replace(day=1):
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    series_ids = iter(writer.ids(ActivitySeries, len(teams) * len(SERIES)))
    count_ids = iter(writer.ids(ActivityCount, len(teams) * len(SERIES) * len(months)))
    series, counts = [], []
    for team in teams:
        for position, name in enumerate(SERIES):
            series_id = next(series_ids)
            series.append(
                {
                    "id": series_id,
                    "organisation_id": team.id,
                    "name": name,
                    "position": position,
                    "active": True,
                    "created_at": world.moment(world.since, 9),
                }
            )
            base = world.rng.randint(10, 120) // (position + 1)
            counts += [
                {
                    "id": next(count_ids),
                    "series_id": series_id,
                    "month": month,
                    "count": max(0, base + world.rng.randint(-base // 3 - 1, base // 3 + 1)),
                    "updated_by": None,
                    "updated_at": world.moment(month + timedelta(days=35), 9),
                }
                for month in months
            ]
    writer.insert(ActivitySeries, series, step="activité")
    writer.insert(ActivityCount, counts, step="activité")
