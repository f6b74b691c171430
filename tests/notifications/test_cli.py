"""`veille outbox flush`: delivers pending mail now, counts, and one-line refusals (README.md,
Command line)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from veille import cli
from veille.cli import main
from veille.db import make_engine, open_session
from veille.notifications import service as outbox
from veille.notifications.enums import OutboxStatus
from veille.notifications.models import OutboxAttachment, OutboxMail
from veille.orm import utcnow

SECRET = "cli-test-secret-key-0123456789abcdefghij"


@pytest.fixture
def cli_engine(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database that the command's settings point at, and an engine on it."""
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    for name in ("HOST", "PORT", "USER", "PASSWORD", "STARTTLS"):
        monkeypatch.delenv(f"VEILLE_SMTP_{name}", raising=False)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def smtp_env(smtp_server, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VEILLE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(smtp_server.port))
    return smtp_server


def enqueue(engine: Engine, *addresses: str) -> None:
    with open_session(engine, write=True) as session:
        for address in addresses:
            outbox.enqueue(session, to=address, subject="Rappel : réunion de jeudi", text="À jeudi.")
        session.commit()


def statuses(engine: Engine) -> list[str]:
    with open_session(engine) as session:
        return [str(s) for s in session.exec(select(OutboxMail.status).order_by(OutboxMail.id)).all()]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Standard output, and the refusal: one line on standard error, no traceback."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("veille: error: ")
    return captured.out, lines[0]


@pytest.mark.parametrize("command", [["outbox"], ["outbox", "flush"]])
def test_outbox_commands_have_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: veille {' '.join(command)}")


def test_flush_without_smtp_is_refused_and_mail_waits(
    cli_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    enqueue(cli_engine, "nadia@example.org")
    assert main(["outbox", "flush"]) == 1
    _out, error = one_line_error(capsys)
    assert "VEILLE_SMTP_HOST" in error
    assert statuses(cli_engine) == ["pending"]


def test_flush_delivers_and_counts(cli_engine: Engine, smtp_env, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    smtp_env.refuse.add("parti@example.org")
    enqueue(cli_engine, "nadia@example.org", "parti@example.org", "marc@example.org")

    assert main(["outbox", "flush"]) == 0

    assert capsys.readouterr().out == "Sent 2, failed 1, left pending 0.\n"
    assert statuses(cli_engine) == ["sent", "failed", "sent"]
    assert sorted(m["To"] for m in smtp_env.messages) == ["marc@example.org", "nadia@example.org"]
    assert main(["outbox", "flush"]) == 0
    assert capsys.readouterr().out == "Sent 0, failed 0, left pending 0.\n"


def test_flush_goes_through_every_batch(
    cli_engine: Engine, smtp_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli.jobs, "FLUSH_BATCH", 2)
    enqueue(cli_engine, *(f"personne{n}@example.org" for n in range(5)))
    assert main(["outbox", "flush"]) == 0
    assert capsys.readouterr().out == "Sent 5, failed 0, left pending 0.\n"
    assert len(smtp_env.messages) == 5


def test_flush_with_the_server_down_says_so(
    cli_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("VEILLE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(port))
    enqueue(cli_engine, "nadia@example.org", "marc@example.org")

    assert main(["outbox", "flush"]) == 1

    out, error = one_line_error(capsys)
    assert out == "Sent 0, failed 0, left pending 2.\n"
    assert "could not be reached" in error
    assert f"127.0.0.1:{port}" in error
    assert statuses(cli_engine) == ["pending", "pending"]


def test_flush_on_a_database_not_migrated_is_refused(
    empty_database_url: str, smtp_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VEILLE_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    assert main(["outbox", "flush"]) == 1
    assert "veille db upgrade" in one_line_error(capsys)[1]


def test_flush_runs_as_the_real_command(cli_engine: Engine, smtp_env) -> None:  # type: ignore[no-untyped-def]
    enqueue(cli_engine, "nadia@example.org")
    result = subprocess.run(
        [sys.executable, "-m", "veille.cli", "outbox", "flush"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "Sent 1, failed 0, left pending 0.\n", "")
    assert [m["Subject"] for m in smtp_env.messages] == ["Rappel : réunion de jeudi"]
    assert statuses(cli_engine) == [OutboxStatus.sent]


def test_the_purge_forgets_the_mail_delivered_or_given_up_a_month_ago(
    cli_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mail's text copies a report's title and place, which the purge of the reports cannot
    reach: the outbox keeps them 30 days, a pending mail whatever its age (security review)."""
    assert main(["db", "upgrade"]) == 0
    enqueue(cli_engine, "old-sent@example.org", "old-failed@example.org", "old-pending@example.org")
    enqueue(cli_engine, "recent@example.org")
    long_ago = utcnow() - timedelta(days=outbox.KEPT_DAYS + 1)
    with open_session(cli_engine, write=True) as session:
        mails = session.exec(select(OutboxMail).order_by(OutboxMail.id)).all()
        for mail, status in zip(mails, ("sent", "failed", "pending", "sent"), strict=True):
            mail.status = OutboxStatus(status)
            mail.created_at = long_ago if mail.to_address.startswith("old") else mail.created_at
            session.add(mail)
        session.add(
            OutboxAttachment(
                mail_id=mails[0].id, filename="cr.pdf", content_type="application/pdf", data=b"x"
            )
        )
        session.commit()
    capsys.readouterr()
    assert main(["purge"]) == 0
    assert "Deleted 2 mail(s) of the outbox" in capsys.readouterr().out
    with open_session(cli_engine) as session:
        left = session.exec(select(OutboxMail.to_address).order_by(OutboxMail.id)).all()
        assert left == ["old-pending@example.org", "recent@example.org"]
        assert session.exec(select(OutboxAttachment)).all() == []
