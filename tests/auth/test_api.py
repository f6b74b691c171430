"""API tokens."""

from __future__ import annotations

from sqlmodel import select

from tests.factories import PASSWORD
from veille.auth.models import AuthToken


def test_token_is_issued_and_used(api_for, world, session):
    client = api_for()
    response = client.post("/api/v1/auth/token", json={"email": "member@example.org", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"].endswith("+00:00") or body["expires_at"].endswith("Z")
    assert session.exec(select(AuthToken)).one().token_hash != body["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "id": world.member.id,
        "email": "member@example.org",
        "name": "Marc Membre",
        "organisation_id": world.organisation.id,
        "role": "member",
        "language": "fr",
        "active": True,
    }


def test_bad_credentials_answer_401(api_for, world):
    response = api_for().post("/api/v1/auth/token", json={"email": "member@example.org", "password": "nope"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect e-mail address or password."}


def test_missing_fields_answer_422(api_for, world):
    response = api_for().post("/api/v1/auth/token", json={"email": "member@example.org"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_repeated_failures_answer_429(api_for, world, settings):
    client = api_for()
    for _ in range(settings.login_refuse_after):
        client.post("/api/v1/auth/token", json={"email": "member@example.org", "password": "nope"})
    response = client.post("/api/v1/auth/token", json={"email": "member@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "retry-after" in response.headers


def test_revoked_token_no_longer_works(api_for, world):
    client = api_for(world.member)
    assert client.get("/api/v1/me").status_code == 200
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_no_token_answers_401(api_for, world):
    response = api_for().get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_session_cookie_is_not_an_api_token(client_for, world):
    client = client_for(world.member)
    assert client.get("/api/v1/me").status_code == 401


def test_deactivation_ends_api_tokens(api_for, client_for, world):
    api = api_for(world.member)
    admin = client_for(world.admin)
    assert admin.form(f"/directory/users/{world.member.id}/active", {"active": "0"}).status_code == 303
    assert api.get("/api/v1/me").status_code == 401


def test_openapi_is_published(api_for):
    response = api_for().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/bodies/{body_id}/members/{user_id}" in paths
    assert not any(path.startswith("/bodies") for path in paths)  # pages stay out of the API


def test_a_new_token_clears_the_persons_expired_ones(api_for, world, session):
    from datetime import timedelta

    from veille.orm import utcnow

    api_for(world.member)
    old = session.exec(select(AuthToken)).one()
    old.expires_at = utcnow() - timedelta(days=1)
    session.add(old)
    session.commit()
    api_for(world.member)
    session.rollback()
    session.expire_all()
    tokens = session.exec(select(AuthToken)).all()
    assert len(tokens) == 1
    assert tokens[0].expires_at > utcnow()
