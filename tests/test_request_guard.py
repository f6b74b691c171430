"""What stands between a request and the database: a bounded body, read before anything parses
it; a 503 with Retry-After, never a 500, when the database cannot give a lock or a connection in
time; a request run again after a PostgreSQL deadlock. On real SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, text
from sqlmodel import Session, func, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import POSTGRES_URL
from tests.factories import Factory, World
from veille.app import RequestGuard
from veille.config import Settings
from veille.db import make_engine
from veille.situations.models import Situation, SituationUpdateRecord

MB = 1024 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The largest request: 1 MB × 10 attachments + 1 MB of fields. Locks are waited for briefly.
    return settings.model_copy(update={"attachment_max_mb": 1, "db_lock_timeout_seconds": 0.3})


@pytest.fixture
def report(factory: Factory, world: World) -> Situation:
    return factory.situation(world.body, world.member)


def _updates(session: Session, report: Situation) -> int:
    """The report's updates as committed."""
    session.rollback()
    return session.exec(
        select(func.count())
        .select_from(SituationUpdateRecord)
        .where(SituationUpdateRecord.situation_id == report.id)
    ).one()


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(
    client_for: Any, api_for: Any, world: World
) -> None:
    too_large = b"x" * (11 * MB + 1)
    anonymous = client_for(None)
    page = anonymous.post(
        "/login", content=too_large, headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert page.status_code == 413
    assert "trop volumineuse" in page.text
    api = api_for(world.member).post(
        "/api/v1/situations", content=too_large, headers={"Content-Type": "application/json"}
    )
    assert (api.status_code, api.json()) == (413, {"detail": "This request is too large."})


def test_a_body_sent_in_chunks_is_counted_as_it_comes(client_for: Any) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(12):
            yield b"x" * MB

    response = client_for(None).post("/login", content=chunks())
    assert response.status_code == 413


def test_a_body_within_the_limit_goes_through(
    client_for: Any, world: World, report: Situation, session: Session
) -> None:
    client = client_for(world.member)
    photo_sized = "x" * (2 * MB)  # a large form, far under the limit: the service judges it
    response = client.form(
        f"/situations/{report.id}/updates", {"text": "Rondes renforcées." + photo_sized[:10]}
    )
    assert response.status_code in (200, 303)
    assert _updates(session, report) == 1


@contextmanager
def held_lock(settings: Settings, engine_name: str, report: Situation) -> Iterator[None]:
    """Another writer holds what the request needs: SQLite's write lock, or the report's row."""
    if engine_name == "sqlite":
        path = make_url(settings.database_url).database
        assert path
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
        other.close()
        return
    engine = make_engine(settings.database_url)
    with engine.connect() as other:
        other.execute(text("SELECT id FROM situation WHERE id = :id FOR UPDATE"), {"id": report.id})
        yield
        other.rollback()
    engine.dispose()


def test_a_write_that_cannot_get_its_lock_in_time_is_answered_503(
    settings: Settings,
    engine_name: str,
    api_for: Any,
    client_for: Any,
    world: World,
    report: Situation,
    session: Session,
) -> None:
    api = api_for(world.member)
    page = client_for(world.member)
    values = {"status": "monitoring", "version": report.version}
    with held_lock(settings, engine_name, report):
        answer = api.patch(f"/api/v1/situations/{report.id}", json=values)
        refused = page.form(f"/situations/{report.id}/status", values)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "2"
    assert "busy" in answer.json()["detail"]
    assert refused.status_code == 503
    assert "Veille est très sollicitée" in refused.text
    assert refused.headers["Retry-After"] == "2"
    session.rollback()
    unchanged = session.get(Situation, report.id, populate_existing=True)
    assert unchanged is not None
    assert (unchanged.status, unchanged.version) == (report.status, report.version)


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (VEILLE_TEST_POSTGRES_URL)")
def test_a_deadlock_is_run_again_and_a_persistent_one_answered_503() -> None:
    """PostgreSQL's real deadlock error (SQLSTATE 40P01), raised by the database itself."""
    engine: Engine = make_engine(POSTGRES_URL)
    runs: list[int] = []

    def endpoint(request: Request) -> Response:
        runs.append(1)
        failing = int(request.query_params["failing"])
        if len(runs) <= failing:
            with engine.begin() as connection:
                connection.execute(
                    text("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$")
                )
        return JSONResponse({"runs": len(runs)})

    def refuse(_request: Request, status: int) -> Response:
        return JSONResponse({"refused": status}, status_code=status, headers={"Retry-After": "2"})

    guard = Middleware(RequestGuard, max_body=MB, refuse=refuse)
    app = Starlette(routes=[Route("/change", endpoint, methods=["POST"])], middleware=[guard])
    try:
        with TestClient(app) as client:
            assert client.post("/change?failing=2", content=b"{}").json() == {"runs": 3}
            runs.clear()
            answer = client.post("/change?failing=3", content=b"{}")
            assert (answer.status_code, answer.json(), len(runs)) == (503, {"refused": 503}, 3)
    finally:
        engine.dispose()
