"""The outbox and its sender (docs/architecture.md, Mail).

Mail joins the outbox in the transaction of the change that causes it (``enqueue``), so it
leaves only if that change is committed. Each process runs one ``MailSender`` (started and stopped
with the application): the commit of a transaction that queued mail wakes it, and it sweeps on a
timer for retries; a request never waits for it. ``deliver_pending`` (also run by ``veille outbox
flush``) sends what is due over SMTP and tries failures again later with a growing delay.

Two senders (workers, hosts, the command line) never send the same mail: a sender *claims* due
mail before sending it, in one short transaction that moves each mail's ``next_attempt_at`` past
the time a send can take (a lease). On PostgreSQL the claim reads with ``FOR UPDATE SKIP LOCKED``,
so senders of other processes take other mail instead of waiting; on SQLite the claim holds the
single write lock. A sender that dies between the claim and the mark leaves the mail pending: it
is sent again once the lease is over (so a mail in flight at a crash may arrive twice).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address, ContentTypeHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine, Update, delete, event, func, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from veille.config import Settings
from veille.db import DbSession, is_busy, open_session
from veille.notifications.enums import OutboxStatus
from veille.notifications.models import OutboxAttachment, OutboxMail
from veille.orm import utcnow

log = logging.getLogger(__name__)

# The wait after the 1st, 2nd... failed attempt; the attempt after the last wait is the last one.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
SMTP_TIMEOUT = 30
# Mail claimed in one transaction: a batch is sent over one SMTP connection.
CLAIM_BATCH = 20
# The sender looks for due mail (retries, mail queued by another process) at least this often.
SWEEP_SECONDS = 30.0
_QUEUED = "veille_mail_queued"  # session.info key: this transaction queued mail
BUSY_ATTEMPTS = 10  # 0.2 s doubling to 10 s between them: about a minute
T = TypeVar("T")
SUBJECT_MAX = 500
KIND_MAX = 40
ERROR_MAX = 2000


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. 'text/calendar; method=REQUEST; charset=utf-8' or 'application/pdf'
    data: bytes


@dataclass(frozen=True)
class DeliveryResult:
    """What one ``deliver_pending`` run did."""

    sent: int = 0
    failed: int = 0  # given up in this run: refused for good, or its last attempt failed
    deferred: int = 0  # failed in this run, to be tried again later
    pending: int = 0  # still pending after the run, due now or later
    error: str | None = None  # why the run stopped early: the server could not be reached

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.deferred


# Writing to the outbox

# How long a mail delivered or given up stays in the outbox: a delivery question is asked
# within days, and a mail's text is a copy of what it tells (a report's title and place), which
# the purge of reports past their retention period cannot reach (``forget_delivered``).
KEPT_DAYS = 30

# A mail whose text opens an account (a password's link): its admin pages never show its text,
# or the admin, who reads no restricted report, would set the password of someone who does
# (the audit naming only that person).
RESET_LINK = "password_reset"
WITHHELD_KINDS = frozenset({RESET_LINK})


def enqueue(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    user_id: int | None = None,
    kind: str = "",
    due: datetime | None = None,
) -> OutboxMail:
    """Adds a mail to the outbox in the caller's transaction (no commit): it leaves only if
    the change that caused it is committed.

    A mail due now (``due`` left out) wakes the process's sender when that commit is made. One
    ``due`` later leaves no sooner, whatever wakes the sender meanwhile: its caller wakes the
    sender once it is due (``wake_sender``), or a sweep finds it. A forgotten password's link is
    due when its answer has gone, so that delivering it cannot slow that answer down (the time
    would tell that the address has an account).

    ``to`` is one address (``name@domain``); a bad address, kind, file name or content type is
    a programming error (ValueError). A subject is kept on one line and cut at 500 characters.
    """
    if len(kind) > KIND_MAX:
        raise ValueError(f"mail kind longer than {KIND_MAX} characters: {kind!r}")
    mail = OutboxMail(
        to_address=_checked_address(to),
        subject=_one_line(subject, SUBJECT_MAX),
        text=text,
        html=html,
        user_id=user_id,
        kind=kind,
    )
    if due is not None:
        mail.next_attempt_at = due
    mail.attachments = [
        OutboxAttachment(
            filename=_checked_filename(a.filename),
            content_type=_checked_content_type(a.content_type),
            data=bytes(a.data),
        )
        for a in attachments
    ]
    session.add(mail)
    session.flush()
    if due is None:
        wake_at_commit(session)
    return mail


def wake_at_commit(session: Session) -> None:
    """The commit of this session's transaction wakes the process's sender: it queued mail
    that is due now."""
    session.info[_QUEUED] = True


def _checked_address(address: str) -> str:
    address = address.strip()
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"invalid e-mail address {address!r}: {exc}") from exc
    if not parsed.username or not parsed.domain:
        raise ValueError(f"invalid e-mail address {address!r}")
    return parsed.addr_spec


_BLANKS = re.compile(r"[^\S\u00a0\u202f]+")


def _one_line(text: str, limit: int) -> str:
    """Every run of blanks and line breaks becomes one space, except the non-breaking spaces
    French typography puts before a colon ("Convocation : ...")."""
    line = _BLANKS.sub(" ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _checked_filename(filename: str) -> str:
    if not filename or len(filename) > 255 or any(c in filename for c in "/\\\r\n\0"):
        raise ValueError(f"invalid attachment file name {filename!r}")
    return filename


def _content_type(value: str) -> ContentTypeHeader:
    header = HeaderRegistry()("content-type", value)
    assert isinstance(header, ContentTypeHeader)
    return header


def _checked_content_type(value: str) -> str:
    header = _content_type(value)
    if getattr(header, "defects", ()) or header.maintype == "multipart" or any(c in value for c in "\r\n"):
        raise ValueError(f"invalid attachment content type {value!r}")
    return value


# Building a mail


def message_id(mail: OutboxMail, settings: Settings) -> str:
    """The same on every attempt, so that a receiver can tell a repeated delivery."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    stamp = int(mail.created_at.timestamp() * 1_000_000)
    return f"<veille.{mail.id}.{stamp}@{domain}>"


def headers(mail: OutboxMail, settings: Settings) -> list[tuple[str, str]]:
    """The mail's headers, as sent (and as shown in the admin pages)."""
    return [
        ("From", settings.mail_from),
        ("To", mail.to_address),
        ("Subject", mail.subject),
        ("Date", format_datetime(mail.created_at)),
        ("Message-ID", message_id(mail, settings)),
        # RFC 3834: an automatic mail, which vacation responders should not answer.
        ("Auto-Submitted", "auto-generated"),
    ]


def build_message(mail: OutboxMail, settings: Settings) -> EmailMessage:
    """The MIME message of a mail whose attachments are loaded.

    The text (and HTML) body comes first; each attachment follows as a part of its own. A
    ``text/calendar`` attachment keeps its ``method`` parameter: that part is what mail
    clients show as an invitation (iMIP, RFC 6047).
    """
    message = EmailMessage()
    for name, value in headers(mail, settings):
        message[name] = value
    message.set_content(mail.text, charset="utf-8", cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in mail.attachments:
        content_type = _content_type(attachment.content_type)
        params = dict(content_type.params)
        if content_type.maintype == "text":
            params.setdefault("charset", "utf-8")
        params.setdefault("name", attachment.filename)  # older clients read the name here
        message.add_attachment(
            attachment.data,
            maintype=content_type.maintype,
            subtype=content_type.subtype,
            filename=attachment.filename,
            params=params,
        )
    return message


# Delivering


class _SmtpConnection:
    """One SMTP session, opened at the first mail and reused for the next ones."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.client is None:
            self.client = self._connect()
        self.client.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        assert settings.smtp_host
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
        try:
            client.ehlo()
            if settings.smtp_starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
        except BaseException:
            client.close()
            raise
        return client

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def deliver_pending(engine: Engine, settings: Settings, *, limit: int = 200) -> DeliveryResult:
    """Sends the pending mail that is due (at most ``limit``) over SMTP.

    Mail is claimed in batches, then each is sent and marked in a short transaction of its own.
    A failed attempt is tried again after 1 min, 5 min, 30 min, 2 h and 12 h; the mail is marked
    failed after the sixth, or at once when the server refuses it for good (a 5xx answer to the
    recipient or to the message). When the server cannot be reached, the run stops: the rest of
    the batch is released for the next run. Without ``settings.smtp_host`` nothing happens.
    """
    if not settings.smtp_host:
        return DeliveryResult()
    counts = {OutboxStatus.sent: 0, OutboxStatus.failed: 0, OutboxStatus.pending: 0}
    stopped: str | None = None
    connection = _SmtpConnection(settings)
    lease = timedelta(seconds=settings.mail_lease_seconds)
    try:
        while stopped is None and sum(counts.values()) < limit:
            size = min(CLAIM_BATCH, limit - sum(counts.values()))
            batch = _persistently(partial(_claim, engine, size, lease))
            if not batch:
                break
            untried = list(batch)
            try:
                while untried and stopped is None:
                    outcome, stopped = _send_one(engine, settings, connection, untried.pop(0))
                    counts[outcome] += 1
            finally:
                # The server went away, or the database failed us: what was not tried is due
                # again at once rather than after its lease.
                _release(engine, untried)
    finally:
        connection.close()
    with open_session(engine) as session:
        pending = session.exec(
            select(func.count()).select_from(OutboxMail).where(OutboxMail.status == OutboxStatus.pending)
        ).one()
    result = DeliveryResult(
        sent=counts[OutboxStatus.sent],
        failed=counts[OutboxStatus.failed],
        deferred=counts[OutboxStatus.pending],
        pending=pending,
        error=stopped,
    )
    if result.attempted:
        log.info(
            "outbox: %s sent, %s failed, %s deferred, %s pending",
            result.sent,
            result.failed,
            result.deferred,
            result.pending,
        )
    if stopped:
        log.warning("outbox: delivery stopped: %s", stopped)
    return result


def _send_one(
    engine: Engine, settings: Settings, connection: _SmtpConnection, mail: OutboxMail
) -> tuple[OutboxStatus, str | None]:
    """Sends one claimed mail and records the outcome; the second value says why the run must
    stop (the server, not this mail, is the problem)."""
    try:
        message = build_message(mail, settings)
    except (ValueError, TypeError) as exc:
        return _record_failure(engine, mail, f"cannot build the message: {exc}", True), None
    try:
        connection.send(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, _text = next(iter(exc.recipients.values()), (0, b""))
        return _record_failure(engine, mail, _describe(exc), _permanent(code)), None
    except smtplib.SMTPDataError as exc:
        return _record_failure(engine, mail, _describe(exc), _permanent(exc.smtp_code)), None
    except (OSError, smtplib.SMTPException) as exc:
        # Unreachable, refused our login or sender, or gone mid-send: the next mails would
        # fail the same way.
        stopped = _describe(exc, settings)
        connection.close()
        return _record_failure(engine, mail, stopped, False), stopped
    _mark_sent(engine, mail)
    return OutboxStatus.sent, None


def _claim(engine: Engine, size: int, lease: timedelta) -> list[OutboxMail]:
    """Up to ``size`` due mails, with their attachments, now this sender's for ``lease``."""
    now = utcnow()
    with open_session(engine, write=True) as session:
        ids = session.exec(
            select(OutboxMail.id)
            .where(OutboxMail.status == OutboxStatus.pending, col(OutboxMail.next_attempt_at) <= now)
            .order_by(col(OutboxMail.next_attempt_at), col(OutboxMail.id))
            .limit(size)
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            return []
        session.exec(
            update(OutboxMail)
            .where(col(OutboxMail.id).in_(ids))
            .values(attempts=col(OutboxMail.attempts) + 1, next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        mails = session.exec(
            select(OutboxMail)
            .where(col(OutboxMail.id).in_(ids))
            .order_by(col(OutboxMail.id))
            .options(selectinload(OutboxMail.attachments))  # type: ignore[arg-type]
        ).all()
        session.commit()
    return list(mails)


def _release(engine: Engine, mails: Sequence[OutboxMail]) -> None:
    """Gives back claimed mail that was not tried, due now, its attempt not counted."""
    if not mails:
        return
    with open_session(engine) as session:
        session.exec(
            update(OutboxMail)
            .where(
                col(OutboxMail.id).in_([m.id for m in mails]), col(OutboxMail.status) == OutboxStatus.pending
            )
            .values(attempts=col(OutboxMail.attempts) - 1, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _describe(exc: BaseException, settings: Settings | None = None) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {_decode(reply)}" for code, reply in exc.recipients.values())
        message = f"recipient refused: {text}"
    elif isinstance(exc, smtplib.SMTPResponseException):
        message = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    else:
        message = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and settings is not None:
            message = f"{settings.smtp_host}:{settings.smtp_port}: {message}"
    return " ".join(message.split())[:ERROR_MAX]


def _decode(reply: Any) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _record_failure(engine: Engine, mail: OutboxMail, error: str, permanent: bool) -> OutboxStatus:
    """Schedules the next attempt, or gives up; answers the mail's new status."""
    gives_up = permanent or mail.attempts >= MAX_ATTEMPTS
    values: dict[str, Any] = {"last_error": error[:ERROR_MAX]}
    if gives_up:
        values["status"] = OutboxStatus.failed
    else:
        delay = RETRY_DELAYS[min(max(mail.attempts, 1), len(RETRY_DELAYS)) - 1]
        values["next_attempt_at"] = utcnow() + delay
    _update(engine, mail, values)
    return OutboxStatus.failed if gives_up else OutboxStatus.pending


def _mark_sent(engine: Engine, mail: OutboxMail) -> None:
    _update(engine, mail, {"status": OutboxStatus.sent, "sent_at": utcnow(), "last_error": None})


def _update(engine: Engine, mail: OutboxMail, values: dict[str, Any]) -> None:
    _write(engine, update(OutboxMail).where(col(OutboxMail.id) == mail.id).values(**values))


def _write(engine: Engine, statement: Update) -> None:
    """Runs one UPDATE of the outbox in its own transaction, waiting out a busy database: a mail
    the server accepted must be marked sent, or it would leave again after its lease."""

    def run() -> None:
        with open_session(engine) as session:
            session.exec(statement.execution_options(synchronize_session=False))
            session.commit()

    _persistently(run)


def _persistently(step: Callable[[], T]) -> T:
    """``step``, tried again while the database is busy (the requests' writes come first; the
    sender has nobody waiting on it), for about a minute at most."""
    delay = 0.2
    for _ in range(BUSY_ATTEMPTS - 1):
        try:
            return step()
        except Exception as exc:
            if not is_busy(exc):
                raise
            log.info("outbox: database busy, trying again in %.1f s", delay)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
    return step()


class MailSender:
    """The one sender of a process: a thread that delivers when woken and on a timer.

    ``wake`` is called when a transaction that queued mail due now commits (see
    ``_wake_on_commit``), so mail leaves within moments of the change, or by the caller of
    ``wake_sender`` once its mail is due; the thread sweeps every ``SWEEP_SECONDS`` for retries
    and for mail queued by other processes. Requests never wait for it.
    """

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.interval = min(SWEEP_SECONDS, max(settings.mail_lease_seconds / 2, 0.5))
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="veille-mail-sender", daemon=True)

    def start(self) -> None:
        _senders[self.engine] = self
        self._thread.start()

    def wake(self) -> None:
        self._woken.set()

    def stop(self, timeout: float = SMTP_TIMEOUT) -> None:
        """Ends the thread after the mail it is sending; what is left waits in the outbox."""
        _senders.pop(self.engine, None)
        self._stopping.set()
        self._woken.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._woken.wait(self.interval)
            self._woken.clear()
            if self._stopping.is_set():
                break
            try:
                while not self._stopping.is_set():
                    result = deliver_pending(self.engine, self.settings, limit=CLAIM_BATCH)
                    if result.error or result.attempted < CLAIM_BATCH:
                        break
            except Exception:
                # Nobody is left to tell: the mail stays in the outbox for the next sweep.
                log.exception("outbox: delivery failed")


_senders: weakref.WeakKeyDictionary[Engine, MailSender] = weakref.WeakKeyDictionary()


def wake_sender(engine: Engine) -> None:
    """Wakes this process's sender, if it runs one, to deliver what is due now."""
    sender = _senders.get(engine)
    if sender is not None:
        sender.wake()


@event.listens_for(DbSession, "after_commit")
def _wake_on_commit(session: Session) -> None:
    engine = session.info.get("engine")
    if session.info.pop(_QUEUED, False) and engine is not None:
        wake_sender(engine)


@event.listens_for(DbSession, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_QUEUED, None)


def forget_delivered(session: Session, *, now: datetime) -> int:
    """Deletes the mail delivered or given up more than ``KEPT_DAYS`` ago, with its attachments
    (``veille purge``); committed. Answers how many."""
    forgotten = session.exec(
        delete(OutboxMail).where(
            col(OutboxMail.status) != OutboxStatus.pending,
            col(OutboxMail.created_at) < now - timedelta(days=KEPT_DAYS),
        )
    ).rowcount
    session.commit()
    return int(forgotten or 0)
