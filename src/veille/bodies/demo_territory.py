"""The demo's territory (issue 19): Valmont-sur-Loire and its neighbour Saint-Aubin-sur-Loire,
each a commune with its sectors; Saint-Aubin's watch cell chaired by its mayor; a thematic
working group on domestic violence; a coordinator limited to Valmont. Built through the
services, as the rest of the demo (``veille.demo``)."""

from __future__ import annotations

from sqlmodel import Session

from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, Cadence, MemberRole
from veille.bodies.models import Body, BodyCreate
from veille.directory import outlines
from veille.directory import service as directory
from veille.directory.models import CommuneCreate, CommuneLimits, Sector, SectorCreate, User

NEIGHBOUR = "Saint-Aubin-sur-Loire"


def load_communes(session: Session, admin: User, city: str) -> Sector:
    """Names the commune the migration made after the city, adds the neighbour and its sector."""
    first = directory.list_communes(session)[0]
    directory.save_commune(session, actor=admin, data=CommuneCreate(name=city), commune=first)
    neighbour = directory.save_commune(session, actor=admin, data=CommuneCreate(name=NEIGHBOUR))
    data = SectorCreate(
        name="Saint-Aubin – bourg et zone d'activités", code="STAUBIN", commune_id=neighbour.id
    )
    sector = directory.save_sector(session, actor=admin, data=data)
    # Across the Loire, east of the city's sectors (situations.demo_map.BOXES).
    ring = [[1.3650, 47.5650], [1.3950, 47.5650], [1.3950, 47.5850], [1.3650, 47.5850], [1.3650, 47.5650]]
    outline = {"type": "Polygon", "coordinates": [ring]}
    return outlines.set_outline(session, actor=admin, sector_id=sector.id or 0, outline=outline)


def _member(session: Session, admin: User, body: Body, user: User, role: MemberRole) -> None:
    assert body.id is not None and user.id is not None
    access = bodies.get_body_access(session, admin, body.id)
    bodies.set_member(session, access=access, user_id=user.id, role=role)


def load_bodies(
    session: Session,
    admin: User,
    users: dict[str, User],
    neighbour_sector: Sector,
    city_sectors: list[Sector],
    plenary: Body,
) -> None:
    """Saint-Aubin's watch cell, the thematic group; the mayor of Saint-Aubin sits in the
    intercommunal plenary; the limited coordinator is limited to the city's commune."""
    cell = bodies.create_body(
        session,
        actor=admin,
        data=BodyCreate(
            kind=BodyKind.watch_cell,
            name=f"Cellule de veille – {NEIGHBOUR}",
            description="Cellule de veille de la commune voisine, présidée par son maire.",
            cadence=Cadence.monthly,
            sector_ids=[neighbour_sector.id or 0],
        ),
    )
    _member(session, admin, cell, users["staubin_mayor"], MemberRole.chair)
    _member(session, admin, cell, users["police"], MemberRole.member)
    group = bodies.create_body(
        session,
        actor=admin,
        data=BodyCreate(
            kind=BodyKind.thematic_group,
            name="Groupe thématique – violences intrafamiliales",
            theme="Violences intrafamiliales",
            description=(
                "Groupe de travail du CLSPD sur les violences intrafamiliales : repérage, "
                "accompagnement des victimes, éviction des auteurs."
            ),
            sector_ids=[s.id or 0 for s in city_sectors],
        ),
    )
    _member(session, admin, group, users["chair"], MemberRole.chair)
    _member(session, admin, group, users["local_coordinator"], MemberRole.secretary)
    for key in ("police", "social", "mediation"):
        _member(session, admin, group, users[key], MemberRole.member)
    _member(session, admin, plenary, users["staubin_mayor"], MemberRole.member)
    city = directory.list_communes(session)
    limits = CommuneLimits(commune_ids=[c.id or 0 for c in city if c.name != NEIGHBOUR])
    directory.set_commune_limits(session, actor=admin, user=users["local_coordinator"], data=limits)
