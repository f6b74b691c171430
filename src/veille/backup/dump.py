"""``veille backup``: one consistent copy of the database and the attachments, in one archive."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, make_url, text

from veille import __version__
from veille.backup.archive import DATABASE_MEMBERS, FILES, MANIFEST, BackupError, Manifest, Member
from veille.backup.tools import find_tool, libpq_target, run_tool, supported_engine
from veille.config import Settings


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    size: int


@dataclass(frozen=True)
class _Snapshot:
    """What the database copy holds, read from the copy itself (not from the live database)."""

    revision: str
    keys: frozenset[str]
    tool: str


def create(engine: Engine, settings: Settings, dest: Path, *, now: datetime | None = None) -> BackupResult:
    """Writes the archive beside ``dest`` under a temporary name and renames it at the end, so
    a failed backup leaves no half archive behind."""
    name = supported_engine(engine)
    pg_dump = find_tool("pg_dump") if name == "postgresql" else ""
    moment = now or datetime.now(UTC)
    target = _destination(dest, moment)
    work = Path(tempfile.mkdtemp(prefix=".veille-backup-", dir=target.parent))
    try:
        copy = work / DATABASE_MEMBERS[name]
        if name == "sqlite":
            snapshot = _snapshot_sqlite(engine, copy)
        else:
            snapshot = _snapshot_postgres(engine, pg_dump, copy)
        partial = work / "archive.tar.gz"
        members: dict[str, Member] = {}
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as tar:
                members[copy.name] = _add_file(tar, copy, copy.name)
                copy.unlink()
                for path, relative in _attachment_files(settings.files_dir):
                    with contextlib.suppress(FileNotFoundError):  # deleted since it was listed
                        members[f"{FILES}/{relative}"] = _add_file(tar, path, f"{FILES}/{relative}")
                manifest = Manifest(
                    created_at=moment.astimezone(UTC).isoformat(timespec="seconds"),
                    veille_version=__version__,
                    engine=name,
                    schema_revision=snapshot.revision,
                    database_tool=snapshot.tool,
                    members=members,
                    attachments=len(snapshot.keys),
                    missing_files=sorted(k for k in snapshot.keys if f"{FILES}/{k}" not in members),
                )
                _add_bytes(tar, MANIFEST, manifest.to_json(), moment)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():
            raise BackupError(f"{target} appeared during the backup: give another name")
        os.replace(partial, target)
        _sync_directory(target.parent)
        return BackupResult(path=target, manifest=manifest, size=target.stat().st_size)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _destination(dest: Path, moment: datetime) -> Path:
    """A directory gets a dated name (handy from cron); an existing file is never overwritten."""
    if dest.is_dir():
        dest = dest / f"veille-backup-{moment.astimezone(UTC):%Y%m%d-%H%M%S}.tar.gz"
    if dest.exists():
        raise BackupError(f"{dest} already exists: give a new file name, or a directory")
    if not dest.parent.is_dir():
        raise BackupError(f"no such directory: {dest.parent}")
    return dest


def _snapshot_sqlite(engine: Engine, copy: Path) -> _Snapshot:
    """SQLite's online backup API, in one step: a consistent read snapshot, and in WAL mode the
    server's writers are not held up meanwhile."""
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:" or not Path(database).is_file():
        raise BackupError(f"no SQLite database at {database or '(memory)'}")
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            tables = {row[0] for row in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = _revision_of(
                [row[0] for row in target.execute("SELECT version_num FROM alembic_version")]
                if "alembic_version" in tables
                else []
            )
            keys = (
                frozenset(row[0] for row in target.execute("SELECT key FROM attachment"))
                if "attachment" in tables
                else frozenset()
            )
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the SQLite database: {exc}") from exc
    finally:
        raw.close()
    return _Snapshot(revision=revision, keys=keys, tool=f"SQLite {sqlite3.sqlite_version}")


def _snapshot_postgres(engine: Engine, pg_dump: str, copy: Path) -> _Snapshot:
    """pg_dump reads the snapshot exported by a transaction that stays open meanwhile: the
    attachment keys and revision read in that transaction are exactly those of the dump."""
    uri, env = libpq_target(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision = _revision_of(
                connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
                if _pg_has_table(connection, "alembic_version")
                else []
            )
            keys = (
                frozenset(connection.execute(text("SELECT key FROM attachment")).scalars())
                if _pg_has_table(connection, "attachment")
                else frozenset()
            )
            run_tool(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    f"--file={copy}",
                    f"--dbname={uri}",
                ],
                env,
            )
    return _Snapshot(revision=revision, keys=keys, tool=_version_of(pg_dump))


def _pg_has_table(connection: Connection, name: str) -> bool:
    found = connection.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar_one()
    return bool(found)


def _revision_of(versions: Iterable[object]) -> str:
    found = sorted(str(v) for v in versions)
    if not found:
        raise BackupError("the database holds no Veille schema (run 'veille db upgrade'): nothing to back up")
    return ",".join(found)


def _attachment_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every file of the attachments directory, but those being written (``.part``)."""
    if not root.is_dir():
        return
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if name.endswith(".part") or path.is_symlink():
                continue
            yield path, path.relative_to(root).as_posix()


class _Hashing:
    """A file read through tarfile, hashed on the way: each file is read once."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> Member:
    with path.open("rb") as source:
        info = tar.gettarinfo(arcname=name, fileobj=source)
        _anonymous(info)
        reader = _Hashing(source)
        tar.addfile(info, reader)
    return Member(sha256=reader.digest.hexdigest(), size=reader.size)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, moment: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(moment.timestamp())
    _anonymous(info)
    tar.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = bytes(self.data[self.offset : end])
        self.offset += len(chunk)
        return chunk


def _anonymous(info: tarfile.TarInfo) -> None:
    """The archive holds confidential reports: owner-only modes, no local user names."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600


def _sync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _version_of(tool: str) -> str:
    try:
        result = subprocess.run(  # noqa: S603  (a PostgreSQL client found on PATH, no shell)
            [tool, "--version"], capture_output=True, text=True, check=False
        )
    except OSError:
        return Path(tool).name
    return result.stdout.strip() or Path(tool).name
