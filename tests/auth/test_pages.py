"""Login, logout, sessions, throttling and CSRF through the pages."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import PASSWORD
from veille.auth.models import AuthToken, LoginAttempt
from veille.deps import SESSION_COOKIE
from veille.orm import utcnow


def _login(client, email, password, next_url="/"):  # type: ignore[no-untyped-def]
    return client.form("/login", {"email": email, "password": password, "next": next_url})


def test_login_page_renders_in_french(client_for):
    response = client_for().get("/login")
    assert response.status_code == 200
    assert "Se connecter" in response.text
    assert response.headers["cache-control"] == "no-store"


def test_pages_send_anonymous_people_to_login(client_for):
    response = client_for().get("/bodies")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fbodies"


def test_login_opens_a_server_side_session(client_for, world, session):
    client = client_for()
    response = _login(client, "Member@Example.org", PASSWORD, "/bodies")
    assert response.status_code == 303
    assert response.headers["location"] == "/bodies"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    raw = client.cookies[SESSION_COOKIE]
    stored = session.exec(select(AuthToken)).all()
    assert len(stored) == 1
    assert stored[0].token_hash != raw  # only the hash is kept
    assert client.get("/bodies").status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/"]
)
def test_login_refuses_an_open_redirect(client_for, world, target):
    """A browser drops a tab or a line break inside an address: "/", a tab, "/evil.example" is
    "//evil.example" to it (security review)."""
    response = _login(client_for(), "member@example.org", PASSWORD, target)
    assert response.headers["location"] == "/"


def test_wrong_password_shows_a_french_error_and_opens_nothing(client_for, world, session):
    response = _login(client_for(), "member@example.org", "wrong password")
    assert response.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect" in response.text
    assert session.exec(select(AuthToken)).all() == []


def test_deactivated_account_cannot_log_in(client_for, world, session):
    world.member.active = False
    session.add(world.member)
    session.commit()
    assert _login(client_for(), "member@example.org", PASSWORD).status_code == 422


def test_logout_ends_the_session(client_for, world):
    client = client_for(world.member)
    raw = client.cookies[SESSION_COOKIE]
    assert client.form("/logout").status_code == 303
    client.cookies.set(SESSION_COOKIE, raw)  # a copied cookie is worthless after logout
    assert client.get("/bodies").status_code == 303


def test_idle_session_expires(client_for, world, session, settings):
    client = client_for(world.member)
    token = session.exec(select(AuthToken)).one()
    token.last_used_at = utcnow() - timedelta(minutes=settings.session_idle_minutes + 1)
    session.add(token)
    session.commit()
    assert client.get("/bodies").status_code == 303


def test_absolute_expiry_ends_even_an_active_session(client_for, world, session):
    client = client_for(world.member)
    token = session.exec(select(AuthToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.add(token)
    session.commit()
    assert client.get("/bodies").status_code == 303


def test_repeated_failures_are_slowed_then_refused(client_for, world, session, settings):
    client = client_for()
    for _ in range(settings.login_refuse_after):
        assert _login(client, "member@example.org", "wrong").status_code == 422
    failures = session.exec(select(LoginAttempt).where(LoginAttempt.succeeded == False)).all()  # noqa: E712
    assert len(failures) == settings.login_refuse_after
    refused = _login(client, "member@example.org", PASSWORD)
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.text
    assert refused.headers["retry-after"]


def test_throttle_delay_grows_with_failures(world, session, settings):
    from veille.auth.service import login_throttle

    def record(n: int) -> None:
        for _ in range(n):
            session.add(LoginAttempt(email="member@example.org", ip="10.0.0.1", succeeded=False))
        session.commit()

    assert login_throttle(session, settings, email="member@example.org", ip="10.0.0.1").delay == 0
    record(settings.login_slow_after)
    first = login_throttle(session, settings, email="member@example.org", ip="10.0.0.1")
    record(1)
    second = login_throttle(session, settings, email="member@example.org", ip="10.0.0.1")
    assert 0 < first.delay < second.delay
    assert not second.refused


def test_a_success_resets_the_account_counter(client_for, world, settings):
    client = client_for()
    for _ in range(settings.login_refuse_after - 1):
        _login(client, "member@example.org", "wrong")
    assert _login(client, "member@example.org", PASSWORD).status_code == 303
    assert _login(client_for(), "member@example.org", "wrong").status_code == 422


def test_post_without_csrf_token_is_refused(client_for, world, session):
    client = client_for(world.coordinator)
    response = client.post("/directory/sectors/new", data={"name": "Nord", "code": "NORD"})
    assert response.status_code == 403
    assert "Rechargez la page" in response.text
    response = client.post(
        "/directory/sectors/new", data={"name": "Nord", "code": "NORD", "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert client.get("/directory/sectors").text.count("NORD") == 0


def test_htmx_post_carries_csrf_in_a_header(client_for, world):
    client = client_for(world.secretary)
    refused = client.post(
        f"/bodies/{world.body.id}/members",
        data={"user_id": world.other.id, "role": "member"},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 403
    accepted = client.htmx(f"/bodies/{world.body.id}/members", {"user_id": world.other.id, "role": "member"})
    assert accepted.status_code == 200
    assert "Olivier Autre" in accepted.text


def test_cross_origin_post_is_refused(client_for, world):
    client = client_for(world.coordinator)
    response = client.form(
        "/directory/sectors/new", {"name": "Nord", "code": "NORD"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_login_form_itself_is_protected_by_csrf(client_for, world):
    response = client_for().post("/login", data={"email": "member@example.org", "password": PASSWORD})
    assert response.status_code == 403


def test_every_page_form_carries_the_csrf_token(client_for, world):
    client = client_for(world.admin)
    html = client.get(f"/bodies/{world.body.id}").text
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
    assert forms
    assert all(client.csrf in form for form in forms)


def test_a_form_posted_after_a_long_pause_saves_at_once(client_for, world, session):
    """The session's last use is written in the request's own transaction (no self-deadlock)."""
    client = client_for(world.coordinator)
    token = session.exec(select(AuthToken)).one()
    token.last_used_at = utcnow() - timedelta(minutes=5)
    session.add(token)
    session.commit()
    response = client.form("/directory/sectors/new", {"name": "Nord", "code": "NORD"})
    assert response.status_code == 303
    session.rollback()
    session.refresh(token)
    assert utcnow() - token.last_used_at < timedelta(minutes=1)


def test_failed_login_delay_holds_no_transaction(world, session, settings, monkeypatch):
    from veille.auth import service as auth
    from veille.directory import service as directory
    from veille.errors import InvalidInput

    held = []
    monkeypatch.setattr(auth.time, "sleep", lambda _seconds: held.append(session.in_transaction()))
    for _ in range(settings.login_slow_after + 2):
        with contextlib.suppress(InvalidInput):
            directory.authenticate(
                session, settings, email="member@example.org", password="wrong", ip="10.0.0.9"
            )
    assert held == [False, False]
