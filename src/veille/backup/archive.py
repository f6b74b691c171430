"""The archive's format: its member names, the manifest of their checksums, the refusals."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from veille import __version__

FORMAT = "veille-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files"
DATABASE_MEMBERS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
ENGINE_OF_MEMBER = {member: engine for engine, member in DATABASE_MEMBERS.items()}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
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
