"""The JSON API of reports and problem files: contract, refusals, versions, pagination."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from tests.factories import Factory, World
from veille.bodies.enums import BodyKind, MemberRole
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation

YESTERDAY = f"{date.today() - timedelta(days=1)}T21:30:00+01:00"


def _report(world: World, **values: Any) -> dict[str, Any]:
    return {
        "body_id": world.body.id,
        "title": "Rodéos sur le parking du marché",
        "category": "urban_rodeo",
        "sector_id": world.sector.id,
        "occurred_at": YESTERDAY,
        "severity": 3,
    } | values


def test_partner_posts_reads_and_patches_a_report(api_for: Any, world: World, session: Session) -> None:
    api = api_for(world.member)
    created = api.post("/api/v1/situations", json=_report(world))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["category"] == "urban_rodeo" and body["status"] == "open" and body["version"] == 1
    assert body["confidentiality"] == "body" and body["shared_with_organisation_ids"] == []
    assert datetime.fromisoformat(body["occurred_at"]) == datetime.fromisoformat(YESTERDAY)
    patched = api.patch(f"/api/v1/situations/{body['id']}", json={"version": 1, "status": "monitoring"})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = api.patch(f"/api/v1/situations/{body['id']}", json={"version": 1, "severity": 1})
    assert stale.status_code == 409
    back = api.patch(f"/api/v1/situations/{body['id']}", json={"version": 2, "status": "resolved"})
    assert back.json()["status"] == "resolved"
    wrong = api.patch(f"/api/v1/situations/{body['id']}", json={"version": 3, "status": "monitoring"})
    assert wrong.status_code == 409, "a resolved report is reopened first"
    update = api.post(f"/api/v1/situations/{body['id']}/updates", json={"text": "Rondes renforcées."})
    assert update.status_code == 201 and update.json()["author_id"] == world.member.id
    assert [u["text"] for u in api.get(f"/api/v1/situations/{body['id']}/updates").json()] == [
        "Rondes renforcées."
    ]


def test_bad_reports_are_refused_with_422_and_write_nothing(
    api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    plenary = factory.body("Assemblée plénière", kind=BodyKind.plenary)
    factory.member(plenary, world.member, MemberRole.member)
    api = api_for(world.member)
    for data, field in (
        (_report(world, category="unknown"), "category"),
        (_report(world, title=""), "title"),
        (_report(world, severity=5), "severity"),
        (_report(world, names_person=True), "confidentiality"),
        (_report(world, occurred_at="2999-01-01T10:00:00+01:00"), "occurred_at"),
        (_report(world, sector_id=999), "sector_id"),
        (
            _report(world, confidentiality="restricted", shared_with_organisation_ids=[999]),
            "shared_with_organisation_ids",
        ),
        (
            _report(world, confidentiality="social", shared_with_organisation_ids=[world.organisation.id]),
            "shared_with_organisation_ids",
        ),
        (_report(world, body_id=plenary.id, sector_id=None, confidentiality="restricted"), "confidentiality"),
        (_report(world, body_id=world.other_body.id), "body_id"),
    ):
        response = api.post("/api/v1/situations", json=data)
        assert response.status_code == 422, (data, response.text)
        assert field in str(response.json()["detail"]), (field, response.json())
    session.rollback()
    assert session.exec(select(Situation)).all() == []


def test_lists_are_paginated_newest_first_with_filters(api_for: Any, world: World, factory: Factory) -> None:
    for n in range(5):
        factory.situation(
            world.body, world.member, f"Signalement {n}", category="violence" if n % 2 else "other"
        )
    api = api_for(world.chair)
    first = api.get("/api/v1/situations?limit=2").json()
    second = api.get(f"/api/v1/situations?limit=2&cursor={first['next_cursor']}").json()
    titles = [i["title"] for i in first["items"] + second["items"]]
    assert titles == ["Signalement 4", "Signalement 3", "Signalement 2", "Signalement 1"]
    violence = api.get("/api/v1/situations?category=violence").json()["items"]
    assert [i["title"] for i in violence] == ["Signalement 3", "Signalement 1"]
    assert api.get("/api/v1/situations?cursor=!!").status_code == 422
    assert api.get("/api/v1/situations?severity=9").status_code == 422


def test_problem_files_through_the_api(api_for: Any, world: World, factory: Factory) -> None:
    first = factory.situation(world.body, world.member, "Hall B")
    second = factory.situation(world.body, world.member, "Tags B")
    secret = factory.situation(world.body, world.member, "Deal B", confidentiality=Confidentiality.restricted)
    api = api_for(world.secretary)
    created = api.post(
        "/api/v1/problems",
        json={"body_id": world.body.id, "title": "Bâtiment B", "situation_ids": [first.id, secret.id]},
    )
    assert created.status_code == 201, created.text
    problem = created.json()
    assert sorted(problem["situation_ids"]) == sorted([first.id, secret.id])
    patched = api.patch(
        f"/api/v1/problems/{problem['id']}",
        json={"version": 1, "situation_ids": [first.id, second.id], "status": "response"},
    )
    assert patched.status_code == 200 and sorted(patched.json()["situation_ids"]) == sorted(
        [first.id, second.id]
    )
    # A member who cannot read the restricted report neither sees it listed nor drops it.
    other_file = api.post(
        "/api/v1/problems", json={"body_id": world.body.id, "title": "Autre", "situation_ids": [first.id]}
    )
    assert other_file.status_code == 422
    assert (
        api.patch(f"/api/v1/problems/{problem['id']}", json={"version": 1, "title": "X"}).status_code == 409
    )
    assert (
        api_for(world.member)
        .post("/api/v1/problems", json={"body_id": world.body.id, "title": "Membre"})
        .status_code
        == 403
    )
