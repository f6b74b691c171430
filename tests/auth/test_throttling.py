"""Login throttling (issue 13, OWASP ASVS 5.0 §6.3): failures from one client address never
refuse the right password from another; one address is refused over every account it tries;
an account's own ceiling, over every address, slows then locks it until an admin releases it.
Counted in the database, so every process of the application sees the same counts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from tests.conftest import Client
from tests.factories import PASSWORD, World
from veille.app import create_app
from veille.audit.models import AuditEvent
from veille.auth import service as auth
from veille.config import Settings
from veille.deps import CSRF_COOKIE, csrf_token_for

ATTACKER, USER, ELSEWHERE = "198.51.100.7", "203.0.113.20", "192.0.2.44"
MEMBER = "member@example.org"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small thresholds, so that each limit is reached in a few requests."""
    return settings.model_copy(
        update={
            "login_slow_after": 2,
            "login_refuse_after": 4,
            "login_address_refuse_after": 9,
            "login_account_slow_after": 5,
            "login_account_lock_after": 8,
            "login_delay_seconds": 0.001,
        }
    )


@pytest.fixture
def from_address(app: FastAPI, settings: Settings) -> Iterator[Any]:
    """from_address(ip) -> a browser at that client address (with its CSRF token), and its API."""
    clients: list[TestClient] = []

    def make(ip: str, app_: FastAPI | None = None) -> tuple[Client, TestClient]:
        page = Client(app_ or app, base_url="http://testserver", follow_redirects=False, client=(ip, 40000))
        cookie = "test-csrf-cookie-" + uuid.uuid4().hex
        page.cookies.set(CSRF_COOKIE, cookie)
        page.csrf = csrf_token_for(settings, cookie)
        api = TestClient(app_ or app, base_url="http://testserver", client=(ip, 40001))
        clients.extend([page, api])
        return page, api

    yield make
    for client in clients:
        client.close()


def _page_login(page: Client, email: str, password: str) -> Any:
    return page.form("/login", {"email": email, "password": password, "next": "/"})


def _api_login(api: TestClient, email: str, password: str) -> Any:
    return api.post("/api/v1/auth/token", json={"email": email, "password": password})


def test_failures_from_one_address_do_not_lock_the_account_out_from_another(
    from_address: Any, world: World, settings: Settings
) -> None:
    _, attacker = from_address(ATTACKER)
    for _ in range(settings.login_refuse_after):
        assert _api_login(attacker, MEMBER, "wrong guess").status_code == 401
    # The attacker's address is refused for this account, even with the right password.
    refused = _api_login(attacker, MEMBER, PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"]
    # The member, from their own address, logs in at once, by the page and by the API.
    page, api = from_address(USER)
    assert _page_login(page, MEMBER, PASSWORD).status_code == 303
    assert _api_login(api, MEMBER, PASSWORD).status_code == 200
    # Their success does not reset the attacker's count: the pair stays refused.
    assert _api_login(attacker, MEMBER, PASSWORD).status_code == 429


def test_one_address_is_refused_over_every_account_it_tries(
    from_address: Any, world: World, settings: Settings
) -> None:
    _, attacker = from_address(ATTACKER)
    for n in range(settings.login_address_refuse_after):
        assert _api_login(attacker, f"guess{n}@example.org", "wrong guess").status_code == 401
    assert _api_login(attacker, world.chair.email, PASSWORD).status_code == 429
    page, _ = from_address(ATTACKER)
    refused = _page_login(page, world.chair.email, PASSWORD)
    assert refused.status_code == 429 and "Trop de tentatives infructueuses" in refused.text
    # Another address is not concerned.
    _, api = from_address(USER)
    assert _api_login(api, world.chair.email, PASSWORD).status_code == 200


def test_the_account_ceiling_slows_then_locks_from_every_address(
    from_address: Any, world: World, settings: Settings, session: Session
) -> None:
    """A guess from each of many addresses (a botnet) stays under each pair's limit: the
    account's own count, over every address, slows its logins, then locks it."""
    for n in range(settings.login_account_slow_after):
        _, api = from_address(f"10.0.0.{n + 1}")
        assert _api_login(api, MEMBER, "wrong guess").status_code == 401
    slowed = auth.login_throttle(session, settings, email=MEMBER, ip=USER)
    assert slowed.delay > 0 and not slowed.refused and slowed.pair == 0
    for n in range(settings.login_account_slow_after, settings.login_account_lock_after):
        _, api = from_address(f"10.0.0.{n + 1}")
        assert _api_login(api, MEMBER, "wrong guess").status_code == 401
    page, api = from_address(USER)
    locked = _api_login(api, MEMBER, PASSWORD)
    assert locked.status_code == 429
    assert locked.json() == {"detail": auth.ACCOUNT_LOCKED}
    refused = _page_login(page, MEMBER, PASSWORD)
    assert refused.status_code == 429
    assert "demandez à un administrateur de le débloquer" in refused.text
    # An address that is no account's locks the same way: the answer reveals nothing.
    for n in range(settings.login_account_lock_after):
        _, api = from_address(f"10.0.1.{n + 1}")
        _api_login(api, "nobody@example.org", "wrong guess")
    assert _api_login(from_address(USER)[1], "nobody@example.org", "x").json() == locked.json()


def _lock(from_address: Any, settings: Settings, email: str = MEMBER) -> None:
    for n in range(settings.login_account_lock_after):
        _, api = from_address(f"10.0.2.{n + 1}")
        _api_login(api, email, "wrong guess")
    assert _api_login(from_address(USER)[1], email, PASSWORD).status_code == 429


def test_an_admin_releases_a_locked_account_from_its_page(
    from_address: Any, client_for: Any, world: World, settings: Settings, session: Session
) -> None:
    _lock(from_address, settings)
    admin = client_for(world.admin)
    page = admin.get(f"/directory/users/{world.member.id}/edit")
    assert "Ce compte est bloqué" in page.text
    assert f'action="/directory/users/{world.member.id}/unlock"' in page.text
    # Only an admin: a coordinator is refused, and so is a form without its CSRF token.
    assert client_for(world.coordinator).form(f"/directory/users/{world.member.id}/unlock").status_code == 403
    assert admin.post(f"/directory/users/{world.member.id}/unlock").status_code == 403
    released = admin.form(f"/directory/users/{world.member.id}/unlock")
    assert released.status_code == 303
    assert released.headers["location"] == f"/directory/users/{world.member.id}/edit"
    after = admin.get(released.headers["location"]).text
    assert "Le compte est débloqué" in after and "Ce compte est bloqué" not in after
    assert _api_login(from_address(USER)[1], MEMBER, PASSWORD).status_code == 200
    session.rollback()
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "release_login")).one()
    assert (event.user_id, event.entity, event.entity_id) == (world.admin.id, "user", world.member.id)


def test_an_admin_releases_a_locked_account_by_api(
    from_address: Any, api_for: Any, world: World, settings: Settings, session: Session
) -> None:
    _lock(from_address, settings)
    url = f"/api/v1/users/{world.member.id}/unlock"
    assert api_for(world.coordinator).post(url).status_code == 403
    assert api_for(world.member).post(url).status_code == 403
    assert api_for(world.admin).post("/api/v1/users/999/unlock").status_code == 404
    assert api_for(world.admin).post(url).status_code == 204
    assert _api_login(from_address(USER)[1], MEMBER, PASSWORD).status_code == 200
    # The release lifts a pair's refusal too (someone who mistyped from their own address).
    _, own = from_address(USER)
    for _ in range(settings.login_refuse_after):
        _api_login(own, MEMBER, "typo")
    assert _api_login(own, MEMBER, PASSWORD).status_code == 429
    assert api_for(world.admin).post(url).status_code == 204
    assert _api_login(own, MEMBER, PASSWORD).status_code == 200
    session.rollback()
    assert len(session.exec(select(AuditEvent).where(AuditEvent.verb == "release_login")).all()) == 2


def test_failed_logins_are_counted_in_the_database_for_every_process(
    from_address: Any, world: World, settings: Settings
) -> None:
    """A second application on the same database (another worker, another host) sees the
    failures the first one recorded."""
    _, attacker = from_address(ATTACKER)
    for _ in range(settings.login_refuse_after):
        _api_login(attacker, MEMBER, "wrong guess")
    other = create_app(settings)
    try:
        _, elsewhere = from_address(ATTACKER, other)
        assert _api_login(elsewhere, MEMBER, PASSWORD).status_code == 429
        _, fine = from_address(ELSEWHERE, other)
        assert _api_login(fine, MEMBER, PASSWORD).status_code == 200
    finally:
        other.state.engine.dispose()
