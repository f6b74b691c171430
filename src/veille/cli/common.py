"""What every command shares: the settings, the engine, the one-line error messages."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pydantic import ValidationError
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from veille import migrate
from veille.config import Settings, load_settings
from veille.db import make_engine
from veille.errors import InvalidInput, ServiceError

PROG = "veille"


class Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other refusal of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


if TYPE_CHECKING:
    from typing import TypeAlias

    # What ``add_subparsers()`` answers; each command module adds its commands to it.
    Commands: TypeAlias = argparse._SubParsersAction[Parser]


class CliError(Exception):
    """Bad input the operator can fix; the message is printed as is."""


def read_settings(*, creates: bool = False) -> Settings:
    """The settings, refused at once when the secret is missing (not after a migration), or
    when the command needs its SQLite file (not ``creates``) and there is none: a mistyped
    VEILLE_DATABASE_URL would leave an empty database and a new secret key beside it."""
    settings = load_settings()
    database = make_url(settings.database_url).database if settings.is_sqlite else None
    if not creates and database and database != ":memory:" and not Path(database).exists():
        raise CliError(
            f"no database at {database}: check VEILLE_DATABASE_URL ('veille db upgrade' creates one)"
        )
    settings.signing_key  # noqa: B018  (raises ConfigError when it is missing or too short)
    return settings


@contextmanager
def open_engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def require_migrated(engine: Engine) -> None:
    if migrate.pending(engine):
        raise CliError("the database is not up to date: run 'veille db upgrade' first")


def error_message(exc: BaseException) -> str:
    """One line that tells the operator what to fix."""
    if isinstance(exc, InvalidInput):
        return " ".join(_one_line(m) for m in exc.errors.values())
    if isinstance(exc, ServiceError):
        return _one_line(exc.message) or type(exc).__name__
    if isinstance(exc, ValidationError):
        return _validation_message(exc)
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {_one_line(str(exc.orig))}"
    if isinstance(exc, ArgumentError):
        return f"VEILLE_DATABASE_URL: {_one_line(str(exc))}"
    if isinstance(exc, SQLAlchemyError):
        detail = getattr(exc, "orig", None) or exc
        return f"database error: {_one_line(str(detail))}"
    return _one_line(str(exc))


_FIELD_LABELS = {
    "email": "e-mail address",
    "name": "--name",
    "password": "password",
    "role": "--role",
    "language": "--language",
    "kind": "--kind",
}


def _validation_message(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    label = _FIELD_LABELS.get(field, field)
    message = str(error["msg"])
    context = error.get("ctx") or {}
    if error["type"] == "string_too_short":
        least = int(context.get("min_length", 1))
        message = "must not be empty" if least <= 1 else f"must be at least {least} characters"
    elif error["type"] == "string_too_long":
        message = f"must be at most {context.get('max_length')} characters"
    elif field == "email":
        message = message.removeprefix("value is not a valid email address: ")
        return f"invalid e-mail address: {_one_line(message)}"
    return f"{label}: {_one_line(message)}" if label else _one_line(message)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""
