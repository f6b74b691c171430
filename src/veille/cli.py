"""The ``veille`` command: serve, migrate, load the demo, create accounts (API.md, Command line).

Operators script it, so every refusal is one line on standard error, ``veille: error: ...``,
with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import Engine, func
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session, select

from veille import __version__, backup, demo, migrate
from veille.actions import flows as action_flows
from veille.config import ConfigError, Settings, load_settings
from veille.db import make_engine, open_session
from veille.demo import CITY, DEMO_PASSWORD, DemoAccount
from veille.directory import service as directory
from veille.directory.enums import Language, OrganisationKind, UserRole
from veille.directory.models import Organisation, OrganisationCreate, UserBase, UserCreate
from veille.errors import InvalidInput, ServiceError
from veille.meetings import attendance as meetings
from veille.notifications import service as notifications
from veille.orm import utcnow
from veille.situations import flows, retention

PROG = "veille"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
ALL_INTERFACES = ("0.0.0.0", "::", "")  # noqa: S104  (only to print a reachable address)
FLUSH_BATCH = 200


class CliError(Exception):
    """Bad input the operator can fix; the message is printed as is."""


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other refusal of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


# Entry points


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; answers the exit code (0 done, 1 refused, 2 usage, 130 interrupted)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else 1
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except (
        CliError,
        ConfigError,
        ServiceError,
        ValidationError,
        SQLAlchemyError,
        CommandError,
        OSError,
    ) as exc:
        print(f"{PROG}: error: {error_message(exc)}", file=sys.stderr)
        return 1


def asgi_app() -> FastAPI:
    """The app of one uvicorn worker (``--workers`` > 1); settings come from the environment."""
    from veille.app import create_app

    return create_app()


# Parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Veille: the coordination platform of a city's security and "
        "crime-prevention bodies. Settings come from VEILLE_* environment variables "
        "(VEILLE_DATABASE_URL, VEILLE_SECRET_KEY, ...).",
        epilog="Every command exits non-zero with a one-line message on bad input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    serve = commands.add_parser(
        "serve",
        help="apply pending migrations, then serve the application",
        description="Apply pending migrations, then serve Veille with uvicorn.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    serve.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT})",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="number of worker processes (default 1; use PostgreSQL for many)",
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: load the demo data set if the database holds no account, and print "
        "the demo accounts",
    )
    serve.set_defaults(handler=cmd_serve)

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
        description="Print the database's current revision, and whether migrations are pending.",
    )
    current.set_defaults(handler=cmd_db_current)

    demo = commands.add_parser(
        "demo",
        help="load the demo data set into an empty database",
        description="Apply migrations, then load the demo data set (Valmont-sur-Loire, a "
        "fictional city) into a database that holds no account yet, and print the demo "
        "accounts.",
    )
    demo.set_defaults(handler=cmd_demo)

    user = commands.add_parser("user", help="manage accounts", description="Manage accounts.")
    user_commands = user.add_subparsers(title="commands", metavar="COMMAND", required=True)
    create = user_commands.add_parser(
        "create",
        help="create an account",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Create an account. The password (at least 12 characters) is read from\n"
        "standard input (one line) when it is not a terminal, else asked for twice.",
        epilog="example:\n"
        "  printf '%s\\n' \"$PASSWORD\" | veille user create claire.martin@mairie.example \\\n"
        "      --name 'Claire Martin' --organisation 'Mairie' --role coordinator",
    )
    create.add_argument("email", metavar="EMAIL", help="e-mail address, used to log in")
    create.add_argument("--name", required=True, help="full name, as others will see it")
    create.add_argument(
        "--organisation",
        required=True,
        metavar="ORG",
        help="organisation name (case-insensitive) or id; see 'veille organisation list'",
    )
    create.add_argument(
        "--role",
        required=True,
        choices=[r.value for r in UserRole],
        help="global role: admin (accounts, everything), coordinator (sets up bodies, sees "
        "them all) or member (sees the bodies they belong to)",
    )
    create.add_argument(
        "--language",
        choices=[lang.value for lang in Language],
        default=Language.fr.value,
        help="language of the interface (default fr)",
    )
    create.set_defaults(handler=cmd_user_create)

    organisation = commands.add_parser(
        "organisation",
        help="list or create partner organisations",
        description="Partner organisations; every account belongs to one.",
    )
    org_commands = organisation.add_subparsers(title="commands", metavar="COMMAND", required=True)
    org_list = org_commands.add_parser(
        "list", help="list the organisations", description="List the organisations and ids."
    )
    org_list.set_defaults(handler=cmd_organisation_list)
    org_create = org_commands.add_parser(
        "create",
        help="create an organisation",
        description="Create an organisation, e.g. the first one, before any account exists.",
    )
    org_create.add_argument("name", metavar="NAME", help="organisation name (unique)")
    org_create.add_argument(
        "--kind",
        required=True,
        choices=[k.value for k in OrganisationKind],
        metavar="KIND",
        help="kind of partner: " + ", ".join(k.value for k in OrganisationKind),
    )
    org_create.set_defaults(handler=cmd_organisation_create)

    outbox = commands.add_parser(
        "outbox",
        help="mail waiting to be delivered",
        description="Mail goes through an outbox: it is delivered over SMTP (VEILLE_SMTP_*) "
        "after the request that wrote it, or by 'veille outbox flush'.",
    )
    outbox_commands = outbox.add_subparsers(title="commands", metavar="COMMAND", required=True)
    flush = outbox_commands.add_parser(
        "flush",
        help="deliver pending mail now",
        description="Deliver the pending mail that is due, over SMTP, and print how many were "
        "sent, failed and left pending. A failed attempt is tried again later (after 1 min, "
        "5 min, 30 min, 2 h, then 12 h); mail that waits for its next attempt stays pending. "
        "Exits 1 when SMTP is not configured or the server cannot be reached.",
    )
    flush.set_defaults(handler=cmd_outbox_flush)

    remind = commands.add_parser(
        "remind",
        help="send the reminders that are due",
        description="Queue the reminders that are due and deliver them when SMTP is configured: "
        "two days before a convened meeting, the invitees whose organisation has not posted its "
        "round-table update; once a week, each owner of overdue or soon-due actions. Each is "
        "sent once; run it daily (cron or a systemd timer).",
    )
    remind.set_defaults(handler=cmd_remind)

    digest = commands.add_parser(
        "digest",
        help="send the daily digests of new reports",
        description="Queue the daily digests and deliver them when SMTP is configured: to each "
        "member of a body who chose the digest (the default), one mail listing the reports "
        "posted in that body since their last digest (titles of the reports they read whole, a "
        "count of the confidential ones); nothing when nothing is new. Run it once a day (cron "
        "or a systemd timer); a second run the same day sends nothing twice.",
    )
    digest.set_defaults(handler=cmd_digest)

    purge = commands.add_parser(
        "purge",
        help="anonymise reports past their retention period",
        description="Anonymise the reports resolved more than VEILLE_RETENTION_MONTHS months ago "
        "(default 12): their title, description, place, update texts and attachments go; "
        "category, sector, dates, severity and status stay for statistics; the audit log "
        "records each one. Run it daily; a report is anonymised once.",
    )
    purge.set_defaults(handler=cmd_purge)

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
    return parser


def _port(value: str) -> int:
    number = _positive(value)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"invalid port: {value!r}")
    return number


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {value!r}")
    return number


# Shared steps


def _settings(*, demo: bool = False) -> Settings:
    """The settings, refused at once when the secret is missing (not after a migration)."""
    settings = load_settings(demo=True) if demo else load_settings()
    settings.signing_key  # noqa: B018  (raises ConfigError when it is missing or too short)
    return settings


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _require_migrated(engine: Engine) -> None:
    if migrate.pending(engine):
        raise CliError("the database is not up to date: run 'veille db upgrade' first")


def _current_revisions(engine: Engine) -> tuple[set[str], set[str]]:
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(script.get_heads())


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


# Commands


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrates, loads the demo if asked, then hands over to uvicorn."""
    import uvicorn

    settings = _settings(demo=args.demo)
    with _engine(settings) as engine:
        migrate.upgrade(engine)
        if args.demo:
            _serve_demo(engine, settings, _address(args.host, args.port))
    if args.workers > 1:
        if args.demo:
            os.environ["VEILLE_DEMO"] = "true"  # read by each worker's settings
        uvicorn.run(
            "veille.cli:asgi_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
        )
        return 0
    from veille.app import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port)
    return 0


def _address(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ALL_INTERFACES else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def _serve_demo(engine: Engine, settings: Settings, url: str) -> None:
    next_step = f"Open {url} and log in with one of these accounts."
    with open_session(engine, write=True) as session:
        if demo.is_empty(session):
            print_accounts(demo.load_demo(session, settings), loaded=True, next_step=next_step)
        elif demo.is_loaded(session):
            print_accounts(demo.accounts(), loaded=False, next_step=next_step)
        else:
            print(
                "The database already holds accounts: the demo data set was not loaded.",
                flush=True,
            )


def print_accounts(accounts: Sequence[DemoAccount], *, loaded: bool, next_step: str) -> None:
    """The demo logins as a table that fits the terminal."""
    rows = list(accounts)
    state = "Demo data set loaded" if loaded else "Demo data set already in the database"
    headers = ("Role", "E-mail", "Password", "What they see")
    table = [(r.role, r.email, r.password, r.sees) for r in rows]
    widths = [max(len(row[i]) for row in [headers, *table]) for i in range(3)]
    total = shutil.get_terminal_size((120, 24)).columns
    left = sum(widths) + 2 * len(widths)
    last = max(total - left - 1, 36)

    out = [
        f"{state}: {CITY}, a fictional city (every person and organisation is invented).",
        f"Every account's password: {DEMO_PASSWORD}",
        "",
        _row(headers, widths, last)[0],
        _row((*("-" * w for w in widths), "-" * last), widths, last)[0],
    ]
    for cells in table:
        out += _row(cells, widths, last)
    out += ["", next_step]
    print("\n".join(out), flush=True)


def _row(cells: tuple[str, ...], widths: list[int], last: int) -> list[str]:
    prefix = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False))
    wrapped = textwrap.wrap(cells[-1], last) or [""]
    pad = " " * (len(prefix) + 2)
    return [f"{prefix}  {wrapped[0]}".rstrip()] + [f"{pad}{line}" for line in wrapped[1:]]


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
        migrate.upgrade(engine)
        current, _heads = _current_revisions(engine)
    print(f"Database at revision {', '.join(sorted(current)) or 'base'}.")
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
        migrate.downgrade(engine, args.revision)
        current, _heads = _current_revisions(engine)
    print(f"Database at revision {', '.join(sorted(current)) or 'base'}.")
    return 0


def cmd_db_current(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
        current, heads = _current_revisions(engine)
    shown = ", ".join(sorted(current)) or "base (no migration applied)"
    status = "up to date" if current == heads else "migrations pending: run 'veille db upgrade'"
    print(f"{shown} ({status})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
        migrate.upgrade(engine)
        with open_session(engine, write=True) as session:
            if not demo.is_empty(session):
                raise CliError(
                    "the database already holds accounts: the demo data set only goes into an empty database"
                )
            accounts = demo.load_demo(session, settings)
    url = settings.base_url.rstrip("/") + "/"
    print_accounts(
        accounts,
        loaded=True,
        next_step=f"Start the server with 'veille serve', then open {url} and log in.",
    )
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
        _require_migrated(engine)
        with open_session(engine, write=True) as session:
            organisation = _find_organisation(session, args.organisation)
            fields = {
                "email": args.email,
                "name": args.name,
                "organisation_id": organisation.id,
                "role": args.role,
                "language": args.language,
            }
            UserBase.model_validate(fields)  # refuse a bad address before asking a password
            data = UserCreate.model_validate({**fields, "password": _read_password()})
            user = directory.create_user(session, actor=None, data=data)
    print(f"Created account {user.email} ({user.role}, {organisation.name}).")
    return 0


def _find_organisation(session: Session, wanted: str) -> Organisation:
    text = wanted.strip()
    stmt = select(Organisation)
    if text.isdigit():
        stmt = stmt.where(Organisation.id == int(text))
    else:
        stmt = stmt.where(func.lower(Organisation.name) == text.lower())
    found = session.exec(stmt).first()
    if found is None:
        names = session.exec(select(Organisation.name).order_by(Organisation.name)).all()
        if not names:
            raise CliError(
                f"unknown organisation {wanted!r}: there is none yet, create it with "
                "'veille organisation create NAME --kind KIND'"
            )
        raise CliError(f"unknown organisation {wanted!r}: see 'veille organisation list'")
    if not found.active:
        raise CliError(f"organisation {found.name!r} is deactivated")
    return found


def _read_password() -> str:
    """One line of standard input when piped (scripts), else typed twice without echo."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("no password on standard input (one line expected)")
        return password
    try:
        password = getpass.getpass("Password (at least 12 characters): ")
        again = getpass.getpass("Password again: ")
    except EOFError as exc:
        raise CliError("no password given") from exc
    if password != again:
        raise CliError("the two passwords differ")
    return password


def cmd_organisation_list(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
        _require_migrated(engine)
        with open_session(engine) as session:
            organisations = directory.list_organisations(session)
    if not organisations:
        print("No organisation yet: create one with 'veille organisation create'.")
        return 0
    width = max(len(str(o.id)) for o in organisations)
    kind_width = max(len(o.kind) for o in organisations)
    for organisation in organisations:
        inactive = "" if organisation.active else "  (deactivated)"
        print(
            f"{str(organisation.id).rjust(width)}  {organisation.kind.ljust(kind_width)}  "
            f"{organisation.name}{inactive}"
        )
    return 0


def cmd_organisation_create(args: argparse.Namespace) -> int:
    """The first organisation has to exist before the first account can be created."""
    settings = _settings()
    with _engine(settings) as engine:
        _require_migrated(engine)
        with open_session(engine, write=True) as session:
            data = OrganisationCreate.model_validate({"name": args.name, "kind": args.kind})
            organisation = directory.save_organisation(session, actor=None, data=data)
    print(f"Created organisation {organisation.id}: {organisation.name} ({organisation.kind}).")
    return 0


def cmd_outbox_flush(args: argparse.Namespace) -> int:
    settings = _settings()
    if not settings.smtp_host:
        raise CliError("mail delivery is not configured: set VEILLE_SMTP_HOST (mail waits in the outbox)")
    with _engine(settings) as engine:
        _require_migrated(engine)
        sent = failed = 0
        while True:  # in batches, until a run finds less than a batch of due mail
            result = notifications.deliver_pending(engine, settings, limit=FLUSH_BATCH)
            sent, failed = sent + result.sent, failed + result.failed
            if result.error or result.attempted < FLUSH_BATCH:
                break
    print(f"Sent {sent}, failed {failed}, left pending {result.pending}.")
    if result.error:
        raise CliError(f"the SMTP server could not be reached, try again later: {result.error}")
    return 0


def _queue_and_deliver(queue: Callable[[Session, Settings], int], done: str) -> int:
    """Runs a command that queues mail, then delivers it at once when SMTP is configured."""
    settings = _settings()
    with _engine(settings) as engine:
        _require_migrated(engine)
        with open_session(engine, write=True) as session:
            queued = queue(session, settings)
        if queued and settings.smtp_host:
            notifications.deliver_pending(engine, settings)
    print(done.format(queued))
    return 0


def _reminders(session: Session, settings: Settings) -> int:
    return meetings.remind_round_table(session, settings) + action_flows.remind_owners(session, settings)


def cmd_remind(args: argparse.Namespace) -> int:
    return _queue_and_deliver(_reminders, "Queued {} reminder(s).")


def cmd_digest(args: argparse.Namespace) -> int:
    return _queue_and_deliver(
        lambda session, settings: flows.send_digests(session, settings, now=utcnow()),
        "Queued {} digest(s) of new reports.",
    )


def cmd_purge(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
        _require_migrated(engine)
        with open_session(engine, write=True) as session:
            count = retention.purge(session, settings, now=utcnow())
    print(f"Anonymised {count} report(s) resolved more than {settings.retention_months} month(s) ago.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    settings = _settings()
    with _engine(settings) as engine:
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
    settings = _settings()
    with _engine(settings) as engine:
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


if __name__ == "__main__":
    sys.exit(main())
