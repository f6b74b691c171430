"""``veille restore``: check a whole archive, then fill the database and the data directory."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, make_url, text

from veille import __version__, migrate
from veille.backup.archive import (
    CHUNK,
    DATABASE_MEMBERS,
    ENGINE_NAMES,
    ENGINE_OF_MEMBER,
    FILES,
    MANIFEST,
    MAX_MANIFEST,
    BackupError,
    Manifest,
    Member,
)
from veille.backup.tools import find_tool, libpq_target, run_tool, supported_engine
from veille.config import Settings


@dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    # The installed code has newer migrations than the backup: 'veille db upgrade' applies them.
    pending: bool


def restore(engine: Engine, settings: Settings, archive: Path, *, force: bool = False) -> RestoreResult:
    """Checks the whole archive (checksums, engine, revision) before anything is replaced."""
    name = supported_engine(engine)
    pg_restore = find_tool("pg_restore") if name == "postgresql" else ""
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
            run_tool([pg_restore, "--list", str(database)], {})  # readable by this pg_restore?
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
    run_tool(
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
