"""``veille backup`` and ``veille restore`` (docs/operations.md, Backup and restore).

One archive holds a consistent copy of the database, the attachment files it refers to, and a
manifest of checksums.

The archive is a gzip-compressed tar:

- ``database.sqlite`` (SQLite's online backup API) or ``database.pgdump`` (``pg_dump
  --format=custom``), first;
- ``files/<key>``: the attachments directory (``Settings.files_dir``);
- ``manifest.json``, last, once every member's SHA-256 is known.

The server keeps writing while a backup runs. The database is copied first, as one snapshot;
the files after. An attachment's file is written before its row is committed, so every row of
the snapshot finds its file, unless it was deleted meanwhile (the manifest lists those). Files
added after the snapshot are harmless extras.

``archive`` holds the format and the manifest, ``dump`` writes an archive, ``load`` checks and
restores one, ``tools`` runs the PostgreSQL clients.
"""

from veille.backup.archive import (
    CHUNK,
    DATABASE_MEMBERS,
    ENGINE_NAMES,
    ENGINE_OF_MEMBER,
    FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MAX_MANIFEST,
    BackupError,
    Manifest,
    Member,
)
from veille.backup.dump import BackupResult, create
from veille.backup.load import RestoreResult, restore
from veille.backup.tools import CLIENT_PACKAGE, human_size, libpq_target

__all__ = [
    "CHUNK",
    "CLIENT_PACKAGE",
    "DATABASE_MEMBERS",
    "ENGINE_NAMES",
    "ENGINE_OF_MEMBER",
    "FILES",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_MANIFEST",
    "BackupError",
    "BackupResult",
    "Manifest",
    "Member",
    "RestoreResult",
    "create",
    "human_size",
    "libpq_target",
    "restore",
]
