"""``veille db upgrade|downgrade|current``, ``veille backup`` and ``veille restore``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from veille import backup, migrate
from veille.cli.common import PROG, CliError, open_engine, read_settings

PENDING = 4  # the exit code of 'veille db current' while migrations are pending

if TYPE_CHECKING:
    from veille.cli.common import Commands


def add_db(commands: Commands) -> None:
    db = commands.add_parser(
        "db",
        help="database migrations",
        description="Apply or revert the database migrations (Alembic).",
    )
    db_commands = db.add_subparsers(title="commands", metavar="COMMAND", required=True)
    up = db_commands.add_parser(
        "upgrade",
        help="apply every pending migration",
        description="Apply every pending migration (to the newest revision).",
    )
    up.set_defaults(handler=cmd_db_upgrade)
    down = db_commands.add_parser(
        "downgrade",
        help="revert migrations down to a revision",
        description="Revert migrations down to REV; 'base' removes every table.",
    )
    down.add_argument("revision", metavar="REV", help="target revision, '-1' or 'base'")
    down.set_defaults(handler=cmd_db_downgrade)
    current = db_commands.add_parser(
        "current",
        help="print the current revision",
        description="Print the database's current revision, and whether migrations are pending: "
        f"then it exits {PENDING}, so that a deployment can check before it serves.",
    )
    current.set_defaults(handler=cmd_db_current)


def add_backup(commands: Commands) -> None:
    backup_parser = commands.add_parser(
        "backup",
        help="write the database and the attachments to one archive",
        description="Write one archive (.tar.gz) holding a consistent copy of the database "
        "(SQLite's online backup, or pg_dump for PostgreSQL), the attachments and a manifest with "
        "their checksums and the schema revision. The server may keep running. A directory gets "
        "a dated file name; an existing file is never overwritten. The archive holds every "
        "confidential report: keep it as safe as the database.",
    )
    backup_parser.add_argument("dest", metavar="DEST", help="archive file to write, or a directory")
    backup_parser.set_defaults(handler=cmd_backup)


def add_restore(commands: Commands) -> None:
    restore = commands.add_parser(
        "restore",
        help="fill an empty database and data directory from a backup",
        description="Check an archive written by 'veille backup' (checksums, database engine, "
        "schema revision), then restore it into the database of VEILLE_DATABASE_URL and the "
        "attachments directory. Both must be empty, unless --force. Stop the server first.",
    )
    restore.add_argument("archive", metavar="ARCHIVE", help="archive written by 'veille backup'")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace the content of a database and data directory that are not empty",
    )
    restore.set_defaults(handler=cmd_restore)


def _current_revisions(engine: Engine) -> tuple[set[str], set[str]]:
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(script.get_heads())


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = read_settings(creates=True)
    with open_engine(settings) as engine:
        migrate.upgrade(engine)
        current, _heads = _current_revisions(engine)
    print(f"Database at revision {', '.join(sorted(current)) or 'base'}.")
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    settings = read_settings()
    with open_engine(settings) as engine:
        migrate.downgrade(engine, args.revision)
        current, _heads = _current_revisions(engine)
    print(f"Database at revision {', '.join(sorted(current)) or 'base'}.")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    settings = read_settings()
    with open_engine(settings) as engine:
        current, heads = _current_revisions(engine)
    shown = ", ".join(sorted(current)) or "base (no migration applied)"
    status = "up to date" if current == heads else "migrations pending: run 'veille db upgrade'"
    print(f"{shown} ({status})")
    return 0 if current == heads else PENDING


def cmd_backup(args: argparse.Namespace) -> int:
    settings = read_settings()
    with open_engine(settings) as engine:
        try:
            result = backup.create(engine, settings, Path(args.dest))
        except backup.BackupError as exc:
            raise CliError(str(exc)) from exc
    manifest = result.manifest
    if manifest.missing_files:
        print(
            f"{PROG}: warning: {len(manifest.missing_files)} attachment file(s) of the database were "
            f"missing (deleted during the backup?), first {manifest.missing_files[0]}",
            file=sys.stderr,
        )
    print(
        f"Backup written to {result.path} ({backup.human_size(result.size)}): "
        f"{backup.ENGINE_NAMES[manifest.engine]} database at revision {manifest.schema_revision}, "
        f"{manifest.file_count} attachment file(s)."
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = read_settings(creates=True)
    with open_engine(settings) as engine:
        try:
            result = backup.restore(engine, settings, Path(args.archive), force=args.force)
        except backup.BackupError as exc:
            raise CliError(str(exc)) from exc
    manifest = result.manifest
    print(
        f"Restored {args.archive} (written {manifest.created_at} by Veille {manifest.veille_version}): "
        f"{backup.ENGINE_NAMES[manifest.engine]} database at revision {manifest.schema_revision}, "
        f"{manifest.file_count} attachment file(s) in {settings.files_dir}."
    )
    if result.pending:
        print("Migrations are pending: run 'veille db upgrade' (or 'veille serve', which applies them).")
    return 0
