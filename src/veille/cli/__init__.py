"""The ``veille`` command: serve, migrate, load the demo, create accounts (README.md, Command line).

Operators script it, so every refusal is one line on standard error, ``veille: error: ...``,
with a non-zero exit code, never a traceback. The commands live in the modules of this
package by purpose; this one parses the command line and runs the chosen command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from veille import __version__
from veille.cli import bench, database, jobs, people, serve
from veille.cli.common import PROG, CliError, Parser, error_message
from veille.config import ConfigError
from veille.errors import ServiceError

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; answers the exit code (0 done, 1 refused, 2 usage, 4 migrations pending
    for ``db current``, 130 interrupted)."""
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


def build_parser() -> argparse.ArgumentParser:
    """Every command, in the order ``veille --help`` lists them."""
    parser = Parser(
        prog=PROG,
        description="Veille: the coordination platform of a city's security and "
        "crime-prevention bodies. Settings come from VEILLE_* environment variables "
        "(VEILLE_DATABASE_URL, VEILLE_SECRET_KEY, ...).",
        epilog="Every command exits non-zero with a one-line message on bad input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    serve.add_serve(commands)
    database.add_db(commands)
    serve.add_demo(commands)
    people.add_user(commands)
    people.add_organisation(commands)
    jobs.add_outbox(commands)
    jobs.add_remind(commands)
    jobs.add_digest(commands)
    jobs.add_plan(commands)
    jobs.add_purge(commands)
    database.add_backup(commands)
    database.add_restore(commands)
    bench.add_bench(commands)
    return parser
