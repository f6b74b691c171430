"""``veille user create`` and ``veille organisation list|create``: accounts and partners."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, select

from veille.cli.common import CliError, open_engine, read_settings, require_migrated
from veille.db import open_session
from veille.directory import service as directory
from veille.directory.enums import Language, OrganisationKind, UserRole
from veille.directory.models import Organisation, OrganisationCreate, UserBase, UserCreate

if TYPE_CHECKING:
    from veille.cli.common import Commands


def add_user(commands: Commands) -> None:
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


def add_organisation(commands: Commands) -> None:
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


def cmd_user_create(args: argparse.Namespace) -> int:
    settings = read_settings()
    with open_engine(settings) as engine:
        require_migrated(engine)
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
    settings = read_settings()
    with open_engine(settings) as engine:
        require_migrated(engine)
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
    settings = read_settings()
    with open_engine(settings) as engine:
        require_migrated(engine)
        with open_session(engine, write=True) as session:
            data = OrganisationCreate.model_validate({"name": args.name, "kind": args.kind})
            organisation = directory.save_organisation(session, actor=None, data=data)
    print(f"Created organisation {organisation.id}: {organisation.name} ({organisation.kind}).")
    return 0
