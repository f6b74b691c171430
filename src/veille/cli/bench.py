"""``veille bench seed``: benchmark data for measuring pages at scale; ``veille bench control``:
the server the benchmark measures beside Veille (issue 15, bench/README.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from veille import migrate
from veille.bench.scales import PUBLIC_SCALES
from veille.bench.seed import PASSWORD, seed
from veille.cli import control
from veille.cli.common import CliError, open_engine
from veille.cli.serve import add_worker_options
from veille.config import load_settings
from veille.errors import Conflict

if TYPE_CHECKING:
    from veille.cli.common import Commands


def add_bench(commands: Commands) -> None:
    bench = commands.add_parser(
        "bench",
        help="benchmark data, and the benchmark's control server",
        description="Benchmark data for measuring the pages at scale, and the server measured "
        "beside them (see bench/README.md).",
    )
    bench_commands = bench.add_subparsers(title="commands", metavar="COMMAND", required=True)
    seed_parser = bench_commands.add_parser(
        "seed",
        help="fill an empty database with a city's or a metropolis' years of data",
        description="Apply migrations, then fill a database that holds no account with "
        "generated data: city (5 sectors, 200 people, 25 bodies, 20,000 reports, 4,000 "
        "actions, 3 years of meetings) or metropolis (30 sectors, 2,000 people, 150 bodies, "
        "300,000 reports, 60,000 actions, 5 years). The same seed gives the same data, dated "
        "from today. Prints the accounts to log in with.",
    )
    seed_parser.add_argument(
        "--scale",
        # "tiny" is accepted for the tests, not offered.
        choices=(*PUBLIC_SCALES, "tiny"),
        default="city",
        metavar="{" + ",".join(PUBLIC_SCALES) + "}",
        help="how much data (default city)",
    )
    seed_parser.add_argument("--seed", type=int, default=1, metavar="N", help="random seed (default 1)")
    seed_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    seed_parser.set_defaults(handler=cmd_bench_seed)
    control_parser = bench_commands.add_parser(
        "control",
        help="serve the benchmark's control: each request answered with the bytes it asks for",
        description="Serve, on 127.0.0.1, a server that answers GET /?bytes=N with N bytes and does "
        "nothing else, with the workers and the pinning of 'veille serve': what the machine gives "
        'a page that costs the server nothing (make bench BENCH_ARGS="... --paired --control", '
        "bench/README.md).",
    )
    add_worker_options(
        control_parser, "number of worker processes (default 1)", "each worker on a CPU of its own (Linux)"
    )
    control_parser.set_defaults(handler=control.cmd_bench_control)


def cmd_bench_seed(args: argparse.Namespace) -> int:
    settings = load_settings()
    with open_engine(settings) as engine:
        migrate.upgrade(engine)
        try:
            done = seed(
                engine, args.scale, seed=args.seed, timezone=settings.timezone, progress=not args.quiet
            )
        except Conflict as exc:
            raise CliError(exc.message) from exc
    rows = sum(done.rows.values())
    print(
        f"Benchmark data ({args.scale}, seed {args.seed}) written in {done.seconds:.0f} s: "
        f"{rows:,} rows, of which {done.rows.get('situation', 0):,} reports.",
        flush=True,
    )
    print(f"Every account's password: {PASSWORD}")
    width = max(len(a.email) for a in done.accounts)
    for account in done.accounts:
        print(f"  {account.role:<12} {account.email:<{width}}  {account.sees}")
    print("Start the server with 'veille serve', then log in with one of these accounts.")
    sys.stdout.flush()
    return 0
