"""``veille backup`` and ``veille restore``: one archive holding a consistent copy of the
database, the attachment files it refers to, and a manifest of checksums (docs/operations.md,
Backup and restore).

The archive is a gzip-compressed tar:

- ``database.sqlite`` (SQLite's online backup API) or ``database.pgdump`` (``pg_dump
  --format=custom``), first;
- ``files/<key>``: the attachments directory (``Settings.files_dir``);
- ``manifest.json``, last, once every member's SHA-256 is known.

The server keeps writing while a backup runs. The database is copied first, as one snapshot;
the files after. An attachment's file is written before its row is committed, so every row of
the snapshot finds its file, unless it was deleted meanwhile (the manifest lists those). Files
added after the snapshot are harmless extras.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, make_url, text

from veille import __version__, migrate
from veille.config import Settings

FORMAT = "veille-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files"
DATABASE_MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
ENGINE_OF_MEMBER = {member: engine for engine, member in DATABASE_MEMBERS.items()}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CLIENT_PACKAGE = "install the PostgreSQL client (Debian package postgresql-client)"
CHUNK = 1024 * 1024
MAX_MANIFEST = 64 * 1024 * 1024


class BackupError(Exception):
    """A refusal the operator can act on; the message is one line."""


@dataclass(frozen=True)
class Member:
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says: enough to check the archive before anything is replaced."""

    created_at: str
    veille_version: str
    engine: str
    schema_revision: str
    database_tool: str
    members: dict[str, Member]
    attachments: int
    missing_files: list[str] = field(default_factory=list)

    @property
    def database(self) -> str:
        return DATABASE_MEMBERS[self.engine]

    @property
    def file_count(self) -> int:
        return sum(1 for name in self.members if name.startswith(FILES + "/"))

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "veille_version": self.veille_version,
            "engine": self.engine,
            "schema_revision": self.schema_revision,
            "database": self.database,
            "database_tool": self.database_tool,
            "attachments": self.attachments,
            "missing_files": self.missing_files,
            "members": {
                name: {"sha256": m.sha256, "size": m.size} for name, m in sorted(self.members.items())
            },
        }
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            document = json.loads(data)
            if document.get("format") != FORMAT:
                raise BackupError("not a Veille backup: its manifest.json is of another format")
            if document.get("format_version") != FORMAT_VERSION:
                raise BackupError(
                    f"backup format {document.get('format_version')!r} is not supported by Veille "
                    f"{__version__} (it reads format {FORMAT_VERSION}): restore with the version that "
                    f"made it ({document.get('veille_version')})"
                )
            engine = str(document["engine"])
            if engine not in DATABASE_MEMBERS:
                raise BackupError(f"not a Veille backup: unknown database engine {engine!r}")
            return cls(
                created_at=str(document["created_at"]),
                veille_version=str(document["veille_version"]),
                engine=engine,
                schema_revision=str(document["schema_revision"]),
                database_tool=str(document.get("database_tool", "")),
                members={
                    str(name): Member(sha256=str(m["sha256"]), size=int(m["size"]))
                    for name, m in document["members"].items()
                },
                attachments=int(document.get("attachments", 0)),
                missing_files=[str(key) for key in document.get("missing_files", [])],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"not a Veille backup: its manifest.json cannot be read ({exc})") from exc


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Manifest
    size: int


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    # The installed code has newer migrations than the backup: 'veille db upgrade' applies them.
    pending: bool


@dataclass(frozen=True)
class _Snapshot:
    """What the database copy holds, read from the copy itself (not from the live database)."""

    revision: str
    keys: frozenset[str]
    tool: str


# Backup


def create(engine: Engine, settings: Settings, dest: Path, *, now: datetime | None = None) -> BackupResult:
    """Writes the archive beside ``dest`` under a temporary name and renames it at the end, so
    a failed backup leaves no half archive behind."""
    name = _engine_name(engine)
    pg_dump = _tool("pg_dump") if name == "postgresql" else ""
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
            _run(
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


# Restore


def restore(engine: Engine, settings: Settings, archive: Path, *, force: bool = False) -> RestoreResult:
    """Checks the whole archive (checksums, engine, revision) before anything is replaced."""
    name = _engine_name(engine)
    pg_restore = _tool("pg_restore") if name == "postgresql" else ""
    if not archive.is_file():
        raise BackupError(f"no such archive: {archive}")
    files_dir = settings.files_dir
    if name == "sqlite":
        _sqlite_parent(engine).mkdir(parents=True, exist_ok=True)
    if not force:
        _require_empty(engine, name, files_dir)
    files_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".veille-restore-", dir=files_dir.parent))
    try:
        manifest = _unpack(archive, work, name)
        script = ScriptDirectory.from_config(migrate.alembic_config(engine))
        _require_known(script, manifest)
        database = work / manifest.database
        if name == "sqlite":
            _restore_sqlite(engine, database)
        else:
            _run([pg_restore, "--list", str(database)], {})  # readable by this pg_restore?
            _restore_postgres(engine, pg_restore, database, force=force)
        _put_files(work / FILES, files_dir)
        restored = _current_revision(engine)
        if restored != manifest.schema_revision:
            raise BackupError(
                f"the restored database is at revision {restored or 'base'}, not "
                f"{manifest.schema_revision} as the manifest says"
            )
        pending = set(restored.split(",")) != set(script.get_heads())
        return RestoreResult(manifest=manifest, pending=pending)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _require_empty(engine: Engine, name: str, files_dir: Path) -> None:
    """Restore fills an empty database and data directory; replacing takes --force."""
    with engine.connect() as connection:
        if name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        else:
            query = (
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
        tables = connection.execute(text(query)).scalars().all()
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables): restore fills an empty database; "
            "add --force to replace its content"
        )
    if files_dir.exists() and (not files_dir.is_dir() or any(files_dir.iterdir())):
        raise BackupError(
            f"the data directory {files_dir} is not empty: restore fills an empty one; "
            "add --force to replace its content"
        )


def _unpack(archive: Path, work: Path, engine_name: str) -> Manifest:
    """Reads the archive once, as a stream: each member is written under ``work`` and hashed,
    then everything is compared with the manifest (which comes last)."""
    found: dict[str, Member] = {}
    manifest_data: bytes | None = None
    try:
        with tarfile.open(archive, mode="r|*") as tar:
            for info in tar:
                member = info.name
                if member in found or (member == MANIFEST and manifest_data is not None):
                    raise BackupError(f"not a Veille backup: {member!r} appears twice")
                if not info.isfile() or not _expected(member):
                    raise BackupError(f"not a Veille backup: unexpected member {member!r}")
                source = tar.extractfile(info)
                assert source is not None  # a regular file
                if member == MANIFEST:
                    manifest_data = source.read(MAX_MANIFEST)
                    continue
                # A database of the other engine is refused before the rest is read.
                if ENGINE_OF_MEMBER.get(member, engine_name) != engine_name:
                    raise _engine_mismatch(ENGINE_OF_MEMBER[member], engine_name)
                found[member] = _extract(source, work / member)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"cannot read the archive {archive}: {exc or type(exc).__name__}") from exc
    if manifest_data is None:
        raise BackupError(f"not a Veille backup, or an incomplete one: {archive} holds no {MANIFEST}")
    manifest = Manifest.from_json(manifest_data)
    if manifest.engine != engine_name:
        raise _engine_mismatch(manifest.engine, engine_name)
    for member, expected in sorted(manifest.members.items()):
        got = found.get(member)
        if got is None:
            raise BackupError(f"the archive is damaged: {member} is listed in its manifest but missing")
        if got != expected:
            raise BackupError(f"the archive is damaged: the checksum of {member} does not match its manifest")
    extra = sorted(set(found) - set(manifest.members))
    if extra:
        raise BackupError(f"the archive is damaged: {extra[0]} is not listed in its manifest")
    if manifest.database not in found:
        raise BackupError(f"the archive is damaged: it holds no {manifest.database}")
    return manifest


def _expected(member: str) -> bool:
    """Only the names a backup writes, none that could land outside the work directory."""
    if member == MANIFEST or member in DATABASE_MEMBERS.values():
        return True
    path = PurePosixPath(member)
    return (
        len(path.parts) > 1
        and path.parts[0] == FILES
        and not path.is_absolute()
        and all(part not in ("", ".", "..") for part in path.parts)
        and "\\" not in member
    )


def _extract(source: IO[bytes], path: Path) -> Member:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with path.open("xb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return Member(sha256=digest.hexdigest(), size=size)


def _engine_mismatch(archive_engine: str, target_engine: str) -> BackupError:
    return BackupError(
        f"the archive holds a {ENGINE_NAMES[archive_engine]} database and VEILLE_DATABASE_URL is "
        f"{ENGINE_NAMES[target_engine]}: restore it into a {ENGINE_NAMES[archive_engine]} database"
    )


def _require_known(script: ScriptDirectory, manifest: Manifest) -> None:
    """A backup made by a newer Veille has migrations this one cannot run nor revert."""
    for revision in manifest.schema_revision.split(","):
        try:
            known = script.get_revision(revision) is not None
        except CommandError:
            known = False
        if not known:
            raise BackupError(
                f"the backup's schema revision {revision} is unknown to Veille {__version__}: "
                f"restore it with the version that made it ({manifest.veille_version}) or a newer one"
            )


def _sqlite_parent(engine: Engine) -> Path:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        raise BackupError("VEILLE_DATABASE_URL names no SQLite file to restore into")
    return Path(database).parent


def _restore_sqlite(engine: Engine, copy: Path) -> None:
    """The backup API again, into the target: SQLite itself replaces every page, WAL included."""
    raw = engine.raw_connection()
    try:
        target = raw.driver_connection
        assert isinstance(target, sqlite3.Connection)
        source = sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot write the SQLite database: {exc}") from exc
    finally:
        raw.close()
    engine.dispose()


def _restore_postgres(engine: Engine, pg_restore: str, dump: Path, *, force: bool) -> None:
    """Into an empty schema, in one transaction; --force empties ``public`` first (objects of
    other schemas that the dump holds are dropped by --clean)."""
    if force:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    uri, env = libpq_target(engine.url.render_as_string(hide_password=False))
    clean = ["--clean", "--if-exists"] if force else []
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *clean,
            f"--dbname={uri}",
            str(dump),
        ],
        env,
    )


def _put_files(staged: Path, files_dir: Path) -> None:
    """Moves the checked files into place. A directory already there is kept, as it may be a
    mount point or a link to a shared volume: only its content is replaced (--force)."""
    staged.mkdir(exist_ok=True)
    if not files_dir.exists():
        os.replace(staged, files_dir)
        return
    for entry in list(files_dir.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in staged.iterdir():
        shutil.move(entry, files_dir / entry.name)


def _current_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads))


# Shared


def _engine_name(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"cannot back up a {name} database")
    return name


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: {CLIENT_PACKAGE}")
    return found


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq URI for pg_dump and pg_restore; the password goes in the
    environment (PGPASSWORD), not on a command line that ``ps`` shows."""
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = Path(command[0]).name
    try:
        result = subprocess.run(  # noqa: S603  (a PostgreSQL client found on PATH, no shell)
            command,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            check=False,
        )
    except OSError as exc:
        raise BackupError(f"cannot run {tool}: {exc}") from exc
    if result.returncode != 0:
        lines = [line.strip().removeprefix(f"{tool}: ") for line in result.stderr.splitlines()]
        detail = "; ".join(line for line in lines if line)[:500] or f"exit code {result.returncode}"
        raise BackupError(f"{tool} failed: {detail}")


def _version_of(tool: str) -> str:
    try:
        result = subprocess.run(  # noqa: S603  (a PostgreSQL client found on PATH, no shell)
            [tool, "--version"], capture_output=True, text=True, check=False
        )
    except OSError:
        return Path(tool).name
    return result.stdout.strip() or Path(tool).name


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"  # pragma: no cover
