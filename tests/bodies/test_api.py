"""Bodies API: the shapes and error codes of docs/api.md."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body, Membership
from veille.situations.enums import Confidentiality


def test_member_lists_only_their_bodies(api_for, world):
    items = api_for(world.member).get("/api/v1/bodies").json()["items"]
    assert [b["name"] for b in items] == ["Cellule de veille du centre"]
    assert set(items[0]) == {
        "id",
        "kind",
        "name",
        "description",
        "sector_ids",
        "starts_on",
        "ends_on",
        "cadence",
        "theme",
        "rule_ordinal",
        "rule_weekday",
        "rule_start",
        "rule_minutes",
        "rule_location",
        "status",
        "charter_required",
        "version",
    }
    assert items[0]["sector_ids"] == [world.sector.id]


def test_coordinator_lists_all_bodies_page_by_page(api_for, world):
    client = api_for(world.coordinator)
    first = client.get("/api/v1/bodies", params={"limit": 1}).json()
    second = client.get("/api/v1/bodies", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert first["items"][0]["id"] != second["items"][0]["id"]
    assert second["next_cursor"] is None


def test_crime_treatment_group_needs_an_end_date(api_for, world, session):
    client = api_for(world.coordinator)
    refused = client.post("/api/v1/bodies", json={"name": "GLTD", "kind": "crime_treatment_group"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "ends_on"]
    created = client.post(
        "/api/v1/bodies", json={"name": "GLTD", "kind": "crime_treatment_group", "ends_on": "2027-06-30"}
    )
    assert created.status_code == 201
    assert created.json()["ends_on"] == "2027-06-30"
    assert session.exec(select(func.count()).select_from(Body)).one() == 3


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "kind": "club"},
        {"kind": "watch_cell"},
        {"name": "X", "kind": "watch_cell", "sector_ids": [99]},
        {"name": "X", "kind": "watch_cell", "starts_on": "2026-13-01"},
    ],
)
def test_bad_body_answers_422_and_writes_nothing(api_for, world, session, body):
    assert api_for(world.coordinator).post("/api/v1/bodies", json=body).status_code == 422
    assert session.exec(select(func.count()).select_from(Body)).one() == 2


def test_patch_needs_the_current_version(api_for, world):
    client = api_for(world.secretary)
    ok = client.patch(f"/api/v1/bodies/{world.body.id}", json={"version": 1, "description": "Secteur centre"})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    assert ok.json()["name"] == "Cellule de veille du centre"  # untouched
    stale = client.patch(f"/api/v1/bodies/{world.body.id}", json={"version": 1, "name": "Autre"})
    assert stale.status_code == 409
    assert client.patch(f"/api/v1/bodies/{world.body.id}", json={"name": "Sans version"}).status_code == 422


def test_patch_keeps_the_end_date_rule(api_for, world, factory):
    from datetime import date

    from veille.bodies.enums import BodyKind, MemberRole

    group = factory.body("GLTD", kind=BodyKind.crime_treatment_group, ends_on=date(2027, 1, 1))
    factory.member(group, world.chair, MemberRole.chair)
    response = api_for(world.chair).patch(f"/api/v1/bodies/{group.id}", json={"version": 1, "ends_on": None})
    assert response.status_code == 422


def test_members_are_listed_and_managed(api_for, world, session):
    client = api_for(world.secretary)
    members = client.get(f"/api/v1/bodies/{world.body.id}/members").json()["items"]
    assert {"user_id": world.member.id, "role": "member"} in members
    put = client.put(f"/api/v1/bodies/{world.body.id}/members/{world.other.id}", json={"role": "guest"})
    assert put.json() == {"user_id": world.other.id, "role": "guest"}
    assert client.delete(f"/api/v1/bodies/{world.body.id}/members/{world.other.id}").status_code == 204
    assert client.delete(f"/api/v1/bodies/{world.body.id}/members/{world.other.id}").status_code == 404


@pytest.mark.parametrize("body", [{"role": "king"}, {}])
def test_bad_member_role_answers_422(api_for, world, session, body):
    response = api_for(world.secretary).put(
        f"/api/v1/bodies/{world.body.id}/members/{world.other.id}", json=body
    )
    assert response.status_code == 422
    assert session.exec(select(func.count()).select_from(Membership)).one() == 5


def test_unknown_person_cannot_be_added(api_for, world):
    response = api_for(world.secretary).put(
        f"/api/v1/bodies/{world.body.id}/members/999", json={"role": "member"}
    )
    assert response.status_code == 422


def test_charter_flow(api_for, world):
    chair, member = api_for(world.chair), api_for(world.member)
    assert chair.get(f"/api/v1/bodies/{world.body.id}/charter").status_code == 404
    put = chair.put(f"/api/v1/bodies/{world.body.id}/charter", json={"text": "Article 1."})
    assert put.json() == {"text": "Article 1.", "version": 1}
    chair.patch(f"/api/v1/bodies/{world.body.id}", json={"version": 1, "charter_required": True})
    assert member.get(f"/api/v1/bodies/{world.body.id}/members").status_code == 403
    assert member.get(f"/api/v1/bodies/{world.body.id}/charter").json()["version"] == 1
    assert member.post(f"/api/v1/bodies/{world.body.id}/charter/accept").status_code == 204
    assert member.get(f"/api/v1/bodies/{world.body.id}/members").status_code == 200
    stale = chair.put(
        f"/api/v1/bodies/{world.body.id}/charter", json={"text": "Article 1 bis.", "version": 0}
    )
    assert stale.status_code == 409
    chair.put(f"/api/v1/bodies/{world.body.id}/charter", json={"text": "Article 1 bis.", "version": 1})
    assert member.get(f"/api/v1/bodies/{world.body.id}/members").status_code == 403


def test_closed_body_refuses_changes_with_409(api_for, world):
    chair = api_for(world.chair)
    assert chair.post(f"/api/v1/bodies/{world.body.id}/close").json()["status"] == "closed"
    response = chair.put(f"/api/v1/bodies/{world.body.id}/members/{world.other.id}", json={"role": "member"})
    assert response.status_code == 409
    assert chair.patch(f"/api/v1/bodies/{world.body.id}", json={"version": 2, "name": "X"}).status_code == 409


def test_exclusion_by_api(api_for, world):
    response = api_for(world.chair).post(
        f"/api/v1/bodies/{world.body.id}/members/{world.member.id}/exclude", json={"reason": "Fuite"}
    )
    assert response.status_code == 204
    assert api_for(world.member).get(f"/api/v1/bodies/{world.body.id}").status_code == 404


@pytest.mark.parametrize("patch", [{"name": ""}, {"description": "x" * 5001}, {"kind": None}])
def test_patch_breaking_the_body_rules_answers_422(api_for, world, session, patch):
    response = api_for(world.secretary).patch(f"/api/v1/bodies/{world.body.id}", json={"version": 1} | patch)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "body"
    session.rollback()
    assert session.get(Body, world.body.id).version == 1


def test_charter_of_a_closed_body_can_still_be_accepted_to_read_its_archive(api_for, world, factory, session):
    world.body.charter_required = True
    session.add(world.body)
    session.commit()
    factory.charter(world.body)
    api_for(world.chair).post(f"/api/v1/bodies/{world.body.id}/close")
    member = api_for(world.member)
    assert member.get(f"/api/v1/bodies/{world.body.id}/members").status_code == 403
    assert member.post(f"/api/v1/bodies/{world.body.id}/charter/accept").status_code == 204
    assert member.get(f"/api/v1/bodies/{world.body.id}/members").status_code == 200


def test_secretary_cannot_demote_or_remove_the_chair(api_for, world, session):
    client = api_for(world.secretary)
    url = f"/api/v1/bodies/{world.body.id}/members/{world.chair.id}"
    assert client.put(url, json={"role": "guest"}).status_code == 403
    assert client.delete(url).status_code == 403
    session.rollback()
    membership = session.exec(select(Membership).where(Membership.user_id == world.chair.id)).one()
    assert membership.role == "chair"


def test_only_the_chair_lifts_an_exclusion(api_for, world, session):
    url = f"/api/v1/bodies/{world.body.id}/members/{world.member.id}"
    api_for(world.chair).post(f"{url}/exclude", json={"reason": "Fuite"})
    secretary = api_for(world.secretary)
    assert secretary.put(url, json={"role": "member"}).status_code == 403
    assert secretary.delete(url).status_code == 403
    assert api_for(world.member).get(f"/api/v1/bodies/{world.body.id}").status_code == 404
    assert api_for(world.chair).put(url, json={"role": "member"}).status_code == 200
    assert api_for(world.member).get(f"/api/v1/bodies/{world.body.id}").status_code == 200


def test_nobody_names_themselves_to_a_seat_that_runs_the_body_or_lifts_their_own_exclusion(
    api_for, world, factory, session
):
    """The staff run every body: naming themselves secretary opened its restricted reports, and
    an excluded coordinator lifted their own exclusion (a security review found both)."""
    restricted = factory.situation(
        world.body, world.member, "Guetteurs", confidentiality=Confidentiality.restricted
    )
    coordinator = api_for(world.coordinator)
    mine = f"/api/v1/bodies/{world.body.id}/members/{world.coordinator.id}"
    for role in ("secretary", "chair"):
        refused = coordinator.put(mine, json={"role": role})
        assert refused.status_code == 403 and "yourself" in refused.json()["detail"]
    assert coordinator.get(f"/api/v1/situations/{restricted.id}").status_code == 404
    assert coordinator.put(mine, json={"role": "member"}).status_code == 200  # a plain seat: theirs to take
    api_for(world.chair).post(f"{mine}/exclude", json={"reason": "Fuite"})
    assert coordinator.put(mine, json={"role": "member"}).status_code == 403
    assert api_for(world.admin).put(mine, json={"role": "secretary"}).status_code == 200  # another may


def test_only_the_chair_requires_or_lifts_the_charter(api_for, world):
    url = f"/api/v1/bodies/{world.body.id}"
    assert (
        api_for(world.secretary).patch(url, json={"version": 1, "charter_required": True}).status_code == 403
    )
    assert api_for(world.chair).patch(url, json={"version": 1, "charter_required": True}).status_code == 200


def test_charter_paragraphs_survive_browser_line_endings(api_for, world):
    text = "Article 1.\r\n\r\nArticle 2."
    saved = api_for(world.chair).put(f"/api/v1/bodies/{world.body.id}/charter", json={"text": text})
    assert saved.json()["text"] == "Article 1.\n\nArticle 2."
    again = api_for(world.chair).put(
        f"/api/v1/bodies/{world.body.id}/charter", json={"text": text, "version": 1}
    )
    assert again.json()["version"] == 1  # the same text is not a new version


@pytest.mark.parametrize("cursor", ["OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "LTE="])
def test_out_of_range_cursor_answers_422(api_for, world, cursor):
    assert api_for(world.member).get("/api/v1/bodies", params={"cursor": cursor}).status_code == 422


def test_unknown_person_is_located_in_the_path(api_for, world):
    response = api_for(world.secretary).put(
        f"/api/v1/bodies/{world.body.id}/members/999", json={"role": "member"}
    )
    assert response.json()["detail"][0]["loc"] == ["path", "user_id"]


@pytest.mark.parametrize("persona", ["chair", "secretary", "coordinator"])
def test_nobody_retypes_a_body(api_for, world, session, persona):
    """A GLTD's chair turning it into a plenary would count every body's reports (issue 13)."""
    client = api_for(getattr(world, persona))
    response = client.patch(f"/api/v1/bodies/{world.body.id}", json={"version": 1, "kind": "plenary"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "kind"],
            "msg": "A body's kind is fixed when it is created: create a new body of the other kind instead.",
            "type": "value_error",
        }
    ]
    session.rollback()
    body = session.get(Body, world.body.id)
    assert (body.kind, body.version) == (BodyKind.watch_cell, 1)
    # Sending the kind it has is harmless.
    same = client.patch(f"/api/v1/bodies/{world.body.id}", json={"version": 1, "kind": "watch_cell"})
    assert same.status_code == 200


def test_a_crime_treatment_group_keeps_its_end_date(api_for, world, factory, session):
    group = factory.body("GLTD", kind=BodyKind.crime_treatment_group, ends_on=date(2027, 1, 1))
    factory.member(group, world.chair, MemberRole.chair)
    client = api_for(world.chair)
    for patch in ({"kind": "watch_cell", "ends_on": None}, {"kind": "watch_cell"}, {"ends_on": None}):
        response = client.patch(f"/api/v1/bodies/{group.id}", json={"version": 1} | patch)
        assert response.status_code == 422, patch
    session.rollback()
    group = session.get(Body, group.id)
    assert (group.kind, group.ends_on, group.version) == (BodyKind.crime_treatment_group, date(2027, 1, 1), 1)
