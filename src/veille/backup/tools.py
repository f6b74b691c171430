"""What the backup and the restore share: the engine check, the PostgreSQL client tools, sizes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Engine, make_url

from veille.backup.archive import DATABASE_MEMBERS, BackupError

CLIENT_PACKAGE = "install the PostgreSQL client (Debian package postgresql-client)"


def supported_engine(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in DATABASE_MEMBERS:
        raise BackupError(f"cannot back up a {name} database")
    return name


def find_tool(name: str) -> str:
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


def run_tool(command: list[str], env: dict[str, str]) -> None:
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


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"  # pragma: no cover
