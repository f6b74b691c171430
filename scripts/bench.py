"""``make bench``: each page's latency and throughput under load, beside ``/healthz`` (issue 15).

Seeds a database if it holds no account (``veille bench seed``, or the demo), starts ``veille serve``
pinned to one core and wrk pinned to the other, logs in as a coordinator and as a partner, and
for each page of PAGES runs wrk (10 connections, one for the PDF; a fixed duration) with
bench/wrk.lua, which prints p50, p95 and p99. The table (with the ratio of each page's
requests/s to ``/healthz``'s, measured in the same run) goes to docs/performance.md between
markers of the run's engine, workers and scale, so that a rerun replaces its own table. See
bench/README.md.
"""

# The commands run are this script's own (taskset, wrk, the venv's tools), and the SQL it
# builds joins fixed fragments only: no outside input reaches either.
# ruff: noqa: S603, S607, S608

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
LUA = ROOT / "bench" / "wrk.lua"
SECRET = "bench-secret-key-not-for-production-0123456789"  # noqa: S105

# The pages measured: label, address. Braces are filled from the database (``_targets``);
# "POST" pages are writes whose requests go each to another record (``_writes``: ``{id}``).
PAGES: list[tuple[str, str]] = [
    ("Home", "/"),
    ("A body", "/bodies/{body}"),
    ("Its dashboard", "/bodies/{body}/dashboard"),
    ("Report feed", "/situations"),
    ("Report feed, filtered", "/situations?body_id={body}&status=open"),
    ("Report feed, search", "/situations?q={word}"),
    ("The header's search", "/search?q={word}"),
    ("A report", "/situations/{report}"),
    ("Action table", "/actions"),
    ("A body's board", "/bodies/{body}/actions"),
    ("A meeting", "/meetings/{meeting}"),
    ("Its minutes, 10 pages (PDF), one at a time", "/meetings/{long_meeting}/minutes.pdf"),
    ("A GLTD's follow-up", "/bodies/{gltd}/group"),
    ("Statistics", "/stats"),
    ("Statistics, 3 years", "/stats?since={three_years_ago}"),
    ("Activity figures", "/activity"),
    ("Write: a report update", "POST /situations/{{id}}/updates"),
    ("Write: an action move", "POST /actions/{{id}}/status"),
]
SEARCH_WORD = "médiateurs"
# Measured one request at a time: the target is one download's time (ten PDFs printing at once
# on one core take longer than a page's run, which then counts none of them).
ALONE = {"Its minutes, 10 pages (PDF), one at a time"}

# Who logs in, per data set: persona -> e-mail; and the password.
ACCOUNTS = {
    "bench": (
        {"coordinator": "coordination@bench.example", "partner": "partenaire@bench.example"},
        "veille-bench-2026",
    ),
    "demo": (
        {"coordinator": "claire.martin@valmont.example", "partner": "thomas.girard@valmont.example"},
        "veille-demo-2026",
    ),
}


@dataclass
class Result:
    persona: str
    label: str
    url: str
    requests: int
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    size: int = 0  # the bytes of a page's answer (its first view's)


@dataclass
class Server:
    """A ``veille serve`` measured: its workers, CPUs and port."""

    workers: int
    cpus: str
    port: int
    client_cpus: str  # wrk's
    pinned: bool = False  # each worker on one of ``cpus`` (``--pin-workers``)
    database_cpus: str = ""  # the local PostgreSQL's, pinned while this server is measured
    control: bool = False  # ``veille bench control`` instead of Veille (--control)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def main() -> int:
    args = _parse()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # ``finally`` puts PostgreSQL back
    url = args.postgres_url if args.engine == "postgresql" else f"sqlite:///{args.sqlite}"
    env = {
        **os.environ,
        "VEILLE_DATABASE_URL": url,
        "VEILLE_SECRET_KEY": SECRET,
        **({"VEILLE_PAGE_CACHE_MB": "0"} if args.rendered else {}),
    }
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    # Refused, if it is, before a seed of minutes.
    database = _Database(_backend(engine)) if args.shared_cpus and args.engine == "postgresql" else None
    _seed_if_empty(args, env)
    kind = "demo" if args.scale == "demo" else "bench"
    emails, password = ACCOUNTS[kind]
    servers = _servers(args)
    controls = [replace(s, port=_free_port(), control=True) for s in servers] if args.control else []
    running = []
    try:
        for server in [*servers, *controls]:
            running.append(_start_server(server, env))
        results: list[list[Result]] = [[] for _ in servers]
        controlled: list[list[Result | None]] = [[None] for _ in controls]  # none for /healthz
        for server, found in zip(servers, results, strict=True):
            if database:
                database.pin(server.database_cpus)
            found.append(_measure(args, server, "anonymous", "/healthz", "/healthz", None, None))
        for persona in args.personas:
            cookie, csrf = _login(servers[-1].base, emails[persona], password)
            targets = _targets(engine, emails[persona])
            _first_visit(engine, emails[persona])
            for label, address in [(label, address) for label, address in PAGES if args.only in label]:
                for server, found in zip(servers, results, strict=True):
                    if database:
                        database.pin(server.database_cpus)
                    page = Page(persona, emails[persona], label, address.format(**targets))
                    found.append(_page(args, server, engine, page, cookie, csrf))
                    _settle(server.base)  # its last requests done: the next run reads what they wrote
                for control, asked in zip(controls, controlled, strict=True):
                    asked.append(_control(args, control, results[-1][-1]))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one would leave this half done
        try:
            if database:
                database.restore()
        finally:
            for process in running:
                _stop(process)
            engine.dispose()
    table = _table(results[-1], results[0] if args.paired else None, controlled)
    print(table)
    if not args.only:
        _write_doc(args, table)
    return 0


def _servers(args: argparse.Namespace) -> list[Server]:
    """The servers measured: with --paired, one worker on the first of the CPUs, measured just
    before the workers on each page; with --shared-cpus, wrk and the database on each server's
    own CPUs instead of wrk on the client's and the database wherever the system puts it."""

    def placed(workers: int, cpus: str, port: int, pinned: bool) -> Server:
        shared = cpus if args.shared_cpus else ""
        return Server(workers, cpus, port, shared or args.client_cpus, pinned, database_cpus=shared)

    first = re.split("[,-]", args.server_cpus)[0]
    servers = [placed(1, first, _free_port(), False)] if args.paired else []
    return [*servers, placed(args.workers, args.server_cpus, args.port, args.pin_workers)]


class _Database:
    """The local PostgreSQL's processes (its postmaster and every process it started), pinned to
    the measured server's CPUs for --shared-cpus, then put on every CPU at the end. The pins
    hold for the whole server, every database and client of it; a backend started later
    inherits the postmaster's. A run killed outright leaves them pinned (bench/README.md)."""

    def __init__(self, backend: int, command: str = "postgres") -> None:
        """``backend``: the process of one of the server's connections (``pg_backend_pid()``)."""
        self.postmaster = _parent(backend)
        # A backend's number may be that of another machine's or container's process, or none.
        if self.postmaster <= 1 or not _command(backend) == _command(self.postmaster) == command:
            raise SystemExit("--shared-cpus pins PostgreSQL's processes: it must run on this machine")
        self.every = _every_cpu()
        found = os.sched_getaffinity(self.postmaster)
        if not os.sched_getaffinity(0) <= found:
            print(
                f"PostgreSQL's processes are on CPUs {sorted(found)} only (a run killed before its "
                "end?): they are put on every CPU at the end.",
                file=sys.stderr,
            )
        self.pin(found)  # refused now rather than once the servers have started

    def pin(self, cpus: str | set[int]) -> None:
        chosen = cpus if isinstance(cpus, set) else _cpu_set(cpus)
        # The postmaster first: a backend it starts meanwhile inherits the new CPUs.
        for pid in [self.postmaster, *_children(self.postmaster)]:
            try:
                os.sched_setaffinity(pid, chosen)
            except ProcessLookupError:  # ended meanwhile
                pass
            except PermissionError as error:
                raise SystemExit(
                    f"--shared-cpus pins PostgreSQL's processes: run it as root or as PostgreSQL's "
                    f"user ({error})"
                ) from error

    def restore(self) -> None:
        self.pin(self.every)


def _backend(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _children(pid: int) -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(int(p.name)) == pid]


def _parent(pid: int) -> int:
    """A process's parent (``/proc/PID/stat``; its name, in brackets, may hold spaces); 0 once it
    has ended, or when it may not be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def _command(pid: int) -> str:
    """A process's command name (``/proc/PID/comm``), empty once it has ended or when it may not
    be read."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _every_cpu() -> set[int]:
    """The machine's CPUs, whatever this process may use."""
    return set(range(os.sysconf("SC_NPROCESSORS_CONF")))


def _cpu_set(cpus: str) -> set[int]:
    """A taskset list ("0", "0,1", "0-3") as a set."""
    chosen: set[int] = set()
    for part in cpus.split(","):
        low, _, high = part.partition("-")
        chosen.update(range(int(low), int(high or low) + 1))
    return chosen


@dataclass
class Page:
    """A page of PAGES for a persona, its braces filled (a write's ``{id}`` left)."""

    persona: str
    email: str
    label: str
    address: str


def _page(
    args: argparse.Namespace, server: Server, engine: Engine, page: Page, cookie: str, csrf: str
) -> Result:
    """One page measured on one server; a write's records read again first (each run moves them
    on), a page's address checked first (and its first view kept)."""
    size = 0
    if page.address.startswith("POST "):
        requests = _writes(engine, page.email, page.persona, page.address[5:], csrf)
    else:
        requests = [("GET", page.address, "")]
        answer = httpx.get(server.base + page.address, headers={"Cookie": cookie}, timeout=120)
        if answer.status_code != 200:
            print(f"{page.persona}: {page.address} answers {answer.status_code}", file=sys.stderr)
        size = len(answer.content)
    connections = 1 if page.label in ALONE else args.connections
    found = _measure(
        args, server, page.persona, page.label, page.address, cookie, csrf, requests, connections
    )
    return replace(found, size=size)


def _control(args: argparse.Namespace, control: Server, page: Result) -> Result | None:
    """The control server asked, as wrk asks the page, for the page's bytes; not for a write or an
    answer without a body (a redirect), nor for a page measured one request at a time (the PDF's
    target is one download's time)."""
    if not page.size or page.label in ALONE:
        return None
    shown = f"/?bytes={page.size}"
    return _measure(args, control, page.persona, page.label, shown, None, None)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("metropolis", "city", "demo"), default="metropolis")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (PostgreSQL for 2)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per page (default 10)")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--sqlite", type=Path, help="SQLite file (default /tmp/veille-bench-SCALE.db)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("VEILLE_BENCH_POSTGRES_URL", ""),
        help="PostgreSQL database for --engine postgresql (default $VEILLE_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--server-cpus", default="0", help="taskset list for uvicorn (default 0)")
    parser.add_argument("--client-cpus", help="taskset list for wrk (default 1)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument(
        "--paired",
        action="store_true",
        help="with --workers 2 or more: one worker on the first of their CPUs measured too, just "
        "before them on each page, and the ratio of the two (a machine whose speed drifts "
        "cannot compare runs)",
    )
    parser.add_argument(
        "--pin-workers",
        action="store_true",
        help="with --workers 2 or more: each worker on one of the server's CPUs (veille serve's option)",
    )
    parser.add_argument(
        "--shared-cpus",
        action="store_true",
        help="wrk and the local PostgreSQL on the server's CPUs too (its processes pinned for the "
        "run, then put back): with --paired, one worker has one CPU for everything and the workers "
        "all of theirs, so two workers on two CPUs have twice what one has",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="with --paired: each page's bytes asked too of a server that does nothing else "
        "(veille bench control), one worker and the workers, placed as Veille's: what this machine "
        "gives two workers against one on a page that costs them nothing",
    )
    parser.add_argument("--personas", default="coordinator,partner", type=lambda v: v.split(","))
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--note", default="", help="a line written above the table")
    parser.add_argument(
        "--only",
        default="",
        metavar="TEXT",
        help="only the pages whose label holds TEXT (and /healthz); the table is printed, not written",
    )
    parser.add_argument(
        "--rendered",
        action="store_true",
        help="no kept page (VEILLE_PAGE_CACHE_MB=0): every view rendered, as a first view is",
    )
    args = parser.parse_args()
    if args.engine == "postgresql" and not args.postgres_url:
        parser.error("--engine postgresql needs --postgres-url or VEILLE_BENCH_POSTGRES_URL")
    args.sqlite = args.sqlite or Path(tempfile.gettempdir()) / f"veille-bench-{args.scale}.db"
    if args.paired and args.workers < 2:
        parser.error("--paired compares several workers with one: give --workers 2 or more")
    if args.control and not args.paired:
        parser.error("--control compares its two servers as --paired compares Veille's: give --paired")
    if args.shared_cpus and args.client_cpus:
        parser.error("--shared-cpus runs wrk on the server's CPUs: give no --client-cpus")
    args.client_cpus = args.client_cpus or "1"
    for option, cpus in (("--server-cpus", args.server_cpus), ("--client-cpus", args.client_cpus)):
        try:
            chosen = _cpu_set(cpus)
        except ValueError:
            chosen = set()
        if not chosen or not chosen <= _every_cpu():
            parser.error(f"{option} takes CPUs of this machine and ranges, as 0,1 or 0-3: not {cpus}")
    args.port = args.port or _free_port()
    return args


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed_if_empty(args: argparse.Namespace, env: dict[str, str]) -> None:
    subprocess.run([BIN / "veille", "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL)
    engine = create_engine(env["VEILLE_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        accounts = connection.execute(text('SELECT COUNT(*) FROM "user"')).scalar_one()
    engine.dispose()
    if accounts:
        print(f"Database already seeded ({accounts} accounts): measuring it as it is.", file=sys.stderr)
        return
    command = ["demo"] if args.scale == "demo" else ["bench", "seed", "--scale", args.scale]
    started = time.monotonic()
    subprocess.run([BIN / "veille", *command], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"Seeded {args.scale} in {time.monotonic() - started:.0f} s.", file=sys.stderr)


def _start_server(server: Server, env: dict[str, str]) -> subprocess.Popen[bytes]:
    served: list[str] = (
        ["bench", "control"]
        if server.control
        else ["serve", "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]
    )
    command: list[str | Path] = [
        "taskset", "-c", server.cpus, BIN / "veille", *served,
        "--port", str(server.port), "--workers", str(server.workers),
        *(["--pin-workers"] if server.pinned else []),
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**env, "VEILLE_BASE_URL": server.base})
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                # The first worker answers while the others still load the app, on the same
                # CPUs: a run begun then measured one worker beside the others' start (each
                # listens once it is ready, on a socket of its own).
                answered = httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200
                if answered and _listening(server.port) >= server.workers:
                    return process
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise SystemExit(f"the server stopped at its start ({process.returncode})")
            time.sleep(0.2)
        raise SystemExit("the server did not start")
    except BaseException:  # not started, or the run stopped meanwhile: no server left behind
        _stop(process)
        raise


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _listening(port: int) -> int:
    """How many sockets listen on ``port`` (``/proc/net/tcp``: state 0A; Linux, as taskset)."""
    tables = [Path(t) for t in ("/proc/net/tcp", "/proc/net/tcp6") if Path(t).exists()]  # IPv6 may be off
    rows = [line.split() for table in tables for line in table.read_text().splitlines()[1:]]
    return sum(int(r[1].rsplit(":", 1)[1], 16) == port and r[3] == "0A" for r in rows)


def _login(base: str, email: str, password: str) -> tuple[str, str]:
    """The session's cookie header and the CSRF token that goes with it."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        page = client.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not found:
            raise SystemExit("no CSRF token on the login page")
        csrf = found.group(1)
        answer = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf})
        if answer.status_code != 303 or "veille_session" not in client.cookies:
            raise SystemExit(f"login refused for {email}: {answer.status_code}")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return cookie, csrf


def _targets(engine: Engine, email: str) -> dict[str, Any]:
    """The records the pages show: the person's first watch cell (the first one when they sit in
    none, as the staff), its latest body-wide report and held meeting, a crime-treatment group."""
    with engine.connect() as c:
        user_id = c.execute(text('SELECT id FROM "user" WHERE email = :e'), {"e": email}).scalar_one()
        mine = "SELECT body_id FROM membership WHERE user_id = :u"
        body = c.execute(
            text(f"SELECT id FROM body WHERE kind = 'watch_cell' ORDER BY id IN ({mine}) DESC, id LIMIT 1"),
            {"u": user_id},
        ).scalar_one()
        gltd = c.execute(
            text(
                "SELECT id FROM body WHERE kind = 'crime_treatment_group' "
                f"ORDER BY id IN ({mine}) DESC, status = 'active' DESC, id DESC LIMIT 1"
            ),
            {"u": user_id},
        ).scalar()
        report = c.execute(
            text("SELECT MAX(id) FROM situation WHERE body_id = :b AND confidentiality = 'body'"), {"b": body}
        ).scalar_one()
        meeting = c.execute(
            text(
                "SELECT id FROM meeting WHERE body_id = :b AND status IN ('held', 'minutes_approved') "
                "AND location != :l ORDER BY starts_at DESC, id LIMIT 1"
            ),
            {"b": body, "l": LONG_MEETING},
        ).scalar_one()
    today = dt.date.today()
    return {
        "body": body,
        "gltd": gltd or body,
        "report": report,
        "meeting": meeting,
        "long_meeting": _long_meeting(engine, meeting),
        "word": quote(SEARCH_WORD),
        "three_years_ago": today.replace(year=today.year - 3).isoformat(),
    }


def _first_visit(engine: Engine, email: str) -> None:
    """Home lists the reports new since the person's last visit, and a visit half an hour after
    the last moves that mark: each run starts as a first visit (the last seven days), or runs
    minutes apart would measure different lists."""
    with engine.begin() as c:
        c.execute(
            text('DELETE FROM home_visit WHERE user_id = (SELECT id FROM "user" WHERE email = :e)'),
            {"e": email},
        )


LONG_MEETING = "Salle du conseil (séance longue, banc d'essai)"
LONG_ITEMS = 14  # with their notes and decisions, about ten pages of minutes


def _long_meeting(engine: Engine, meeting: int) -> int:
    """A held meeting of the same body, at the time of ``meeting``, with its invitees and
    LONG_ITEMS agenda items of notes and decisions: its minutes print about ten pages (the
    issue's "10-page minutes PDF in under a second"). Made once, found by its location."""
    with engine.begin() as c:
        found = c.execute(text("SELECT id FROM meeting WHERE location = :l"), {"l": LONG_MEETING}).scalar()
        if found is not None:
            return int(found)
        columns = (
            "body_id, starts_at, ends_at, status, version, sequence, convened_at, created_at, created_by"
        )
        c.execute(
            text(
                f"INSERT INTO meeting (location, uid, {columns}) "
                f"SELECT :l, :u, {columns} FROM meeting WHERE id = :m"
            ),
            {"l": LONG_MEETING, "u": f"bench-long-{meeting}@veille", "m": meeting},
        )
        long_id = int(
            c.execute(text("SELECT id FROM meeting WHERE location = :l"), {"l": LONG_MEETING}).scalar_one()
        )
        c.execute(text("UPDATE meeting SET status = 'held' WHERE id = :m"), {"m": long_id})
        invited = "user_id, status, represented_by, guest, answered_at"
        c.execute(
            text(
                f"INSERT INTO invitation (meeting_id, {invited}) "
                f"SELECT :n, {invited} FROM invitation WHERE meeting_id = :m"
            ),
            {"n": long_id, "m": meeting},
        )
        now = dt.datetime.now(dt.UTC)
        if engine.dialect.name == "sqlite":  # UTC without its offset, as the app stores it there
            now = now.replace(tzinfo=None)
        for position in range(1, LONG_ITEMS + 1):
            c.execute(
                text(
                    "INSERT INTO agenda_item (meeting_id, position, title, description, presenter, notes, "
                    "decisions, confidential, carried_over, version, updated_at) "
                    "VALUES (:m, :p, :t, :d, :pr, :n, :de, :c, :co, 1, :u)"
                ),
                {
                    "m": long_id,
                    "p": position,
                    "t": f"Point {position} : occupation des halls et tranquillité résidentielle",
                    "d": LONG_DESCRIPTION,
                    "pr": "Service de prévention et de médiation",
                    "n": LONG_NOTES,
                    "de": LONG_DECISIONS,
                    "c": False,
                    "co": False,
                    "u": now,
                },
            )
    return long_id


LONG_DESCRIPTION = (
    "Point sur la situation du secteur depuis la dernière réunion, signalements et actions en cours."
)
LONG_NOTES = "\n\n".join(
    [
        "Le bailleur signale des regroupements en soirée dans les halls des immeubles du quartier, "
        "avec des dégradations des boîtes aux lettres et de l'éclairage des parties communes. "
        "La police nationale confirme trois passages de patrouille la semaine dernière et deux "
        "interpellations pour usage de stupéfiants.",
        "Les médiateurs de rue ont rencontré les jeunes concernés à plusieurs reprises ; ils "
        "proposent une permanence le mercredi après-midi au centre social, en lien avec le club de "
        "prévention spécialisée, et une réunion avec les habitants de la résidence.",
        "Le service des transports indique que l'arrêt de bus voisin a été dégradé deux fois ce "
        "mois-ci ; un signalement a été transmis à la société de transport, qui remplacera l'abri "
        "dans les quinze jours. L'éducation nationale rapporte un climat apaisé aux abords du collège.",
    ]
)
LONG_DECISIONS = (
    "Renforcer les passages de la patrouille en soirée, du jeudi au samedi.\n"
    "Le bailleur fait réparer l'éclairage des halls avant la fin du mois.\n"
    "Les médiateurs organisent une rencontre avec les habitants de la résidence."
)


def _writes(engine: Engine, email: str, persona: str, address: str, csrf: str) -> list[tuple[str, str, str]]:
    """One request per record, on records of this persona only, so that no two writes conflict:
    updates on body-wide reports of the person's active bodies; moves of in-progress actions they may
    change (to done; a done one back to work), each at its current version."""
    path = address.replace("{id}", "{}")
    with engine.connect() as c:
        user = c.execute(
            text('SELECT id, organisation_id, role FROM "user" WHERE email = :e'), {"e": email}
        ).one()
        mine = "SELECT body_id FROM membership WHERE user_id = :u AND role <> 'guest'"
        scope = f"body_id IN ({mine})" if user.role == "member" else "1 = 1"
        if "updates" in path:
            # Reports of active bodies: a closed body's are read-only (409).
            ids = c.execute(
                text(
                    "SELECT situation.id FROM situation JOIN body ON body.id = situation.body_id "
                    "WHERE confidentiality = 'body' AND body.status = 'active' "
                    f"AND {scope.replace('body_id IN', 'situation.body_id IN', 1)} "
                    "ORDER BY situation.id DESC LIMIT 2000"
                ),
                {"u": user.id},
            ).scalars()
            body = urlencode({"csrf_token": csrf, "text": f"Passage de contrôle ({persona})."})
            return [("POST", path.format(i), body) for i in ids]
        lead = "lead_organisation_id = :o AND " if user.role == "member" else ""
        # The action's body (not the membership's: a blind replace once made the subquery
        # correlated, and the partner moved actions of bodies they are not in: 404s).
        action_scope = scope.replace("body_id IN", "action.body_id IN", 1)
        parity = 0 if persona == "coordinator" else 1
        rows = c.execute(
            text(
                "SELECT action.id, action.status, action.version "
                "FROM action JOIN body ON body.id = action.body_id "
                f"WHERE {lead}{action_scope} AND body.status = 'active' "
                f"AND action.status IN ('in_progress', 'done') AND action.id % 2 = {parity} "
                "ORDER BY action.id DESC LIMIT 5000"
            ),
            {"u": user.id, "o": user.organisation_id},
        ).all()
    # Each action moves to done, back to work (reopened), to done..., each move at the version
    # the previous one left; a record comes back only after every other one of the pool has
    # been sent, so its previous move is answered by then (the pool is larger than the
    # connections).
    if len(rows) <= 20:
        print(f"{persona}: only {len(rows)} actions to move: some moves may conflict", file=sys.stderr)
    requests = []
    for turn in range(max(1, 20_000 // max(len(rows), 1))):
        for action_id, status, version in rows:
            done = (status == "in_progress") == (turn % 2 == 0)
            moved = {"status": "done"} if done else {"status": "in_progress", "reopen": "1"}
            body = urlencode({"csrf_token": csrf, "version": version + turn, **moved})
            requests.append(("POST", path.format(action_id), body))
    return requests


def _measure(
    args: argparse.Namespace,
    server: Server,
    persona: str,
    label: str,
    shown: str,
    cookie: str | None,
    csrf: str | None,
    requests: list[tuple[str, str, str]] | None = None,
    connections: int | None = None,
) -> Result:
    requests = requests or [("GET", shown, "")]
    base = server.base
    _settle(base)
    with tempfile.NamedTemporaryFile("w", suffix=".requests", delete=False) as handle:
        handle.write("".join(f"{m}\t{p}\t{b}\n" for m, p, b in requests))
    env = {
        **os.environ,
        "BENCH_REQUESTS": handle.name,
        "BENCH_COOKIE": cookie or "",
        "BENCH_CSRF": csrf or "",
    }
    command = [
        "taskset", "-c", server.client_cpus, "wrk", "-t1", f"-c{connections or args.connections}",
        f"-d{args.duration}s", "--timeout", "30s", "-s", str(LUA), base,
    ]  # fmt: skip
    try:
        run = subprocess.run(command, env=env, check=False, capture_output=True, text=True)
        if run.returncode:
            raise SystemExit(f"wrk failed on {shown}: {run.stderr or run.stdout}")
        out = run.stdout
    finally:
        os.unlink(handle.name)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    count, duration, p50, p95, p99, errors = (int(v) for v in line.split()[1:])
    rps = count / (duration / 1e6)
    result = Result(persona, label, shown, count, rps, p50 / 1e3, p95 / 1e3, p99 / 1e3, errors)
    print(
        f"{persona:<12} {label:<26} {rps:8.1f} req/s  p95 {result.p95:8.1f} ms  errors {errors}",
        file=sys.stderr,
    )
    return result


def _settle(base: str, quick: float = 0.005, times: int = 5, limit: float = 120.0) -> None:
    """Waits until the server is idle (``/healthz`` answered within ``quick`` seconds ``times``
    in a row; it takes 1 to 2 ms alone, several times that beside threads still printing):
    wrk stops sending when its time is up, but the server still works on what it received
    (ten 10-page PDFs take seconds), which would weigh on the next page's figures."""
    deadline = time.monotonic() + limit
    in_a_row = 0
    with httpx.Client(base_url=base, timeout=limit) as client:  # one client: its making costs more
        while in_a_row < times and time.monotonic() < deadline:
            began = time.monotonic()
            client.get("/healthz")
            in_a_row = in_a_row + 1 if time.monotonic() - began < quick else 0


def _table(
    results: list[Result],
    one_worker: list[Result] | None = None,
    controlled: list[list[Result | None]] | None = None,
) -> str:
    """The table; with ``one_worker`` (--paired), that server's requests/s for each page beside
    and the ratio to it; with ``controlled`` (--control), the control's requests/s on the page's
    bytes, one worker and the workers, as the ratio of the two."""
    healthz = results[0].rps
    paired = " one worker req/s | × one worker |" if one_worker else ""
    control = " bytes | control × one worker |" if controlled else ""
    lines = [
        f"| As | Page | Address | p50 ms | p95 ms | p99 ms | req/s | × /healthz |{paired}{control} errors |",
        "|---|---|---|---:|---:|---:|---:|---:|"
        + ("---:|---:|" if one_worker else "")
        + ("---:|---:|" if controlled else "")
        + "---:|",
    ]
    for i, r in enumerate(results):
        beside = ""
        if one_worker:
            alone = one_worker[i].rps
            beside = f" {alone:.1f} | {r.rps / alone:.2f} |" if alone else " 0 | — |"
        if controlled:
            one, many = (found[i] for found in controlled)
            ratio = "—"  # also over a control that failed (its errors are printed): not over refusals
            if one and many and one.rps and not (one.errors or many.errors):
                ratio = f"{many.rps / one.rps:.2f}"
            beside += f" {r.size or '—'} | {ratio} |"
        if not r.requests:  # none answered within the duration
            lines.append(f"| {r.persona} | {r.label} | `{r.url}` | — | — | — | 0 | 0 |{beside} {r.errors} |")
            continue
        lines.append(
            f"| {r.persona} | {r.label} | `{r.url}` | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} | "
            f"{r.rps:.1f} | {r.rps / healthz:.3f} |{beside} {r.errors} |"
        )
    return "\n".join(lines)


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{model}, {cores} cores (nproc)"


def _write_doc(args: argparse.Namespace, table: str) -> None:
    key = (
        f"{args.engine}-{args.workers}w-{args.scale}"
        + ("-paired" if args.paired else "")
        + ("-pinned" if args.pin_workers else "")
        + ("-shared" if args.shared_cpus else "")
        + ("-control" if args.control else "")
        + ("-rendered" if args.rendered else "")
    )
    how = (
        (" beside one" if args.paired else "")
        + (", each pinned to a CPU" if args.pin_workers else "")
        + (", wrk and the database on the same CPUs" if args.shared_cpus else "")
        + (", beside the control" if args.control else "")
        + (", every view rendered" if args.rendered else ", pages kept")
    )
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    section = "\n".join(
        [
            start,
            f"### {args.scale}, {args.engine}, {args.workers} worker{'s' if args.workers > 1 else ''}{how}",
            "",
            f"- Date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"- Machine: {_machine()}; uvicorn on CPU {args.server_cpus}, "
            + ("wrk and the database there too" if args.shared_cpus else f"wrk on CPU {args.client_cpus}")
            + ("; one worker on the first of those measured just before on each page" if args.paired else "")
            + (" (with wrk and the database)" if args.paired and args.shared_cpus else ""),
            f"- {args.connections} connections (the minutes PDF: one), {args.duration} s per page"
            " (`make bench`, scripts/bench.py)",
            *(
                [
                    "- Control: `veille bench control` answering each page's bytes, one worker and the "
                    "workers placed as Veille's, measured after them on each page (bench/README.md)"
                ]
                if args.control
                else []
            ),
            *([f"- Note: {args.note}"] if args.note else []),
            "",
            table,
            end,
        ]
    )
    output: Path = args.output
    current = output.read_text() if output.exists() else HEADER
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + section + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + section + "\n"
    output.write_text(current)
    print(f"Table written to {output}.", file=sys.stderr)


HEADER = """# Performance

Each page's latency and throughput under load, measured by `make bench` (bench/README.md):
one uvicorn process pinned to one core, wrk pinned to the other, 10 connections, a logged-in
session; the ratio compares each page's requests/s with `/healthz`'s in the same run. The
targets are those of issue 15. Each run replaces its own table (per engine, workers and scale).
"""


if __name__ == "__main__":
    sys.exit(main())
