"""Communes (issue 19): one made by the migration holds every sector, the staff add others, and a
coordinator limited to some communes sees and sets up only the bodies of those communes: 404 on
another commune's body, report, action and meeting, in pages and API, and their statistics count
their communes only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.factories import Factory, World
from veille.access import viewer_of
from veille.bodies.enums import BodyKind, MemberRole
from veille.directory.enums import UserRole
from veille.directory.models import Commune, Sector, User, UserCommune
from veille.situations.enums import Confidentiality
from veille.stats import service as stats


def test_a_single_city_has_one_commune_and_no_commune_filter(api_for, client_for, world: World) -> None:
    communes = api_for(world.member).get("/api/v1/communes").json()
    assert [c["id"] for c in communes] == [world.sector.commune_id]
    created = api_for(world.coordinator).post("/api/v1/sectors", json={"name": "Gare", "code": "GARE"})
    assert created.status_code == 201
    assert created.json()["commune_id"] == world.sector.commune_id
    page = client_for(world.coordinator).get("/stats")
    assert page.status_code == 200
    assert 'name="commune_id"' not in page.text
    assert 'name="commune_id"' not in client_for(world.coordinator).get("/directory/sectors/new").text


def test_the_staff_add_communes_and_sectors_then_choose_their_commune(
    api_for, client_for, world: World, session: Session
) -> None:
    api = api_for(world.coordinator)
    answer = api.post("/api/v1/communes", json={"name": "Bourg-Voisin"})
    assert answer.status_code == 201
    commune_id = answer.json()["id"]
    assert api.post("/api/v1/communes", json={"name": "bourg-voisin"}).status_code == 422
    assert api_for(world.member).post("/api/v1/communes", json={"name": "Autre"}).status_code == 403
    # Two communes: a sector's commune is chosen.
    no_commune = api.post("/api/v1/sectors", json={"name": "Gare", "code": "GARE"})
    assert no_commune.status_code == 422
    assert no_commune.json()["detail"][0]["loc"] == ["body", "commune_id"]
    placed = api.post("/api/v1/sectors", json={"name": "Gare", "code": "GARE", "commune_id": commune_id})
    assert placed.json()["commune_id"] == commune_id
    client = client_for(world.admin)
    form = client.get("/directory/sectors/new")
    assert 'name="commune_id"' in form.text
    assert client.form("/directory/communes/new", {"name": ""}).status_code == 422
    assert client.form("/directory/communes/new", {"name": "Troisième"}).status_code == 303
    listed = client.get("/directory/communes")
    assert "Bourg-Voisin" in listed.text and "Gare" in listed.text and "Troisième" in listed.text


def _two_communes(factory: Factory, world: World, session: Session) -> dict[str, Any]:
    """A neighbouring commune with its sector, its watch cell (a report, an action, a meeting),
    and a coordinator limited to the city's own commune."""
    neighbour = factory.commune("Bourg-Voisin")
    sector = factory.sector("Bourg", "BOURG", commune=neighbour)
    cell = factory.body("Cellule de veille de Bourg-Voisin", sectors=[sector])
    mayor = factory.user("Maire de Bourg", organisation=world.organisation)
    factory.member(cell, mayor, MemberRole.chair)
    plenary = factory.body("CISPD", kind=BodyKind.plenary)
    limited = factory.user("Lucie Limitée", role=UserRole.coordinator, email="limitee@example.org")
    session.add(UserCommune(user_id=limited.id or 0, commune_id=world.sector.commune_id))
    session.commit()
    return {
        "commune": neighbour,
        "cell": cell,
        "plenary": plenary,
        "limited": limited,
        "mayor": mayor,
        "report": factory.situation(cell, mayor, "Rodéos sur le parking de Bourg", sector_id=sector.id),
        "action": factory.action(cell, world.organisation, "Barrières au parking de Bourg"),
        "meeting": factory.meeting(cell),
        "own_report": factory.situation(
            world.body, world.member, "Hall du centre", sector_id=world.sector.id
        ),
        "own_action": factory.action(world.body, world.organisation, "Médiation au centre"),
        "own_meeting": factory.meeting(world.body),
    }


def test_a_limited_coordinator_gets_404_beyond_their_communes(
    factory: Factory, world: World, session: Session, client_for, api_for
) -> None:
    there = _two_communes(factory, world, session)
    limited: User = there["limited"]
    page, api = client_for(limited), api_for(limited)
    cell, plenary = there["cell"].id, there["plenary"].id
    for url in (
        f"/bodies/{cell}",
        f"/bodies/{cell}/members",
        f"/bodies/{plenary}",
        f"/situations/{there['report'].id}",
        f"/actions/{there['action'].id}",
        f"/meetings/{there['meeting'].id}",
    ):
        assert page.get(url).status_code == 404, url
    for url in (
        f"/api/v1/bodies/{cell}",
        f"/api/v1/situations/{there['report'].id}",
        f"/api/v1/actions/{there['action'].id}",
        f"/api/v1/meetings/{there['meeting'].id}",
    ):
        assert api.get(url).status_code == 404, url
    # Their own commune's body, report, action and meeting, as any coordinator.
    for url in (
        f"/bodies/{world.body.id}",
        f"/situations/{there['own_report'].id}",
        f"/actions/{there['own_action'].id}",
        f"/meetings/{there['own_meeting'].id}",
    ):
        assert page.get(url).status_code == 200, url
    assert api.get(f"/api/v1/situations/{there['own_report'].id}").status_code == 200
    names = [b["name"] for b in api.get("/api/v1/bodies").json()["items"]]
    assert "Cellule de veille du centre" in names
    assert "Cellule de veille de Bourg-Voisin" not in names and "CISPD" not in names
    feed = [s["title"] for s in api.get("/api/v1/situations").json()["items"]]
    assert feed == ["Hall du centre"]
    assert "parking de Bourg" not in page.get("/situations").text
    assert "Barrières" not in page.get("/actions").text
    # The unlimited coordinator and the neighbour's mayor still see the neighbour's cell.
    assert client_for(world.coordinator).get(f"/bodies/{cell}").status_code == 200
    assert client_for(there["mayor"]).get(f"/situations/{there['report'].id}").status_code == 200


def test_a_limited_coordinator_sets_up_bodies_and_sectors_of_their_communes_only(
    factory: Factory, world: World, session: Session, client_for, api_for
) -> None:
    there = _two_communes(factory, world, session)
    api = api_for(there["limited"])
    assert len(session.exec(select(Commune)).all()) == 2
    sectors = api.get("/api/v1/sectors").json()["items"]
    theirs = [s["id"] for s in sectors if s["commune_id"] == world.sector.commune_id]
    neighbours = [s["id"] for s in sectors if s["commune_id"] == there["commune"].id]
    body = {"kind": "watch_cell", "name": "Cellule"}
    for sector_ids in ([], neighbours, theirs + neighbours):
        refused = api.post("/api/v1/bodies", json=body | {"sector_ids": sector_ids})
        assert refused.status_code == 422, sector_ids
        assert refused.json()["detail"][0]["loc"] == ["body", "sector_ids"]
    created = api.post("/api/v1/bodies", json=body | {"sector_ids": theirs})
    assert created.status_code == 201
    assert api.get(f"/api/v1/bodies/{created.json()['id']}").status_code == 200
    # Sectors: their communes only; communes: not theirs to create.
    assert (
        api.post(
            "/api/v1/sectors", json={"name": "Z", "code": "Z", "commune_id": there["commune"].id}
        ).status_code
        == 422
    )
    assert (
        api.post(
            "/api/v1/sectors", json={"name": "Z", "code": "Z", "commune_id": world.sector.commune_id}
        ).status_code
        == 201
    )
    assert api.post("/api/v1/communes", json={"name": "Encore"}).status_code == 403
    # The body form names each sector's commune once there are two.
    assert "Bourg (Bourg-Voisin)" in client_for(world.coordinator).get("/bodies/new").text
    assert client_for(there["limited"]).get("/directory/communes/new").status_code == 403
    page = client_for(there["limited"]).form(
        f"/directory/sectors/{neighbours[0]}/edit", {"name": "Bourg", "code": "BOURG"}
    )
    assert page.status_code == 403


def test_a_limited_coordinator_outlines_the_sectors_of_their_communes_only(
    factory: Factory, world: World, session: Session, client_for, api_for
) -> None:
    """As with the sector itself (``save_sector``): 403 on another commune's sector, page and API,
    nothing written; their own commune's sector they outline."""
    there = _two_communes(factory, world, session)
    square = {"type": "Polygon", "coordinates": [[[1.3, 47.5], [1.4, 47.5], [1.4, 47.6], [1.3, 47.5]]]}
    neighbour = session.exec(select(Sector).where(Sector.commune_id == there["commune"].id)).one()
    page, api = client_for(there["limited"]), api_for(there["limited"])
    url = f"/sectors/{neighbour.id}/outline"
    assert api.put(f"/api/v1{url}", json={"outline": square}).status_code == 403
    assert page.get(f"/directory{url}").status_code == 403
    assert page.form(f"/directory{url}", {"outline": json.dumps(square)}).status_code == 403
    assert api.get(f"/api/v1{url}").json()["outline"] is None  # anyone signed in reads it
    # The sector's own form is theirs to open only in their communes, and the list offers
    # neither its edit nor its outline link elsewhere.
    assert page.get(f"/directory/sectors/{neighbour.id}/edit").status_code == 403
    assert page.get(f"/directory/sectors/{world.sector.id}/edit").status_code == 200
    listed = page.get("/directory/sectors").text
    assert f"/directory{url}" not in listed and f"/directory/sectors/{neighbour.id}/edit" not in listed
    assert f"/directory/sectors/{world.sector.id}/edit" in listed
    session.expire_all()
    assert session.get(Sector, neighbour.id).outline_geojson is None  # type: ignore[union-attr]
    own = f"/sectors/{world.sector.id}/outline"
    assert api.put(f"/api/v1{own}", json={"outline": square}).status_code == 200
    assert page.get(f"/directory{own}").status_code == 200
    assert page.form(f"/directory{own}", {"outline": ""}).status_code == 303
    # The unlimited coordinator outlines any commune's sector.
    assert api_for(world.coordinator).put(f"/api/v1{url}", json={"outline": square}).status_code == 200


def test_only_an_admin_limits_a_coordinator_to_communes(
    factory: Factory, world: World, session: Session, api_for, client_for
) -> None:
    neighbour = factory.commune("Bourg-Voisin")
    admin = api_for(world.admin)
    url = f"/api/v1/users/{world.coordinator.id}/communes"
    assert admin.get(url).json() == {"commune_ids": []}
    assert admin.put(url, json={"commune_ids": [neighbour.id]}).json() == {"commune_ids": [neighbour.id]}
    assert admin.get(url).json() == {"commune_ids": [neighbour.id]}
    assert admin.put(url, json={"commune_ids": [999999]}).status_code == 422
    member_url = f"/api/v1/users/{world.member.id}/communes"
    assert admin.put(member_url, json={"commune_ids": [neighbour.id]}).status_code == 422
    assert api_for(world.coordinator).put(url, json={"commune_ids": []}).status_code == 403
    # Limited to the neighbour, the coordinator no longer sees the centre's cell.
    assert client_for(world.coordinator).get(f"/bodies/{world.body.id}").status_code == 404
    page = client_for(world.admin)
    form = page.get(f"/directory/users/{world.coordinator.id}/edit")
    assert 'name="commune_ids"' in form.text
    cleared = page.form(f"/directory/users/{world.coordinator.id}/communes", {})
    assert cleared.status_code == 303
    assert admin.get(url).json() == {"commune_ids": []}
    assert client_for(world.coordinator).get(f"/bodies/{world.body.id}").status_code == 200


def test_statistics_are_cut_by_commune_and_a_limited_coordinator_counts_their_own(
    factory: Factory, world: World, session: Session, api_for, client_for
) -> None:
    there = _two_communes(factory, world, session)
    neighbour = there["commune"].id
    everyone = api_for(world.coordinator)

    def total(client: Any, **params: Any) -> int:
        answer = client.get("/api/v1/stats/situations", params={"group_by": "body", **params})
        assert answer.status_code == 200
        return sum(row["count"] for row in answer.json()["rows"])

    assert total(everyone) == 2
    assert total(everyone, commune_id=neighbour) == 1
    assert total(everyone, commune_id=world.sector.commune_id) == 1
    limited = api_for(there["limited"])
    assert total(limited) == 1
    assert total(limited, commune_id=neighbour) == 0
    page = client_for(world.coordinator).get("/stats")
    assert 'name="commune_id"' in page.text
    limited_page = client_for(there["limited"]).get("/stats").text
    assert 'name="commune_id"' not in limited_page
    assert "Toutes les instances de vos communes" in limited_page
    assert "Toutes les instances de la ville" in page.text
    scope = stats.scope(session, viewer_of(session, there["limited"]))
    assert [b.name for b in scope.bodies] == ["Cellule de veille du centre"]
    assert [c.id for c in scope.communes] == [world.sector.commune_id]


def test_only_the_staff_set_a_bodys_sectors_a_limited_coordinator_within_their_communes(
    factory: Factory, world: World, session: Session, api_for
) -> None:
    """A body's sectors say whose diagnostics its managers write: a secretary, or a limited
    coordinator sitting as one, widened their body into another commune and read and rewrote
    its diagnostic (a security review found it)."""
    there = _two_communes(factory, world, session)
    url = f"/api/v1/bodies/{world.body.id}"
    neighbour = [s.id for s in there["cell"].sectors]
    wider = {"version": 1, "sector_ids": [world.sector.id, *neighbour]}
    refused = api_for(world.secretary).patch(url, json=wider)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "sector_ids"]
    factory.member(world.body, there["limited"], MemberRole.secretary)
    assert api_for(there["limited"]).patch(url, json=wider).status_code == 422
    described = api_for(world.secretary).patch(url, json={"version": 1, "description": "Centre"})
    assert described.status_code == 200  # the rest of the body, as before
    assert api_for(world.coordinator).patch(url, json=wider | {"version": 2}).status_code == 200


def test_a_limited_coordinator_reads_no_restricted_report_a_coordinator_would_not(
    factory: Factory, world: World, session: Session, client_for, api_for
) -> None:
    """Overseeing their communes' bodies sets them up; it opened their restricted reports too
    (read, edited, deleted, on the map), which a coordinator of every commune does not read: only
    the body's chair, its secretaries and the organisations named on the report do."""
    there = _two_communes(factory, world, session)
    restricted = factory.situation(
        world.body, world.member, "Guetteurs identifiés", confidentiality=Confidentiality.restricted,
        sector_id=world.sector.id,
    )  # fmt: skip
    limited: User = there["limited"]
    for reader in (client_for(limited), client_for(world.coordinator)):
        assert reader.get(f"/situations/{restricted.id}").status_code == 404
        assert "Guetteurs" not in reader.get("/situations").text
    api = api_for(limited)
    assert api.get(f"/api/v1/situations/{restricted.id}").status_code == 404
    assert client_for(limited).form(f"/situations/{restricted.id}/delete").status_code == 404
    assert client_for(world.chair).get(f"/situations/{restricted.id}").status_code == 200
    # They still set up their communes' bodies, as any coordinator.
    viewer = viewer_of(session, limited)
    assert viewer.oversees(world.body.id or 0) and world.body.id not in viewer.manage_ids
    assert client_for(limited).get(f"/bodies/{world.body.id}/edit").status_code == 200


@pytest.mark.parametrize("kind", [BodyKind.thematic_group])
def test_the_viewer_of_a_limited_coordinator_holds_their_communes_bodies(
    factory: Factory, world: World, session: Session, kind: BodyKind
) -> None:
    there = _two_communes(factory, world, session)
    group = factory.body("Violences intrafamiliales", kind=kind, sectors=[world.sector])
    viewer = viewer_of(session, there["limited"])
    assert viewer.limited and viewer.communes == {world.sector.commune_id}
    assert viewer.content_ids == {world.body.id, group.id}
    assert viewer.oversees(world.body.id or 0) and not viewer.oversees(there["cell"].id)
    assert viewer.every_body().content_ids == viewer.content_ids
    unlimited = viewer_of(session, world.coordinator)
    assert unlimited.content_ids is None and not unlimited.limited
    assert unlimited.every_body().content_ids is None


def test_the_annual_report_is_cut_by_commune(
    factory: Factory, world: World, session: Session, client_for: Any
) -> None:
    there = _two_communes(factory, world, session)
    plenary = there["plenary"]
    factory.member(plenary, world.chair, MemberRole.chair)
    page = client_for(world.chair)
    whole = page.get(f"/bodies/{plenary.id}/annual-report")
    assert whole.status_code == 200
    assert "Cellule de veille de Bourg-Voisin" in whole.text and "Cellule de veille du centre" in whole.text
    assert f"commune={there['commune'].id}" in whole.text
    cut = page.get(f"/bodies/{plenary.id}/annual-report", params={"commune": there["commune"].id})
    assert cut.status_code == 200
    assert "Cellule de veille de Bourg-Voisin" in cut.text
    assert "Cellule de veille du centre" not in cut.text
    assert page.get(f"/bodies/{plenary.id}/annual-report", params={"commune": 999999}).status_code == 404
    pdf = page.get(f"/bodies/{plenary.id}/annual-report.pdf", params={"commune": there["commune"].id})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"


def test_diagnostics_are_listed_by_commune(
    factory: Factory, world: World, session: Session, client_for: Any
) -> None:
    there = _two_communes(factory, world, session)
    page = client_for(world.coordinator)
    neighbour_sector = next(
        s for s in stats.scope(session, viewer_of(session, world.coordinator)).sectors if s.code == "BOURG"
    )
    for title, sector_id in (
        ("Diagnostic du centre", world.sector.id),
        ("Diagnostic de Bourg", neighbour_sector.id),
    ):
        data = {"title": title, "sector_id": str(sector_id), "since": "2026-01-01", "until": "2026-06-30"}
        assert page.form("/diagnostics/new", data).status_code == 303
    whole = page.get("/diagnostics").text
    assert "Diagnostic du centre" in whole and "Diagnostic de Bourg" in whole
    cut = page.get("/diagnostics", params={"commune": there["commune"].id}).text
    assert "Diagnostic de Bourg" in cut and "Diagnostic du centre" not in cut
    limited = client_for(there["limited"]).get("/diagnostics").text
    assert "Diagnostic du centre" in limited and "Diagnostic de Bourg" not in limited


def test_a_limited_coordinators_pages_cost_two_queries_more_at_most(
    factory: Factory, world: World, session: Session, client_for: Any, queries: Any
) -> None:
    """Their communes cost two queries a page (their limits, the bodies of their communes, read
    once per request by ``viewer_of``)."""
    there = _two_communes(factory, world, session)
    pages = ("/", f"/bodies/{world.body.id}", "/situations", "/actions", "/stats", "/bodies")

    def measure(user: User) -> dict[str, int]:
        client = client_for(user)
        counts = {}
        for url in pages:
            client.get(url)
            with queries() as log:
                assert client.get(url).status_code == 200, url
            counts[url] = log.count
        return counts

    plain, limited = measure(world.coordinator), measure(there["limited"])
    assert all(limited[url] <= plain[url] + 2 for url in pages), (plain, limited)


def test_a_limited_coordinators_own_calendar_holds_their_seats_only(
    factory: Factory, world: World, session: Session
) -> None:
    """The calendar feed's meetings (``mine``) are those of the bodies they sit in, not every
    body of their communes."""
    from veille.meetings.access import visible_meetings
    from veille.meetings.models import Meeting

    there = _two_communes(factory, world, session)
    limited: User = there["limited"]

    def mine() -> set[int | None]:
        viewer = viewer_of(session, limited)
        return set(session.exec(select(Meeting.id).where(visible_meetings(viewer, mine=True))).all())

    assert mine() == set()
    factory.member(world.body, limited, MemberRole.secretary)
    assert mine() == {there["own_meeting"].id}
    everything = set(
        session.exec(select(Meeting.id).where(visible_meetings(viewer_of(session, limited)))).all()
    )
    assert everything == {there["own_meeting"].id}


@pytest.mark.parametrize("confidentiality", [Confidentiality.restricted, Confidentiality.social])
def test_a_limited_coordinator_counts_no_confidential_report_of_another_commune(
    factory: Factory, world: World, session: Session, api_for, confidentiality: Confidentiality
) -> None:
    there = _two_communes(factory, world, session)
    factory.situation(there["cell"], there["mayor"], "Squat rue de Bourg", confidentiality=confidentiality)
    limited = api_for(there["limited"])
    for params in ({}, {"category": "hall_occupation"}):
        answer = limited.get("/api/v1/stats/situations", params={"group_by": "body", **params})
        assert answer.status_code == 200
        assert sum(row["count"] for row in answer.json()["rows"]) == 1, (params, answer.json())
