"""`veille backup` and `veille restore`: a round trip while the server keeps writing, the
refusals (a target not empty, a damaged archive, another engine, no PostgreSQL client), on
SQLite and PostgreSQL (docs/operations.md, Backup and restore)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, col, select

from tests.conftest import POSTGRES_URL
from tests.factories import Factory, World
from veille.app import create_app
from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.backup import MANIFEST, Manifest
from veille.cli import main
from veille.config import Settings
from veille.db import make_engine, open_session
from veille.deps import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from veille.directory.models import Organisation
from veille.situations.models import Attachment, Situation

SECRET = "backup-test-secret-key-0123456789abcdefghij"
UNREACHABLE = "postgresql+psycopg://veille:veille@127.0.0.1:1/veille"
NO_CLIENT = "not found: install the PostgreSQL client (Debian package postgresql-client)"


# Helpers


def use(monkeypatch: pytest.MonkeyPatch, database_url: str, files_dir: Path) -> None:
    """Points the command's settings at a database and a data directory."""
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    monkeypatch.setenv("VEILLE_DATA_DIR", str(files_dir))
    monkeypatch.setenv("VEILLE_SECRET_KEY", SECRET)


def run(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """``python -m veille.cli`` in a process of its own, as an operator (or cron) runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "veille.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("veille: error: ")
    return lines[0]


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (seed % 256, (seed * 7) % 256, 90)).save(out, format="PNG")
    return out.getvalue()


def tables(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive) as tar:
        member = tar.extractfile(MANIFEST)
        assert member is not None
        return Manifest.from_json(member.read())


def rewrite(archive: Path, out: Path, change: dict[str, bytes]) -> None:
    """A copy of the archive with some members' bytes replaced (the manifest kept as is)."""
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as target:
        for info in source:
            data = source.extractfile(info)
            assert data is not None
            content = change.get(info.name, data.read())
            info.size = len(content)
            target.addfile(info, io.BytesIO(content))


@dataclass
class Seeded:
    situations: list[Situation]
    attachments: list[Attachment]
    files: dict[str, bytes]


@pytest.fixture
def seeded(factory: Factory, world: World, session: Session) -> Seeded:
    """Two reports, one with a photo and one with a PDF, their files in the data directory."""
    first = factory.situation(world.body, world.member, "Rodéos urbains")
    second = factory.situation(world.body, world.chair, "Tags sur l'école")
    photo = factory.attachment(first, png(1))
    pdf = factory.attachment(second)
    session.close()  # no transaction left open on the database that is copied
    files = {photo.key: png(1), pdf.key: b"%PDF-1.4 plan %%EOF"}
    return Seeded([first, second], [photo, pdf], files)


def back_up(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, archive: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    use(monkeypatch, settings.database_url, settings.files_dir)
    assert main(["backup", str(archive)]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


# Round trip under load


@dataclass
class Writer:
    """Posts reports with a photo through the running server, as a member's browser does, and
    notes the moment each one was acknowledged (the redirect to the new report)."""

    base_url: str
    cookies: dict[str, str]
    form: dict[str, str]
    acknowledged: list[tuple[int, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, cookies=self.cookies, timeout=60) as client:
            number = 0
            while not self.stop.is_set():
                number += 1
                response = client.post(
                    "/situations/new",
                    data={**self.form, "title": f"Rapport {number}"},
                    files=[("files", (f"photo-{number}.png", png(number), "image/png"))],
                )
                location = response.headers.get("location", "")
                if response.status_code != 303 or not location.startswith("/situations/"):
                    self.failures.append(f"{response.status_code} {response.text[:200]}")
                    return
                with self.lock:
                    self.acknowledged.append((int(location.rsplit("/", 1)[1]), time.monotonic()))
                time.sleep(0.02)  # steady load, leaving the backup some CPU on a small machine

    def acknowledged_before(self, moment: float) -> list[int]:
        with self.lock:
            return [sid for sid, at in self.acknowledged if at < moment]

    def acknowledged_between(self, start: float, end: float) -> list[int]:
        with self.lock:
            return [sid for sid, at in self.acknowledged if start <= at <= end]


def _writer(live_server: str, settings: Settings, engine: Engine, world: World) -> Writer:
    with open_session(engine, write=True) as writer_session:
        session_token, _ = auth.issue_token(
            writer_session, settings, user=world.member, kind=TokenKind.session
        )
    csrf_cookie = "backup-test-" + uuid.uuid4().hex
    form = {
        "csrf_token": csrf_token_for(settings, csrf_cookie),
        "body_id": str(world.body.id),
        "description": "Une dizaine de motos tous les soirs vers 22 h.",
        "category": "urban_rodeo",
        "sector_id": str(world.sector.id),
        "place": "Parking Jean-Moulin",
        "occurred_on": (date.today() - timedelta(days=1)).isoformat(),
        "occurred_time": "22:00",
        "severity": "3",
        "confidentiality": "body",
    }
    return Writer(live_server, {SESSION_COOKIE: session_token, CSRF_COOKIE: csrf_cookie}, form)


def test_round_trip_under_load_keeps_every_acknowledged_report_and_its_photo(
    live_server: str,
    settings: Settings,
    engine: Engine,
    world: World,
    session: Session,
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    session.close()
    writer = _writer(live_server, settings, engine, world)
    thread = threading.Thread(target=writer.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(writer.acknowledged_before(time.monotonic())) < 5 and not writer.failures:
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.05)

        archive = tmp_path / "veille.tar.gz"
        started = time.monotonic()
        before = writer.acknowledged_before(started)
        code, out, err = run(
            ["backup", str(archive)],
            {
                "VEILLE_DATABASE_URL": settings.database_url,
                "VEILLE_DATA_DIR": str(settings.files_dir),
                "VEILLE_SECRET_KEY": SECRET,
            },
        )
        finished = time.monotonic()
        time.sleep(0.3)  # and the server keeps writing after the backup
    finally:
        writer.stop.set()
        thread.join(timeout=60)
    assert not writer.failures, writer.failures
    assert code == 0, err
    assert err == ""
    assert out.startswith(f"Backup written to {archive} (")
    assert writer.acknowledged_between(started, finished), "no report was written during the backup"
    manifest = read_manifest(archive)
    assert manifest.missing_files == []
    assert manifest.engine == settings.database_url.split(":")[0].split("+")[0]

    restored_files = tmp_path / "restored-files"
    use(monkeypatch, empty_database_url, restored_files)
    assert main(["restore", str(archive)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert f"{manifest.file_count} attachment file(s) in {restored_files}" in out
    assert "pending" not in out

    restored = make_engine(empty_database_url)
    try:
        with open_session(restored) as check:
            ids = set(check.exec(select(Situation.id)))
            assert set(before) <= ids
            rows = check.exec(select(Attachment).order_by(col(Attachment.id))).all()
    finally:
        restored.dispose()
    assert len(rows) == len(ids)  # one photo per report, and every row of the copy has its file
    by_situation = {row.situation_id: row for row in rows}
    for row in rows:
        data = (restored_files / row.key).read_bytes()
        assert data == (settings.files_dir / row.key).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            assert image.format == "PNG"

    # The restored copy serves them: a member logs in and opens the photos of the reports
    # acknowledged before the backup.
    restored_settings = settings.model_copy(
        update={"database_url": empty_database_url, "data_dir": restored_files}
    )
    app = create_app(restored_settings)
    try:
        with open_session(app.state.engine, write=True) as writer_session:
            token, _ = auth.issue_token(
                writer_session, restored_settings, user=world.member, kind=TokenKind.session
            )
        with TestClient(app, base_url="http://testserver") as client:
            client.cookies.set(SESSION_COOKIE, token)
            for situation_id in before:
                photo = by_situation[situation_id]
                response = client.get(f"/situations/{situation_id}/attachments/{photo.id}")
                assert response.status_code == 200, response.text
                assert response.headers["content-type"] == "image/png"
                with Image.open(io.BytesIO(response.content)) as image:
                    image.load()
    finally:
        app.state.engine.dispose()


# Refusals and --force


def test_restore_refuses_a_database_not_empty_and_force_replaces_it(
    seeded: Seeded,
    settings: Settings,
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    archive = tmp_path / "backup.tar.gz"
    back_up(monkeypatch, settings, archive, capsys)
    restored_files = tmp_path / "restored-files"
    use(monkeypatch, empty_database_url, restored_files)
    assert main(["restore", str(archive)]) == 0
    capsys.readouterr()

    assert main(["restore", str(archive)]) == 1
    refusal = one_line_error(capsys)
    assert "the database is not empty" in refusal and "add --force" in refusal

    # The data directory becomes a link to a shared volume, which --force must keep.
    volume = tmp_path / "volume"
    restored_files.rename(volume)
    restored_files.symlink_to(volume, target_is_directory=True)
    # Changes after the backup: a new organisation, a photo gone, a stray file.
    engine = make_engine(empty_database_url)
    try:
        with open_session(engine, write=True) as change:
            change.add(Organisation(name="Ajoutée après la sauvegarde", kind="association"))
            change.commit()
        (restored_files / seeded.attachments[0].key).unlink()
        (restored_files / "stray").write_bytes(b"not in the backup")

        assert main(["restore", "--force", str(archive)]) == 0
        assert "Restored" in capsys.readouterr().out
        with open_session(engine) as check:
            names = set(check.exec(select(Organisation.name)))
            titles = set(check.exec(select(Situation.title)))
    finally:
        engine.dispose()
    assert "Ajoutée après la sauvegarde" not in names
    assert {"Mairie", "Police nationale"} <= names
    assert titles == {"Rodéos urbains", "Tags sur l'école"}
    assert restored_files.is_symlink()
    assert {p.name: p.read_bytes() for p in volume.iterdir()} == seeded.files


def test_restore_refuses_a_data_directory_not_empty(
    seeded: Seeded,
    settings: Settings,
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    archive = tmp_path / "backup.tar.gz"
    back_up(monkeypatch, settings, archive, capsys)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "photo.jpg").write_bytes(b"someone else's")
    use(monkeypatch, empty_database_url, occupied)
    assert main(["restore", str(archive)]) == 1
    assert f"the data directory {occupied} is not empty" in one_line_error(capsys)
    assert tables(empty_database_url) == []
    assert [p.name for p in occupied.iterdir()] == ["photo.jpg"]


def test_a_damaged_archive_is_refused_and_nothing_is_restored(
    seeded: Seeded,
    settings: Settings,
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    archive = tmp_path / "backup.tar.gz"
    back_up(monkeypatch, settings, archive, capsys)
    key = seeded.attachments[1].key
    tampered = tmp_path / "tampered.tar.gz"
    rewrite(archive, tampered, {f"files/{key}": seeded.files[key].replace(b"plan", b"PLAN")})
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    no_manifest = tmp_path / "no-manifest.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        tar.add(archive, arcname="database.sqlite" if settings.is_sqlite else "database.pgdump")
    not_an_archive = tmp_path / "notes.txt"
    not_an_archive.write_text("hello")

    restored_files = tmp_path / "restored-files"
    use(monkeypatch, empty_database_url, restored_files)
    cases = [
        (tampered, f"the archive is damaged: the checksum of files/{key} does not match its manifest"),
        (truncated, "cannot read the archive"),
        (not_an_archive, "cannot read the archive"),
        (tmp_path / "nowhere.tar.gz", "no such archive"),
        (no_manifest, "holds no manifest.json"),
    ]
    for path, message in cases:
        assert main(["restore", str(path)]) == 1, path
        assert message in one_line_error(capsys), path
    assert tables(empty_database_url) == []
    assert not restored_files.exists() or not any(restored_files.iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".veille-restore-")]


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (VEILLE_TEST_POSTGRES_URL)")
@pytest.mark.parametrize("engine_name", ["postgresql"])
def test_an_archive_of_the_other_engine_is_refused(
    seeded: Seeded,
    settings: Settings,
    empty_database_url: str,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    postgres_archive = tmp_path / "postgres.tar.gz"
    back_up(monkeypatch, settings, postgres_archive, capsys)
    sqlite_archive = tmp_path / "sqlite.tar.gz"
    sqlite_db = tmp_path / "copy.db"
    sqlite_db.write_bytes(sqlite_template.read_bytes())
    use(monkeypatch, f"sqlite:///{sqlite_db}", tmp_path / "copy-files")
    assert main(["backup", str(sqlite_archive)]) == 0

    use(monkeypatch, empty_database_url, tmp_path / "to-postgres")
    assert main(["restore", str(sqlite_archive)]) == 1
    assert (
        "the archive holds a SQLite database and VEILLE_DATABASE_URL is PostgreSQL: "
        "restore it into a SQLite database"
    ) in one_line_error(capsys)
    assert tables(empty_database_url) == []

    target = f"sqlite:///{tmp_path / 'target.db'}"
    use(monkeypatch, target, tmp_path / "to-sqlite")
    assert main(["restore", str(postgres_archive)]) == 1
    assert "the archive holds a PostgreSQL database and VEILLE_DATABASE_URL is SQLite" in one_line_error(
        capsys
    )
    assert tables(target) == []


def test_without_the_postgresql_client_the_missing_package_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "bin"  # a PATH without pg_dump nor pg_restore
    bare.mkdir()
    env = {"VEILLE_DATABASE_URL": UNREACHABLE, "VEILLE_SECRET_KEY": SECRET, "PATH": str(bare)}
    code, out, err = run(["backup", str(tmp_path / "backup.tar.gz")], env)
    assert code == 1
    assert out == ""
    assert err == f"veille: error: pg_dump {NO_CLIENT}\n"
    assert not list(tmp_path.glob("*.tar.gz"))

    use(monkeypatch, UNREACHABLE, tmp_path / "files")
    monkeypatch.setenv("PATH", str(bare))
    assert main(["restore", str(tmp_path / "backup.tar.gz")]) == 1
    assert one_line_error(capsys) == f"veille: error: pg_restore {NO_CLIENT}"


# Destination, schema revision


def test_backup_into_a_directory_gets_a_dated_name_and_never_overwrites(
    seeded: Seeded,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    out = back_up(monkeypatch, settings, backups, capsys)
    [archive] = backups.iterdir()
    assert archive.name.startswith("veille-backup-") and archive.name.endswith(".tar.gz")
    assert out.startswith(f"Backup written to {archive} (")
    assert f"at revision {read_manifest(archive).schema_revision}, 2 attachment file(s)." in out
    assert archive.stat().st_mode & 0o077 == 0  # the archive holds confidential reports

    manifest = read_manifest(archive)
    assert manifest.attachments == 2
    assert {name for name in manifest.members if name.startswith("files/")} == {
        f"files/{key}" for key in seeded.files
    }

    assert main(["backup", str(archive)]) == 1
    assert "already exists" in one_line_error(capsys)
    assert main(["backup", str(tmp_path / "nowhere" / "b.tar.gz")]) == 1
    assert "no such directory" in one_line_error(capsys)
    assert [p.name for p in backups.iterdir()] == [archive.name]


def test_backup_of_a_database_without_schema_is_refused(
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if empty_database_url.startswith("sqlite"):
        make_engine(empty_database_url).dispose()
        Path(empty_database_url.removeprefix("sqlite:///")).touch()
    use(monkeypatch, empty_database_url, tmp_path / "files")
    assert main(["backup", str(tmp_path / "b.tar.gz")]) == 1
    assert "holds no Veille schema" in one_line_error(capsys)
    assert [p.name for p in tmp_path.iterdir() if p.name != "empty.db"] == []


@pytest.mark.parametrize("engine_name", ["sqlite"])  # the revision checks do not depend on the engine
def test_restore_of_an_older_schema_says_to_migrate_and_a_newer_one_is_refused(
    empty_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use(monkeypatch, empty_database_url, tmp_path / "files")
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "downgrade", "-1"]) == 0
    capsys.readouterr()
    older = tmp_path / "older.tar.gz"
    assert main(["backup", str(older)]) == 0
    assert main(["restore", "--force", str(older)]) == 0
    out = capsys.readouterr().out
    assert "Migrations are pending: run 'veille db upgrade'" in out

    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        newer = tmp_path / "newer.tar.gz"
        assert main(["backup", str(newer)]) == 0
        capsys.readouterr()
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert main(["restore", "--force", str(newer)]) == 1
        assert "schema revision 9999_future is unknown to Veille" in one_line_error(capsys)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", [["backup"], ["restore"]])
def test_backup_and_restore_have_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: veille {command[0]}")
    assert "--help" in out
