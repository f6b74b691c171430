"""The outbox and its sender, against a real SMTP server (aiosmtpd) on both database engines."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import threading
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from tests.conftest import running_smtp_server
from veille.directory.models import Sector
from veille.notifications import service as outbox
from veille.notifications.enums import OutboxStatus
from veille.notifications.models import OutboxAttachment, OutboxMail
from veille.notifications.service import Attachment, DeliveryResult, deliver_pending
from veille.orm import utcnow

TO = "nadia.haddad@loire-habitat.example"
SUBJECT = "Convocation : cellule de veille du 12 mars – Centre-ville"
TEXT = "Bonjour Nadia,\n\nVous êtes convoquée à la cellule de veille du jeudi 12 mars à 9 h 30.\n"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Veille//FR\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:meeting-1@veille\r\nDTSTART:20260312T083000Z\r\n"
    "SUMMARY:Cellule de veille – Centre-ville\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()
INVITE = Attachment("invite.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS)
AGENDA = Attachment("ordre-du-jour-réunion.pdf", "application/pdf", b"%PDF-1.7\n\x00\xff binary")


def enqueue(session, **fields):  # type: ignore[no-untyped-def]
    """A mail written and committed, as a service's change would be."""
    session.commit()
    mail = outbox.enqueue(session, **({"to": TO, "subject": SUBJECT, "text": TEXT} | fields))
    session.commit()
    return mail


def reload(session, mail_id):  # type: ignore[no-untyped-def]
    session.rollback()  # end the test's snapshot: see what the sender wrote
    return session.get(OutboxMail, mail_id, populate_existing=True)


def make_due(session, *mail_ids):  # type: ignore[no-untyped-def]
    """Time passes: the next attempt is due now."""
    session.rollback()
    session.exec(
        update(OutboxMail)
        .where(col(OutboxMail.id).in_(mail_ids))
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unreachable(settings):  # type: ignore[no-untyped-def]
    """Settings whose SMTP server is down (nothing listens on the port)."""
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": closed_port()})


def test_mail_leaves_with_its_headers_body_and_calendar_invitation(
    session, engine, factory, settings_with_smtp, smtp_server
):
    user = factory.user("Nadia Haddad", email=TO)
    mail = enqueue(
        session,
        html="<p>Bonjour Nadia,</p>",
        attachments=[INVITE, AGENDA],
        user_id=user.id,
        kind="meeting_convocation",
    )

    result = deliver_pending(engine, settings_with_smtp)

    assert result == DeliveryResult(sent=1, failed=0, deferred=0, pending=0, error=None)
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "veille@localhost"
    assert envelope.rcpt_tos == [TO]
    head = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # the French subject travels encoded (RFC 2047)
    [message] = smtp_server.messages
    assert message["From"] == "veille@localhost"
    assert message["To"] == TO
    assert message["Subject"] == SUBJECT
    assert message["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(rf"<veille\.{mail.id}\.\d+@localhost>", message["Message-ID"])
    assert abs(parsedate_to_datetime(message["Date"]) - mail.created_at) < timedelta(seconds=1)
    assert message.get_body(("plain",)).get_content() == TEXT
    assert message.get_body(("html",)).get_content().strip() == "<p>Bonjour Nadia,</p>"

    calendar, pdf = message.iter_attachments()
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_filename() == "invite.ics"
    assert calendar.get_content().encode() == ICS
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "ordre-du-jour-réunion.pdf"
    assert pdf.get_content() == AGENDA.data

    sent = reload(session, mail.id)
    assert sent.status == OutboxStatus.sent
    assert sent.attempts == 1
    assert sent.sent_at is not None
    assert sent.last_error is None
    assert sent.user_id == user.id
    # Sent once: another run has nothing to do.
    assert deliver_pending(engine, settings_with_smtp).attempted == 0
    assert len(smtp_server.messages) == 1


def test_without_smtp_host_mail_stays_in_the_outbox(session, engine, settings, smtp_server):
    mail = enqueue(session)
    assert settings.smtp_host is None

    assert deliver_pending(engine, settings) == DeliveryResult()

    kept = reload(session, mail.id)
    assert kept.status == OutboxStatus.pending
    assert kept.attempts == 0
    assert smtp_server.messages == []


def test_unreachable_server_defers_the_mail_and_it_leaves_later(
    session, engine, unreachable, settings_with_smtp, smtp_server
):
    first, second, third = (enqueue(session, to=f"personne{n}@example.org") for n in range(3))
    started = utcnow()

    result = deliver_pending(engine, unreachable)

    # The run stops at the first failure: the server, not the mail, is the problem.
    assert (result.sent, result.failed, result.deferred, result.pending) == (0, 0, 1, 3)
    assert result.error and f"127.0.0.1:{unreachable.smtp_port}" in result.error
    deferred = reload(session, first.id)
    assert deferred.status == OutboxStatus.pending
    assert deferred.attempts == 1
    assert deferred.last_error == result.error
    assert started + timedelta(minutes=1) <= deferred.next_attempt_at <= utcnow() + timedelta(minutes=1)
    assert reload(session, second.id).attempts == reload(session, third.id).attempts == 0

    # Once the server is back, the others leave at once; the deferred one when its time comes.
    result = deliver_pending(engine, settings_with_smtp)
    assert (result.sent, result.pending) == (2, 1)
    make_due(session, first.id)
    assert deliver_pending(engine, settings_with_smtp).sent == 1
    sent = reload(session, first.id)
    assert sent.status == OutboxStatus.sent
    assert sent.attempts == 2
    assert sent.last_error is None
    assert sorted(m["To"] for m in smtp_server.messages) == [f"personne{n}@example.org" for n in range(3)]


def test_failures_wait_longer_each_time_then_the_mail_is_failed(
    session, engine, unreachable, settings_with_smtp, smtp_server
):
    assert [d / timedelta(minutes=1) for d in outbox.RETRY_DELAYS] == [1, 5, 30, 120, 720]
    assert outbox.MAX_ATTEMPTS == 6
    mail = enqueue(session)
    for attempt, delay in enumerate(outbox.RETRY_DELAYS, start=1):
        started = utcnow()
        assert deliver_pending(engine, unreachable).deferred == 1
        row = reload(session, mail.id)
        assert (row.status, row.attempts) == (OutboxStatus.pending, attempt)
        assert started + delay <= row.next_attempt_at <= utcnow() + delay
        make_due(session, mail.id)

    result = deliver_pending(engine, unreachable)

    assert (result.failed, result.deferred, result.pending) == (1, 0, 0)
    failed = reload(session, mail.id)
    assert failed.status == OutboxStatus.failed
    assert failed.attempts == outbox.MAX_ATTEMPTS
    assert failed.last_error
    # A failed mail is not tried again, even once the server is back.
    make_due(session, mail.id)
    assert deliver_pending(engine, settings_with_smtp).attempted == 0
    assert smtp_server.messages == []


def test_recipient_refused_for_good_fails_at_once_and_the_run_goes_on(
    session, engine, settings_with_smtp, smtp_server
):
    smtp_server.refuse.add("parti@example.org")
    refused = enqueue(session, to="parti@example.org")
    accepted = enqueue(session, to="reste@example.org")

    result = deliver_pending(engine, settings_with_smtp)

    assert (result.sent, result.failed, result.deferred, result.error) == (1, 1, 0, None)
    failed = reload(session, refused.id)
    assert failed.status == OutboxStatus.failed
    assert failed.attempts == 1
    assert failed.last_error is not None
    assert "550" in failed.last_error
    assert reload(session, accepted.id).status == OutboxStatus.sent
    assert [m["To"] for m in smtp_server.messages] == ["reste@example.org"]


def test_mail_of_a_rolled_back_change_is_never_sent(session, engine, settings_with_smtp, smtp_server):
    session.add(Sector(name="Quartier Nord", code="NORD", commune_id=1))
    outbox.enqueue(session, to=TO, subject=SUBJECT, text=TEXT, attachments=[INVITE])
    session.rollback()  # the change failed: its mail goes with it

    assert deliver_pending(engine, settings_with_smtp).attempted == 0
    assert smtp_server.messages == []
    assert session.exec(select(func.count()).select_from(OutboxMail)).one() == 0
    assert session.exec(select(func.count()).select_from(OutboxAttachment)).one() == 0


def test_two_senders_at_once_never_send_a_mail_twice(session, engine, settings_with_smtp, smtp_server):
    count = 3 * outbox.CLAIM_BATCH  # more than one claim: both senders take batches
    mails = [enqueue(session, to=f"personne{n}@example.org") for n in range(count)]
    smtp_server.delay = 0.01  # sends overlap
    barrier = threading.Barrier(2)
    results: list[DeliveryResult] = []
    errors: list[BaseException] = []

    def sender() -> None:
        barrier.wait()
        try:
            results.append(deliver_pending(engine, settings_with_smtp))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(results) == 2
    assert all(r.sent for r in results)  # both took part: each skipped what the other claimed
    assert sum(r.sent for r in results) == count
    assert len(smtp_server.messages) == count
    assert len({m["Message-ID"] for m in smtp_server.messages}) == count
    for mail in mails:
        row = reload(session, mail.id)
        assert (row.status, row.attempts) == (OutboxStatus.sent, 1)


def test_limit_bounds_one_run(session, engine, settings_with_smtp, smtp_server):
    for n in range(3):
        enqueue(session, to=f"personne{n}@example.org")
    result = deliver_pending(engine, settings_with_smtp, limit=2)
    assert (result.sent, result.pending) == (2, 1)


def test_sender_logs_in_when_a_user_is_set(session, engine, settings, smtp_server):
    smtp_server.credentials = ("veille", "mot de passe smtp")
    enqueue(session)
    good = smtp_server.configure(settings, smtp_user="veille", smtp_password="mot de passe smtp")
    assert deliver_pending(engine, good).sent == 1
    assert smtp_server.logins == ["veille"]


def test_refused_login_defers_the_mail(session, engine, settings, smtp_server):
    smtp_server.credentials = ("veille", "mot de passe smtp")
    mail = enqueue(session)
    bad = smtp_server.configure(settings, smtp_user="veille", smtp_password="faux")

    result = deliver_pending(engine, bad)

    assert (result.deferred, result.sent) == (1, 0)
    assert result.error and result.error.startswith("535")
    assert reload(session, mail.id).status == OutboxStatus.pending
    assert smtp_server.messages == []


@pytest.fixture
def tls_smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An SMTP server that requires STARTTLS, with a certificate the sender trusts."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert)),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read by ssl.create_default_context()
    with running_smtp_server(tls_context=context, require_starttls=True) as server:
        yield server


def test_starttls_is_used_when_configured(session, engine, settings, tls_smtp_server):
    mail = enqueue(session)
    plain = tls_smtp_server.configure(settings)
    result = deliver_pending(engine, plain)
    assert result.deferred == 1  # the server wants STARTTLS first
    assert result.error and result.error.startswith("530")

    make_due(session, mail.id)
    assert deliver_pending(engine, tls_smtp_server.configure(settings, smtp_starttls=True)).sent == 1
    assert [m["Subject"] for m in tls_smtp_server.messages] == [SUBJECT]


def test_untrusted_certificate_is_refused(session, engine, settings, tls_smtp_server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    enqueue(session)
    result = deliver_pending(engine, tls_smtp_server.configure(settings, smtp_starttls=True))
    assert result.deferred == 1
    assert result.error and "CERTIFICATE_VERIFY_FAILED" in result.error
    assert tls_smtp_server.messages == []


@pytest.mark.parametrize(
    "fields",
    [
        {"to": "not an address"},
        {"to": "nadia@example.org, autre@example.org"},
        {"to": "nadia@example.org\r\nBcc: autre@example.org"},
        {"to": ""},
        {"kind": "k" * 41},
        {"attachments": [Attachment("../invite.ics", "text/calendar", b"")]},
        {"attachments": [Attachment("invite.ics", "not a type", b"")]},
        {"attachments": [Attachment("mix.eml", "multipart/mixed", b"")]},
    ],
)
def test_enqueue_refuses_what_cannot_be_sent(session, fields):
    with pytest.raises(ValueError, match=r"invalid|longer"):
        outbox.enqueue(session, **({"to": TO, "subject": SUBJECT, "text": TEXT} | fields))


def test_subject_is_kept_on_one_line_and_cut(session):
    subject = "Convocation\r\nBcc: x@example.org " + "é" * 600
    mail = outbox.enqueue(session, to=f"  {TO} ", subject=subject, text="")
    assert mail.to_address == TO
    assert "\n" not in mail.subject
    assert mail.subject.startswith("Convocation Bcc: x@example.org é")
    assert len(mail.subject) == 500
    assert mail.subject.endswith("…")
    assert mail.id is not None  # written to the caller's transaction, not committed
    session.rollback()
