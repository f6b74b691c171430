"""`veille digest` and `veille purge`: what cron runs every day (docs/operations.md)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.cli import main
from veille.orm import utcnow
from veille.situations.enums import SituationStatus
from veille.situations.models import Situation

SECRET = "cli-test-secret-key-0123456789abcdefghij"


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The command's settings point at this test's database."""
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path / "files"))
    return database_url


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("veille: error: ")
    return lines[0]


@pytest.mark.parametrize("command", ["digest", "purge"])
def test_the_commands_have_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: veille {command}")


def test_veille_digest_queues_and_delivers_the_digests_once(
    world: World,
    factory: Factory,
    cli_env: str,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VEILLE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(smtp_server.port))
    factory.situation(
        world.body, world.chair, "Rodéos parking Leclerc", created_at=utcnow() - timedelta(hours=1)
    )

    assert main(["digest"]) == 0
    assert capsys.readouterr().out == "Queued 2 digest(s) of new reports.\n"
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [world.secretary.email, world.member.email]
    )
    assert main(["digest"]) == 0
    assert capsys.readouterr().out == "Queued 0 digest(s) of new reports.\n"
    assert len(smtp_server.messages) == 2


def test_veille_purge_anonymises_and_says_how_many(
    world: World, factory: Factory, session: Session, cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = factory.situation(world.body, world.member, "Squat du hall B", status=SituationStatus.resolved)
    old.resolved_at = utcnow() - relativedelta(months=12, days=1)
    factory._save(old)
    factory.situation(world.body, world.member, "Récent", status=SituationStatus.resolved)

    assert main(["purge"]) == 0
    assert capsys.readouterr().out.startswith("Anonymised 1 report(s) resolved more than 12 month(s) ago.\n")
    session.expire_all()
    assert (
        session.exec(select(Situation.title).where(Situation.id == old.id)).one() == "Signalement anonymisé"
    )
    assert main(["purge"]) == 0
    assert capsys.readouterr().out.startswith("Anonymised 0 report(s)")


@pytest.mark.parametrize("command", ["digest", "purge"])
def test_a_database_not_up_to_date_is_refused_in_one_line(
    command: str,
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    monkeypatch.chdir(tmp_path)
    assert main([command]) == 1
    assert "veille db upgrade" in one_line_error(capsys)


def test_a_bad_retention_setting_is_refused_in_one_line(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_RETENTION_MONTHS", "0")
    assert main(["purge"]) == 1
    assert "VEILLE_RETENTION_MONTHS" in one_line_error(capsys)
