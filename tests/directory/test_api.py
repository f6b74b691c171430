"""Directory API: /sectors, /organisations, /users."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from veille.directory.models import Sector, User


def test_sectors_are_listed_with_a_cursor(api_for, world, factory):
    for n in range(5):
        factory.sector(f"Zone {n}", f"Z{n}")
    client = api_for(world.member)
    first = client.get("/api/v1/sectors", params={"limit": 4}).json()
    assert len(first["items"]) == 4
    assert set(first["items"][0]) == {"id", "name", "code", "commune_id"}
    second = client.get("/api/v1/sectors", params={"limit": 4, "cursor": first["next_cursor"]}).json()
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "status"), [({"limit": 0}, 422), ({"limit": 201}, 422), ({"cursor": "%%%"}, 422)]
)
def test_bad_list_parameters_answer_422(api_for, world, params, status):
    assert api_for(world.member).get("/api/v1/sectors", params=params).status_code == status


def test_bad_cursor_is_located_in_the_query(api_for, world):
    response = api_for(world.member).get("/api/v1/sectors", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_api_docs_load_no_file_from_outside(api_for):
    html = api_for().get("/api/v1/docs").text
    assert "/static/vendor/swagger-ui-" in html
    assert "cdn" not in html.lower()


def test_coordinator_creates_a_sector(api_for, world):
    response = api_for(world.coordinator).post("/api/v1/sectors", json={"name": "Nord", "code": "NORD"})
    assert response.status_code == 201
    assert response.json()["code"] == "NORD"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "Nord"}, ["body", "code"]),
        ({"name": "Centre", "code": "X"}, ["body", "name"]),
        ({"name": "", "code": "X"}, ["body", "name"]),
    ],
)
def test_bad_sector_answers_422_and_writes_nothing(api_for, world, session, body, loc):
    response = api_for(world.coordinator).post("/api/v1/sectors", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert session.exec(select(func.count()).select_from(Sector)).one() == 1


def test_organisation_kind_is_checked(api_for, world):
    response = api_for(world.coordinator).post("/api/v1/organisations", json={"name": "X", "kind": "army"})
    assert response.status_code == 422


def test_admin_creates_a_user_without_exposing_the_password(api_for, world):
    response = api_for(world.admin).post(
        "/api/v1/users",
        json={
            "email": "Nina@Example.org",
            "name": "Nina",
            "organisation_id": world.organisation.id,
            "role": "coordinator",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "nina@example.org"
    assert "password" not in body
    assert "password_hash" not in body


def test_duplicate_user_answers_422(api_for, world, session):
    before = session.exec(select(func.count()).select_from(User)).one()
    response = api_for(world.admin).post(
        "/api/v1/users",
        json={
            "email": "member@example.org",
            "name": "Nina",
            "organisation_id": world.organisation.id,
            "role": "member",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]
    assert session.exec(select(func.count()).select_from(User)).one() == before


def test_users_list_pages(api_for, world):
    client = api_for(world.admin)
    first = client.get("/api/v1/users", params={"limit": 3}).json()
    assert len(first["items"]) == 3
    rest = client.get("/api/v1/users", params={"limit": 50, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 4
    ids = [u["id"] for u in first["items"] + rest["items"]]
    assert len(set(ids)) == 7
