"""``veille serve`` and ``veille demo``, and the table of the demo accounts they print."""

from __future__ import annotations

import argparse
import gc
import shutil
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy import Engine

from veille import demo, migrate, pdf
from veille.cli import access_log, workers
from veille.cli.common import CliError, open_engine, read_settings
from veille.config import Settings
from veille.db import open_session
from veille.demo import CITY, DEMO_PASSWORD, DemoAccount

if TYPE_CHECKING:
    from veille.cli.common import Commands

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
ALL_INTERFACES = ("0.0.0.0", "::", "")  # noqa: S104  (only to print a reachable address)


def add_serve(commands: Commands) -> None:
    serve = commands.add_parser(
        "serve",
        help="apply pending migrations, then serve the application",
        description="Apply pending migrations, then serve Veille with uvicorn.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    add_worker_options(serve)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: load the demo data set if the database holds no account, and print "
        "the demo accounts",
    )
    serve.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default="info",
        help="uvicorn's log level (default info)",
    )
    serve.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="no line per request (the reverse proxy's log has them)",
    )
    serve.set_defaults(handler=cmd_serve)


def add_worker_options(
    parser: argparse.ArgumentParser,
    workers_help: str = "number of worker processes (default 1; use PostgreSQL for many)",
    pin_help: str = "each worker on a CPU of its own (Linux, with --workers; see docs/operations.md)",
) -> None:
    """The port, the workers and their pinning (``veille serve``, ``veille bench control``)."""
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port to listen on (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help=workers_help,
    )
    parser.add_argument(
        "--pin-workers",
        action="store_true",
        help=pin_help,
    )


def add_demo(commands: Commands) -> None:
    demo_parser = commands.add_parser(
        "demo",
        help="load the demo data set into an empty database",
        description="Apply migrations, then load the demo data set (Valmont-sur-Loire, a "
        "fictional city) into a database that holds no account yet, and print the demo "
        "accounts.",
    )
    demo_parser.set_defaults(handler=cmd_demo)


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


def asgi_app() -> FastAPI:
    """The app of one uvicorn worker (``--workers`` > 1); settings come from the environment."""
    from veille.app import create_app

    workers.pin_this_worker()  # before the app starts its threads: they are pinned with it
    return settled(create_app())


def settled(app: FastAPI) -> FastAPI:
    """The app, with WeasyPrint loaded and what start-up made set aside from the garbage
    collector (``gc.freeze``).

    Start-up leaves about 280,000 objects that live as long as the process (modules, routes,
    the ORM's mappings; WeasyPrint's besides); every full collection walked them all, 160 ms on the
    development machine, once every few seconds under load: the p95 tails of kept pages.
    Without them a full collection takes 8 to 14 ms. Only served processes do this: the tests
    build an app per test and must let each one go."""
    pdf.preload()  # WeasyPrint too: every worker prints, and its first PDF would wait for it
    gc.collect()
    gc.freeze()
    return app


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrates, loads the demo if asked, then hands over to uvicorn."""
    import uvicorn

    settings = read_settings(creates=True)
    if args.workers > 1 and settings.database_url.startswith("sqlite"):
        # Pages and writes would work, but a live meeting is woken only within one process.
        raise CliError("several workers need PostgreSQL: on SQLite, serve with --workers 1")
    with open_engine(settings) as engine:
        migrate.upgrade(engine)
        if args.demo:
            _serve_demo(engine, settings, _address(args.host, args.port))
    served: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": args.access_log,
        "log_config": access_log.log_config(),
    }
    workers.warn_unpinned(args.workers, args.pin_workers)
    if args.workers > 1:
        workers.serve_workers("veille.cli.serve:asgi_app", args.workers, args.pin_workers, **served)
        return 0
    from veille.app import create_app

    uvicorn.run(settled(create_app(settings)), **served)
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


def cmd_demo(args: argparse.Namespace) -> int:
    settings = read_settings(creates=True)
    with open_engine(settings) as engine:
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
