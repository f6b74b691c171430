"""The `veille` command: help, migrations, demo, accounts, and one-line refusals (README.md, Command line)."""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import inspect
from sqlmodel import select

from veille.auth.service import verify_password
from veille.cli import main
from veille.cli.serve import settled
from veille.db import make_engine, open_session
from veille.directory.models import User

SECRET = "cli-test-secret-key-0123456789abcdefghij"
PASSWORD = "a long enough password"
UNREACHABLE = "postgresql+psycopg://veille:veille@127.0.0.1:1/veille"


@pytest.fixture
def cli_db(empty_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """An empty database that the command's settings point at."""
    monkeypatch.setenv("VEILLE_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    monkeypatch.chdir(tmp_path)
    return empty_database_url


@pytest.fixture
def with_organisation(cli_db: str) -> str:
    assert main(["db", "upgrade"]) == 0
    assert main(["organisation", "create", "Loire Habitat", "--kind", "housing_provider"]) == 0
    return cli_db


def run(args: list[str], *, stdin: str = "", env: dict[str, str] | None = None) -> tuple[int, str]:
    """Runs ``python -m veille.cli`` as an operator would; answers exit code and output."""
    result = subprocess.run(
        [sys.executable, "-m", "veille.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def with_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The refusal: exactly one line on standard error, no traceback."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("veille: error: ")
    return lines[0]


def create_user(
    *, organisation: str = "loire habitat", role: str = "member", email: str = "nadia@valmont.example"
) -> int:
    return main(
        ["user", "create", email, "--name", "Nadia Haddad", "--organisation", organisation, "--role", role]
    )


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["serve"],
        ["db"],
        ["db", "upgrade"],
        ["db", "downgrade"],
        ["db", "current"],
        ["demo"],
        ["user"],
        ["user", "create"],
        ["organisation", "list"],
        ["organisation", "create"],
    ],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(['veille', *command])}")
    assert "--help" in out


def test_help_runs_as_a_module() -> None:
    code, output = run(["--help"])
    assert code == 0
    for command in ("serve", "db", "demo", "user"):
        assert command in output


def test_no_command_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "required" in one_line_error(capsys)


def test_db_upgrade_downgrade_and_upgrade_again(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(cli_db)
    try:
        assert main(["db", "upgrade"]) == 0
        assert "user" in inspect(engine).get_table_names()
        assert main(["db", "current"]) == 0
        assert "up to date" in capsys.readouterr().out

        assert main(["db", "downgrade", "base"]) == 0
        assert "user" not in inspect(engine).get_table_names()
        assert main(["db", "current"]) == 4  # a deployment's check fails until it is upgraded
        assert "pending" in capsys.readouterr().out

        assert main(["db", "upgrade"]) == 0
        assert "user" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_downgrade_to_an_unknown_revision_is_refused(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["db", "downgrade", "nope"]) == 1
    assert "nope" in one_line_error(capsys)


def test_demo_loads_into_an_empty_database_then_refuses(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "veille-demo-2026" in out
    assert "julien.roche@valmont.example" in out

    assert main(["demo"]) == 1
    assert "already holds accounts" in one_line_error(capsys)


def test_user_create_reads_the_password_from_stdin(with_organisation: str) -> None:
    code, output = run(
        [
            "user",
            "create",
            "Nadia.Haddad@Valmont.example",
            "--name",
            "Nadia Haddad",
            "--organisation",
            "LOIRE HABITAT",
            "--role",
            "coordinator",
            "--language",
            "en",
        ],
        stdin=PASSWORD + "\n",
    )
    assert code == 0, output
    assert "nadia.haddad@valmont.example" in output

    engine = make_engine(with_organisation)
    try:
        with open_session(engine) as session:
            user = session.exec(select(User)).one()
    finally:
        engine.dispose()
    assert user.email == "nadia.haddad@valmont.example"
    assert user.role == "coordinator"
    assert user.language == "en"
    assert verify_password(user.password_hash, PASSWORD)
    assert not verify_password(user.password_hash, PASSWORD + "\n")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_user_create_asks_the_password_twice_on_a_terminal(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([PASSWORD, PASSWORD + "typo", PASSWORD, PASSWORD])
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("veille.cli.people.getpass.getpass", lambda prompt="": next(answers))
    assert create_user() == 1
    assert "passwords differ" in one_line_error(capsys)
    assert create_user() == 0


def test_user_create_accepts_the_organisation_id(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_stdin(monkeypatch, PASSWORD + "\n")
    assert create_user(organisation="1") == 0


def test_unknown_organisation_is_refused(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_stdin(monkeypatch, PASSWORD + "\n")
    assert create_user(organisation="Bailleur inconnu") == 1
    assert "unknown organisation 'Bailleur inconnu'" in one_line_error(capsys)


def test_short_password_is_refused(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_stdin(monkeypatch, "short\n")
    assert create_user() == 1
    assert "at least 12 characters" in one_line_error(capsys)


def test_missing_password_is_refused(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_stdin(monkeypatch, "")
    assert create_user() == 1
    assert "no password" in one_line_error(capsys)


def test_duplicate_email_is_refused(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_stdin(monkeypatch, PASSWORD + "\n")
    assert create_user() == 0
    capsys.readouterr()
    with_stdin(monkeypatch, PASSWORD + "\n")
    assert create_user(role="admin", email="NADIA@valmont.example") == 1
    assert "already uses this address" in one_line_error(capsys)


def test_invalid_email_is_refused(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_stdin(monkeypatch, PASSWORD + "\n")
    assert create_user(email="not-an-address") == 1
    assert "invalid e-mail address" in one_line_error(capsys)


def test_bad_role_is_refused(
    with_organisation: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_stdin(monkeypatch, PASSWORD + "\n")
    assert create_user(role="mayor") == 2
    assert "invalid choice: 'mayor'" in one_line_error(capsys)


def test_user_create_on_a_database_not_migrated_is_refused(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_stdin(monkeypatch, PASSWORD + "\n")
    assert create_user() == 1
    assert "veille db upgrade" in one_line_error(capsys)


def test_organisation_list_shows_names_and_ids(
    with_organisation: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["organisation", "list"]) == 0
    assert "Loire Habitat" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["demo"],
        ["user", "create", "a@valmont.example", "--name", "A", "--organisation", "1", "--role", "member"],
    ],
)
def test_postgresql_without_secret_key_is_refused(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", UNREACHABLE)
    monkeypatch.delenv("VEILLE_SECRET_KEY", raising=False)
    assert main(command) == 1
    assert "VEILLE_SECRET_KEY is required" in one_line_error(capsys)


def test_an_invalid_setting_is_refused_in_its_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    monkeypatch.setenv("VEILLE_TIMEZONE", "Mars/Olympus")
    assert main(["db", "current"]) == 1
    assert one_line_error(capsys) == "veille: error: VEILLE_TIMEZONE: unknown time zone 'Mars/Olympus'"


def test_unreachable_database_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", UNREACHABLE)
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    assert main(["db", "upgrade"]) == 1
    assert "cannot use the database" in one_line_error(capsys)


@pytest.mark.parametrize(
    "command", [["organisation", "list"], ["db", "current"], ["backup", "."], ["purge"], ["outbox", "flush"]]
)
def test_a_missing_sqlite_file_is_refused_and_left_missing(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped path is told, not answered with an empty database and a new key beside it
    (which the next 'veille db upgrade' would then keep)."""
    monkeypatch.setenv("VEILLE_DATABASE_URL", f"sqlite:///{tmp_path / 'veile.db'}")
    monkeypatch.delenv("VEILLE_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(command) == 1
    assert f"no database at {tmp_path / 'veile.db'}: check VEILLE_DATABASE_URL" in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_several_workers_on_sqlite_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before anything is migrated or served: another process's change would reach a live
    meeting's screens only at their next heartbeat (docs/architecture.md)."""
    monkeypatch.setenv("VEILLE_DATABASE_URL", f"sqlite:///{tmp_path / 'veille.db'}")
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)
    assert main(["serve", "--workers", "2"]) == 1
    assert "several workers need PostgreSQL" in one_line_error(capsys)
    assert not (tmp_path / "veille.db").exists()  # nothing was migrated


def test_unsupported_database_is_refused_by_the_real_command() -> None:
    code, output = run(
        ["db", "upgrade"],
        env={"VEILLE_DATABASE_URL": "mysql://x@localhost/x", "VEILLE_SECRET_KEY": SECRET},
    )
    assert code == 1
    lines = output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("veille: error: VEILLE_DATABASE_URL")
    assert "mysql" in lines[0]


def test_a_served_app_sets_what_start_up_made_aside_from_the_garbage_collector() -> None:
    """What lives as long as the process is not walked by every full collection (the p95
    tails); the test process lets its frozen objects go again."""
    before = gc.get_freeze_count()
    app = FastAPI()
    try:
        assert settled(app) is app
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
