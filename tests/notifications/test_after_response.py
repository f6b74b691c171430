"""With SMTP configured, mail leaves right after the response that wrote it."""

from __future__ import annotations

import pytest
from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.testclient import TestClient

from veille.db import make_engine
from veille.notifications import service as outbox
from veille.notifications.enums import OutboxStatus
from veille.notifications.models import OutboxMail


@pytest.fixture
def settings(settings, smtp_server):  # type: ignore[no-untyped-def]
    return smtp_server.configure(settings)


def test_a_failed_mail_sent_again_leaves_after_the_response(client_for, world, session, smtp_server):
    mail = outbox.enqueue(session, to="nadia@example.org", subject="Convocation : jeudi", text="Bonjour.")
    mail.status = OutboxStatus.failed
    session.commit()

    client = client_for(world.admin)
    response = client.form(f"/admin/outbox/{mail.id}/retry")

    assert response.status_code == 303
    assert [m["Subject"] for m in smtp_server.messages] == ["Convocation : jeudi"]
    session.rollback()
    sent = session.get(OutboxMail, mail.id, populate_existing=True)
    assert (sent.status, sent.attempts) == (OutboxStatus.sent, 1)
    page = client.get(response.headers["location"])
    assert "il est en cours d’envoi" in page.text


def _app(settings, engine) -> FastAPI:  # type: ignore[no-untyped-def]
    app = FastAPI()
    app.state.settings = settings
    app.state.engine = engine

    @app.post("/change")
    def change(request: Request, background_tasks: BackgroundTasks) -> dict[str, int]:
        outbox.deliver_after_response(background_tasks, request)
        outbox.deliver_after_response(background_tasks, request)  # a second mail of the same change
        return {"tasks": len(background_tasks.tasks)}

    return app


def test_delivery_is_scheduled_once_per_request(settings, engine):
    with TestClient(_app(settings, engine)) as client:
        assert client.post("/change").json() == {"tasks": 1}


def test_nothing_is_scheduled_without_smtp(settings, engine):
    without = settings.model_copy(update={"smtp_host": None})
    with TestClient(_app(without, engine)) as client:
        assert client.post("/change").json() == {"tasks": 0}


def test_a_delivery_error_after_the_response_is_logged_not_raised(settings, tmp_path, caplog):
    """Nobody is left to answer after the response: the error goes to the log."""
    no_tables = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    outbox._deliver_in_background(no_tables, settings)  # must not raise
    no_tables.dispose()
    assert "outbox: delivery after a response failed" in caplog.text
    assert "no such table: outbox_mail" in caplog.text
