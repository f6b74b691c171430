"""Thematic working groups (issue 19): a kind of body with its theme, its own members under the
same confidentiality rules, and, when it has an end date, actions due by it as in a GLTD (the
one rule, ``actions.rules.deadline``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.factories import Factory, World
from veille.bodies.enums import BodyKind, MemberRole

TODAY = date.today()


def test_a_thematic_group_needs_its_theme(api_for: Any, client_for: Any, world: World) -> None:
    api = api_for(world.coordinator)
    group = {"kind": "thematic_group", "name": "Groupe VIF", "sector_ids": [world.sector.id]}
    for theme in (None, "", "   "):
        refused = api.post("/api/v1/bodies", json=group | {"theme": theme})
        assert refused.status_code == 422, theme
        assert refused.json()["detail"][0]["loc"] == ["body", "theme"]
    assert api.post("/api/v1/bodies", json=group | {"theme": "x" * 201}).status_code == 422
    created = api.post("/api/v1/bodies", json=group | {"theme": " Violences intrafamiliales "})
    assert created.status_code == 201
    assert created.json()["theme"] == "Violences intrafamiliales"
    assert created.json()["ends_on"] is None
    # Another kind keeps no theme.
    cell = api.post("/api/v1/bodies", json={"kind": "watch_cell", "name": "Cellule", "theme": "Rien"})
    assert cell.json()["theme"] is None
    # The page form says what is missing, in French.
    page = client_for(world.coordinator)
    form = page.form("/bodies/new", {"kind": "thematic_group", "name": "Harcèlement", "theme": ""})
    assert form.status_code == 422
    assert "Un groupe thématique a besoin de son thème." in form.text
    done = page.form(
        "/bodies/new", {"kind": "thematic_group", "name": "Harcèlement", "theme": "Harcèlement scolaire"}
    )
    assert done.status_code == 303


def test_its_theme_shows_in_lists_and_on_its_page(
    factory: Factory, world: World, client_for: Any, api_for: Any
) -> None:
    group = factory.body("Groupe jeunes en risque", kind=BodyKind.thematic_group, sectors=[world.sector])
    group.theme = "Jeunes en risque"
    factory._save(group)
    factory.member(group, world.member, MemberRole.member)
    page = client_for(world.member)
    assert "Thème\u00a0: Jeunes en risque" in page.get("/bodies").text
    body_page = page.get(f"/bodies/{group.id}")
    assert "Groupe de travail thématique" in body_page.text
    assert "Thème\u00a0: Jeunes en risque" in body_page.text
    world.member.language = "en"
    factory._save(world.member)
    english = client_for(world.member).get(f"/bodies/{group.id}").text
    assert "Thematic working group" in english and "Theme: Jeunes en risque" in english
    # Its own members: an outsider is not told it exists.
    assert client_for(world.other).get(f"/bodies/{group.id}").status_code == 404
    assert api_for(world.other).get(f"/api/v1/bodies/{group.id}").status_code == 404


def test_a_bounded_group_has_its_actions_due_by_its_end_and_an_open_one_does_not(
    factory: Factory, world: World, api_for: Any
) -> None:
    bounded = factory.body(
        "Groupe harcèlement",
        kind=BodyKind.thematic_group,
        sectors=[world.sector],
        ends_on=TODAY + timedelta(60),
    )
    open_ended = factory.body("Groupe VIF", kind=BodyKind.thematic_group, sectors=[world.sector])
    for group in (bounded, open_ended):
        factory.member(group, world.member, MemberRole.member)
    api = api_for(world.member)
    base = {
        "title": "Ateliers au collège",
        "kind": "preventive",
        "lead_organisation_id": world.organisation.id,
    }
    late = (TODAY + timedelta(90)).isoformat()
    refused = api.post("/api/v1/actions", json=base | {"body_id": bounded.id, "due_on": late})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "due_on"]
    assert "due by the group's end date" in refused.json()["detail"][0]["msg"]
    on_time = api.post(
        "/api/v1/actions", json=base | {"body_id": bounded.id, "due_on": (TODAY + timedelta(30)).isoformat()}
    )
    assert on_time.status_code == 201
    for due in (None, late):
        free = api.post("/api/v1/actions", json=base | {"body_id": open_ended.id, "due_on": due})
        assert free.status_code == 201, free.text
