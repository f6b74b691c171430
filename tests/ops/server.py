"""Real ``veille serve`` processes and a real SMTP server, for the operations tests (tests/ops)
and the load test (scripts/loadtest.py).

- ``ServerProcess``: ``veille serve`` as a subprocess on a free local port, in a process group
  of its own (``--workers N`` forks), waited for until ``/healthz`` answers and every worker has
  started; ``kill()`` sends SIGKILL to the whole group, ``stop()`` SIGTERM then SIGKILL.
- ``MailSink``: aiosmtpd on a free local port that counts what it receives by Message-ID. A
  mail counts as received as soon as its data has arrived, *before* the server answers: with
  ``delay``, the answer waits, and a sender killed meanwhile has delivered a mail it never
  heard accepted (as a real mail server can have).
- ``wait_for``: polls a condition until it holds, within a time limit.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from veille.notifications.models import OutboxMail

HOST = "127.0.0.1"
STARTED = "Application startup complete."
# A bound, not a wait: a start takes seconds (each worker imports the app), more on a busy host.
START_TIMEOUT = 120.0
# <veille.{outbox id}.{stamp}@{domain}>: see veille.notifications.service.message_id.
VEILLE_MESSAGE_ID = re.compile(r"<veille\.(\d+)\.(\d+)@[^>]+>")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05) -> T:
    """Calls ``condition`` until it answers something true, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: still not the case after {timeout:g} s")
        time.sleep(interval)


def veille_command() -> list[str]:
    """The ``veille`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("veille")
    return [str(script)] if script.exists() else [sys.executable, "-m", "veille.cli"]


def server_env(
    database_url: str,
    *,
    secret_key: str,
    data_dir: Path,
    smtp: tuple[str, int] | None = None,
    **settings: object,
) -> dict[str, str]:
    """The environment of a server: this one without its VEILLE_* variables, plus these
    settings (``mail_lease_seconds=2`` gives VEILLE_MAIL_LEASE_SECONDS=2)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VEILLE_")}
    env["VEILLE_DATABASE_URL"] = database_url
    env["VEILLE_SECRET_KEY"] = secret_key
    env["VEILLE_DATA_DIR"] = str(data_dir)
    if smtp is not None:
        env["VEILLE_SMTP_HOST"], env["VEILLE_SMTP_PORT"] = smtp[0], str(smtp[1])
    for name, value in settings.items():
        env[f"VEILLE_{name.upper()}"] = str(value)
    return env


class ServerProcess:
    """``veille serve`` on 127.0.0.1; its output goes to ``log_path`` (appended on restarts)."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        log_path: Path,
        workers: int = 1,
        port: int | None = None,
        options: Sequence[str] = (),
    ):
        self.env = dict(env)
        self.options = list(options)  # more of ``veille serve``'s options
        self.log_path = log_path
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.start_seconds = 0.0  # spent in start(), all starts together
        self._log_offset = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Starts the server and waits until it serves (migrations run first); one that does not
        is killed, workers with it (``with`` calls no ``__exit__`` when ``__enter__`` fails)."""
        began = time.monotonic()
        self.launch()
        try:
            self.wait_up(timeout)
        except BaseException:
            self.kill()
            raise
        self.start_seconds += time.monotonic() - began
        return self

    def launch(self) -> None:
        """Starts the server without waiting for it (see ``wait_up``)."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        command = [
            *veille_command(),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            *self.options,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches every worker
            )
        self.starts += 1

    def wait_up(self, timeout: float) -> None:
        """Until /healthz answers and every worker has logged its start."""

        def up() -> bool:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                raise RuntimeError(f"veille serve exited ({code}) while starting:\n{self.log_tail()}")
            if self.log_since_start().count(STARTED) < self.workers:
                return False
            try:
                return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(up, timeout=timeout, what=f"veille serve on port {self.port}", interval=0.1)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n{self.log_tail()}") from None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the server and its workers: no shutdown, no cleanup."""
        self._signal(signal.SIGKILL)
        self._reap(10)

    def stop(self, timeout: float = 15.0) -> None:
        """A graceful stop (SIGTERM), then SIGKILL if it takes longer than ``timeout``."""
        if not self.running:
            self._reap(0)
            return
        self._signal(signal.SIGTERM)
        try:
            self._reap(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, signum: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the group it leads (start_new_session)
            os.killpg(self.process.pid, signum)

    def _reap(self, timeout: float) -> None:
        if self.process is not None:
            self.process.wait(timeout=timeout)
            if self.workers > 1:  # the workers, orphaned by a SIGKILL, may outlive their parent
                wait_for(self._group_gone, timeout=10, what="the server's workers to exit")

    def _group_gone(self) -> bool:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False

    def log_since_start(self) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class _SinkHandler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.content)
        message_id = str(headers.get("Message-ID", "")).strip()
        with self.sink.lock:
            self.sink.received.append(message_id)
            self.sink.recipients += len(envelope.rcpt_tos)
            self.sink.in_flight += 1
        try:
            if self.sink.delay:
                await asyncio.sleep(self.sink.delay)
        finally:
            with self.sink.lock:
                self.sink.in_flight -= 1
        return "250 Message accepted for delivery"


class MailSink:
    """A real SMTP server (aiosmtpd) that keeps the Message-ID of each mail it receives."""

    def __init__(self, delay: float = 0.0) -> None:
        self.host = HOST
        self.port = free_port()
        self.delay = delay
        self.lock = threading.Lock()
        self.received: list[str] = []
        self.recipients = 0
        self.in_flight = 0  # mails whose data arrived and whose answer is not sent yet
        self._controller: Any = None

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def start(self) -> MailSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(_SinkHandler(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def outbox_ids(self) -> Counter[int]:
        """How many times each outbox mail arrived (by the id in its Message-ID)."""
        with self.lock:
            ids = list(self.received)
        counts: Counter[int] = Counter()
        for message_id in ids:
            match = VEILLE_MESSAGE_ID.fullmatch(message_id)
            counts[int(match.group(1)) if match else -1] += 1
        return counts

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()


# The outbox, as the database holds it


@dataclass
class MailCheck:
    """The outbox against what the SMTP server received."""

    status_of: dict[int, str]  # outbox id -> status
    received: Counter[int]  # per outbox id (-1: a mail that is not Veille's)

    @property
    def statuses(self) -> Counter[str]:
        return Counter(self.status_of.values())

    @property
    def sent_ids(self) -> set[int]:
        return {i for i, status in self.status_of.items() if status == "sent"}

    @property
    def waiting(self) -> int:
        return sum(n for status, n in self.statuses.items() if status not in ("sent", "failed"))

    @property
    def missing(self) -> list[int]:
        """Marked sent, never received."""
        return sorted(i for i in self.sent_ids if not self.received[i])

    @property
    def unmarked(self) -> list[int]:
        """Received, and not marked sent: sent again once their lease is over."""
        return sorted(i for i in self.received if i in self.status_of and self.status_of[i] != "sent")

    @property
    def unknown(self) -> list[int]:
        """Received, and not in the outbox."""
        return sorted(i for i in self.received if i not in self.status_of)

    @property
    def duplicates(self) -> dict[int, int]:
        return {i: n for i, n in sorted(self.received.items()) if n > 1}

    def problems(self, *, duplicates_allowed: int = 0) -> list[str]:
        found = []
        if self.waiting:
            found.append(f"{self.waiting} mail(s) still waiting in the outbox")
        if self.statuses.get("failed"):
            found.append(f"{self.statuses['failed']} mail(s) failed")
        if self.missing:
            found.append(f"{len(self.missing)} mail(s) marked sent but never received: {self.missing[:10]}")
        if self.unmarked:
            found.append(
                f"{len(self.unmarked)} mail(s) received but not marked sent (they would go out again): "
                f"{self.unmarked[:10]}"
            )
        if self.unknown:
            found.append(f"{len(self.unknown)} received mail(s) not in the outbox: {self.unknown[:10]}")
        extra = sum(n - 1 for n in self.duplicates.values())
        if extra > duplicates_allowed:
            shown = dict(list(self.duplicates.items())[:10])
            found.append(f"{extra} mail(s) received more than once (id: times): {shown}")
        return found

    def summary(self) -> str:
        statuses = ", ".join(f"{n} {status}" for status, n in sorted(self.statuses.items())) or "empty"
        extra = sum(n - 1 for n in self.duplicates.values())
        return f"outbox: {statuses}; received {self.received.total()}, {extra} duplicate(s)"


def outbox_statuses(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMail.status, func.count()).group_by(col(OutboxMail.status))).all()
    return {str(status): int(count) for status, count in rows}


def mail_waiting(engine: Engine) -> int:
    """Mails neither sent nor given up (pending, or claimed by a sender)."""
    return sum(n for status, n in outbox_statuses(engine).items() if status not in ("sent", "failed"))


def check_mail(engine: Engine, sink: MailSink) -> MailCheck:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMail.id, OutboxMail.status)).all()
    return MailCheck(
        status_of={i: str(status) for i, status in rows if i is not None}, received=sink.outbox_ids()
    )
