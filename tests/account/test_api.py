"""The account in the API: the person's own name and language (PATCH /me), their API tokens
listed and revoked one by one."""

from __future__ import annotations

from sqlmodel import select

from veille.auth.models import AuthToken, TokenKind


def test_a_person_changes_their_own_name_and_language(api_for, world):
    api = api_for(world.member)
    response = api.patch("/api/v1/me", json={"name": "Mona Membre", "language": "en"})
    assert response.status_code == 200
    assert response.json()["name"] == "Mona Membre" and response.json()["language"] == "en"
    assert api.get("/api/v1/me").json()["language"] == "en"
    refused = api.patch("/api/v1/me", json={"name": "", "language": "de"})
    assert refused.status_code == 422
    assert api.get("/api/v1/me").json()["name"] == "Mona Membre"


def test_own_tokens_are_listed_and_revoked_one_by_one(api_for, world, session):
    first, second = api_for(world.member), api_for(world.member)
    other = api_for(world.other)
    listed = second.get("/api/v1/auth/tokens").json()
    assert len(listed) == 2
    assert [t["current"] for t in listed] == [True, False]  # newest first: this call's own
    first_id = listed[1]["id"]
    assert second.delete(f"/api/v1/auth/tokens/{first_id}").status_code == 204
    assert first.get("/api/v1/me").status_code == 401
    assert second.get("/api/v1/me").status_code == 200
    theirs = session.exec(select(AuthToken.id).where(AuthToken.user_id == world.other.id)).one()
    assert second.delete(f"/api/v1/auth/tokens/{theirs}").status_code == 404
    assert other.get("/api/v1/me").status_code == 200
    assert second.delete(f"/api/v1/auth/tokens/{first_id}").status_code == 404


def test_a_session_is_not_an_api_token(client_for, api_for, world, session):
    client_for(world.member)
    api = api_for(world.member)
    session_id = session.exec(select(AuthToken.id).where(AuthToken.kind == TokenKind.session)).one()
    assert api.delete(f"/api/v1/auth/tokens/{session_id}").status_code == 404
    assert len(api.get("/api/v1/auth/tokens").json()) == 1
