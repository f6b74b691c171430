"""Every answer's security headers and a first visit's CSRF cookie (``app.SecurityHeaders``):
pages, kept pages, errors, the API, its documentation and static files."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import count_queries
from tests.factories import World
from veille.app import create_app
from veille.config import Settings
from veille.deps import CSRF_COOKIE, csrf_token_for

ALWAYS = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin", "x-frame-options": "DENY"}


def _headers(answer: Any, *, page: bool, csp: bool) -> None:
    for name, value in ALWAYS.items():
        assert answer.headers[name] == value, name
    assert (answer.headers.get("cache-control") == "no-store") is page
    assert ("default-src 'self'" in answer.headers.get("content-security-policy", "")) is csp


def test_every_answer_has_its_security_headers(
    world: World, client_for: Any, api_for: Any, engine: Engine
) -> None:
    client = client_for(world.member)
    for view in ("rendered", "kept"):
        with count_queries(engine) as log:
            _headers(client.get(f"/bodies/{world.body.id}"), page=True, csp=True)
        assert (log.count > 1) is (view == "rendered")
    _headers(client.get("/no-such-page"), page=True, csp=True)
    _headers(api_for(world.member).get("/api/v1/me"), page=True, csp=True)
    _headers(client.get("/api/v1/docs"), page=True, csp=False)  # its page loads Swagger's own files
    static = client.get("/static/app.js")
    _headers(static, page=False, csp=False)
    assert "no-store" not in static.headers.get("cache-control", "")


def test_a_first_visit_gets_its_csrf_cookie_and_the_token_that_goes_with_it(
    app: Any, settings: Settings
) -> None:
    with TestClient(app, base_url="http://testserver") as browser:
        login = browser.get("/login")
        given = login.headers["set-cookie"]
        assert given.startswith(f"{CSRF_COOKIE}=") and "Secure" not in given
        assert all(part in given for part in ("HttpOnly", "Path=/", "SameSite=lax"))
        cookie = browser.cookies[CSRF_COOKIE]
        assert f'value="{csrf_token_for(settings, cookie)}"' in login.text
        assert "set-cookie" not in browser.get("/login").headers  # already has one
    for path in ("/static/app.js", "/api/v1/me"):  # neither a page nor a form
        with TestClient(app, base_url="http://testserver") as fresh:
            assert "set-cookie" not in fresh.get(path).headers, path


def test_the_csrf_cookie_is_secure_when_veille_is_served_over_https(settings: Settings) -> None:
    served = create_app(settings.model_copy(update={"base_url": "https://veille.example"}))
    try:
        with TestClient(served, base_url="https://veille.example") as browser:
            assert "; Secure" in browser.get("/login").headers["set-cookie"]
    finally:
        served.state.engine.dispose()
