"""The sender of a process: started with the application, woken by the commit of a change that
queued mail due now, sweeping on a timer, stopped with the application; requests never wait for
it. Mail due later leaves no sooner."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import SmtpServer
from veille.config import Settings
from veille.db import make_engine, open_session
from veille.notifications import service as outbox
from veille.notifications.enums import OutboxStatus
from veille.notifications.models import OutboxMail
from veille.orm import utcnow

SENDER = "veille-mail-sender"


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    # The sweep 30 s away (its longest): within a test, only a wake sends mail.
    return smtp_server.configure(settings, mail_lease_seconds=7200)


def _queue(engine: Engine, to: str, *, session: Session | None = None) -> None:
    """A change that queues a mail and commits, as a service does."""
    with session or open_session(engine) as writer:
        outbox.enqueue(writer, to=to, subject="Convocation : jeudi", text="Bonjour.")
        writer.commit()


def _senders() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == SENDER]


def test_a_commit_that_queued_mail_wakes_the_sender(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    sender = outbox.MailSender(engine, settings)
    sender.start()
    try:
        _queue(engine, "nadia@example.org")
        assert [m["To"] for m in smtp_server.wait_for(1)] == ["nadia@example.org"]
    finally:
        sender.stop()


def test_mail_due_later_does_not_leave_when_the_sender_is_woken_sooner(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    """A forgotten password's link is due once its answer has gone (account.service): another
    change's mail may wake the sender meanwhile."""
    sender = outbox.MailSender(engine, settings)
    sender.start()
    try:
        with open_session(engine) as session:
            due = utcnow() + timedelta(hours=1)
            later = outbox.enqueue(session, to="lien@example.org", subject="Lien", text="Bonjour.", due=due)
            session.commit()
        _queue(engine, "nadia@example.org")
        assert [m["To"] for m in smtp_server.wait_for(1)] == ["nadia@example.org"]
    finally:
        sender.stop()
    with open_session(engine) as session:
        mail = session.get(OutboxMail, later.id)
        assert mail is not None and (mail.status, mail.attempts) == (OutboxStatus.pending, 0)
    assert [m["To"] for m in smtp_server.received] == ["nadia@example.org"]


def test_a_rolled_back_change_sends_nothing(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    sender = outbox.MailSender(engine, settings)
    sender.start()
    try:
        with open_session(engine) as session:
            outbox.enqueue(session, to="nadia@example.org", subject="Annulée", text="Bonjour.")
            session.rollback()
        _queue(engine, "bruno@example.org")
        assert [m["To"] for m in smtp_server.wait_for(1)] == ["bruno@example.org"]
    finally:
        sender.stop()
    assert [m["To"] for m in smtp_server.received] == ["bruno@example.org"]


def test_mail_queued_by_another_process_leaves_on_the_sweep(
    engine: Engine, settings: Settings, smtp_server: SmtpServer
) -> None:
    sender = outbox.MailSender(engine, settings.model_copy(update={"mail_lease_seconds": 2}))
    assert sender.interval == 1
    sender.start()
    try:
        _queue(engine, "tania@example.org", session=Session(engine))  # wakes no sender here
        assert [m["To"] for m in smtp_server.wait_for(1)] == ["tania@example.org"]
    finally:
        sender.stop()


def test_the_application_runs_one_sender_from_start_to_stop(
    app: FastAPI, client_for: Any, smtp_server: SmtpServer
) -> None:
    with client_for(None):
        assert _senders() == [SENDER]
        _queue(app.state.engine, "nadia@example.org")
        smtp_server.wait_for(1)
    assert _senders() == []


def test_no_sender_without_smtp(app: FastAPI, client_for: Any) -> None:
    app.state.settings = app.state.settings.model_copy(update={"smtp_host": None})
    with client_for(None):
        assert _senders() == []


def test_a_failed_mail_sent_again_by_an_admin_leaves_at_once(
    world: Any, session: Session, client_for: Any, smtp_server: SmtpServer
) -> None:
    mail = outbox.enqueue(session, to="nadia@example.org", subject="Convocation : jeudi", text="Bonjour.")
    mail.status = OutboxStatus.failed
    session.commit()
    with client_for(world.admin) as client:
        response = client.form(f"/admin/outbox/{mail.id}/retry")
        assert response.status_code == 303
        assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Convocation : jeudi"]
    session.rollback()
    sent = session.get(OutboxMail, mail.id, populate_existing=True)
    assert sent is not None and (sent.status, sent.attempts) == (OutboxStatus.sent, 1)


class _Waiter(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


def test_a_delivery_error_is_logged_and_the_sender_goes_on(settings: Settings, tmp_path: Any) -> None:
    no_tables = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    waiter = _Waiter("outbox: delivery failed")
    logger = logging.getLogger("veille.notifications.service")
    logger.addHandler(waiter)
    sender = outbox.MailSender(no_tables, settings)
    sender.start()
    try:
        sender.wake()
        assert waiter.seen.wait(10)
        assert _senders() == [SENDER]
    finally:
        sender.stop()
        logger.removeHandler(waiter)
        no_tables.dispose()
