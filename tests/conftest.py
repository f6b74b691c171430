"""The test harness: a fresh database per test on SQLite and on PostgreSQL, clients logged in as
a persona, factories, a query counter, a running uvicorn and Playwright on Debian's Chromium.

- Without VEILLE_TEST_POSTGRES_URL the database tests run on SQLite only;
  VEILLE_TEST_REQUIRE_POSTGRES=1 (set by CI) makes that an error.
- Without Chromium the browser tests are skipped; VEILLE_TEST_REQUIRE_BROWSER=1 makes that an
  error.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, make_url, text
from sqlmodel import Session

from tests.factories import Factory, World, build_world
from veille.app import create_app
from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.config import Settings
from veille.db import make_engine, open_session
from veille.deps import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from veille.directory.models import User
from veille.migrate import upgrade
from veille.notifications.service import deliver_pending

POSTGRES_URL = os.environ.get("VEILLE_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("VEILLE_TEST_REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("VEILLE_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("VEILLE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not POSTGRES_URL:
        raise pytest.UsageError("VEILLE_TEST_REQUIRE_POSTGRES=1 but VEILLE_TEST_POSTGRES_URL is not set")


# The tests of a minute: every page walked by the accessibility gate, the server killed ten times.
LONGEST = {"test_accessibility.py", "test_crash.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (those of ``LONGEST``, then those of a real browser or real server
    processes): with ``-n 2`` the run ends on short tests rather than on one long walk while the
    other worker has nothing left."""
    items.sort(key=_length)  # a stable sort: the rest keep their order


def _length(item: pytest.Item) -> int:
    if item.path.name in LONGEST:
        return 0
    return 1 if item.get_closest_marker("browser") or item.path.parent.name == "ops" else 2


def pytest_report_header() -> str:
    engines = " and ".join(ENGINES)
    hint = "" if POSTGRES_URL else " (set VEILLE_TEST_POSTGRES_URL to add PostgreSQL)"
    return f"veille: database tests on {engines}{hint}"


# Databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "veille.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> Iterator[str]:
    """The CI's PostgreSQL database, migrated once; tables are emptied after each test. Each
    pytest-xdist worker gets a database of its own beside it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = POSTGRES_URL
    if worker:
        name = f"{make_url(POSTGRES_URL).database}_{worker}"
        _postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    with engine.begin() as connection:
        # The categories the migrations seed, put back after each test's truncation.
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS seed CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA seed")
        connection.exec_driver_sql("CREATE TABLE seed.category AS TABLE public.category")
        connection.exec_driver_sql("CREATE TABLE seed.commune AS TABLE public.commune")
    engine.dispose()
    yield url
    emptier = _emptiers.pop(url, None)
    if emptier is not None:
        emptier.engine.dispose()
    if worker:
        _postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _postgres_admin(*statements: str) -> None:
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    admin.dispose()


@dataclass
class _Emptier:
    """How to empty one PostgreSQL test database quickly, found once per worker. ``TRUNCATE`` of
    every table made new files for each table and index and cost 140 to 330 ms a test (minutes
    of the suite); deleting the rows of the tables that hold any costs about 10 ms. Deleting in
    any order needs the foreign keys' triggers off (``session_replication_role``, a superuser's
    right, as CI's ``postgres``); without it, ``TRUNCATE`` as before."""

    engine: Engine
    tables: list[str]
    holding: str  # one statement naming the tables that hold rows
    may_skip_keys: bool


_emptiers: dict[str, _Emptier] = {}


def _emptier(url: str) -> _Emptier:
    if url not in _emptiers:
        engine = make_engine(url)
        with engine.connect() as connection:
            tables = list(
                connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename NOT IN ('alembic_version', 'data_version') ORDER BY tablename"
                    )
                ).scalars()
            )
            superuser = connection.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar_one()
        # Table names as the catalogue gives them, not input.
        holding = " UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")"  # noqa: S608
            for t in tables
        )
        _emptiers[url] = _Emptier(engine, tables, holding, bool(superuser))
    return _emptiers[url]


def _truncate_postgres(url: str) -> None:
    """Empties every table but the migrations' own, ids starting again at 1, then puts back the
    categories and communes the migrations seed."""
    emptier = _emptier(url)
    with emptier.engine.begin() as connection:
        if emptier.may_skip_keys:
            full = list(connection.exec_driver_sql(emptier.holding).scalars())
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in full:
                connection.exec_driver_sql(f'DELETE FROM "{table}"')  # noqa: S608 (the catalogue's)
            used = connection.exec_driver_sql(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            ).scalars()
            for sequence in list(used):
                connection.exec_driver_sql(f"SELECT setval('\"{sequence}\"', 1, false)")
        else:
            names = ", ".join(f'"{t}"' for t in emptier.tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        connection.exec_driver_sql("INSERT INTO category SELECT * FROM seed.category")
        connection.exec_driver_sql("SELECT setval('category_id_seq', (SELECT max(id) FROM category))")
        connection.exec_driver_sql("INSERT INTO commune SELECT * FROM seed.commune")
        connection.exec_driver_sql("SELECT setval('commune_id_seq', (SELECT max(id) FROM commune))")


def cut_connections(engine: Engine, application: str) -> int:
    """Ends this database's connections named ``application`` (PostgreSQL: a network cut, a
    restart), how many."""
    with engine.connect() as connection:
        return len(
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": application},
            ).all()
        )


# A test of what only PostgreSQL has (an index's plan, the listener): none when it is not set up.
ON_POSTGRESQL = pytest.mark.parametrize(
    "engine_name", [e for e in ENGINES if e == "postgresql"], indirect=True
)


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(engine_name: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database holding no data, for this test alone."""
    if engine_name == "sqlite":
        path = tmp_path / "veille.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_migrated")
    try:
        yield url
    finally:
        _truncate_postgres(url)


@contextmanager
def new_database(engine_name: str, folder: Path) -> Iterator[str]:
    """A database with no table at all, dropped after (a SQLite file in ``folder``)."""
    if engine_name == "sqlite":
        yield f"sqlite:///{folder / 'empty.db'}"
        return
    name = f"veille_test_{uuid.uuid4().hex[:12]}"
    _postgres_admin(f"CREATE DATABASE {name}")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _postgres_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def empty_database_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """A database with no table at all (for migrations and the command line)."""
    with new_database(engine_name, tmp_path) as url:
        yield url


# Application


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "files",
        secret_key=SECRET,
        base_url="http://testserver",
        login_delay_seconds=0.01,
        # No address nor tile request leaves the machine: tests/situations/test_geocoder.py and
        # test_map_browser.py serve stand-ins.
        geocoder_url="",
        map_tiles_url="",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    return app.state.engine  # type: ignore[no-any-return]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def factory(session: Session, settings: Settings) -> Factory:
    return Factory(session, files_dir=settings.files_dir)


@pytest.fixture
def world(factory: Factory) -> World:
    return build_world(factory)


def _issue(app: FastAPI, settings: Settings, user: User, kind: TokenKind) -> str:
    with open_session(app.state.engine, write=True) as writer:
        raw, _ = auth.issue_token(writer, settings, user=user, kind=kind)
    return raw


class Client(TestClient):
    """An httpx client of the app that knows its CSRF token, as a browser holding the page would."""

    csrf: str = ""

    def form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POSTs a form with the CSRF token, as the page's form would."""
        return self.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def htmx(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POSTs as htmx does: token in the header, HX-Request set."""
        headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.post(url, data=data or {}, headers=headers, **kwargs)


@pytest.fixture
def client_for(app: FastAPI, settings: Settings, session: Session) -> Iterator[Any]:
    """client_for(user) -> a client logged in as that user (None: anonymous)."""
    clients: list[Client] = []

    def make(user: User | None = None) -> Client:
        client = Client(app, base_url="http://testserver", follow_redirects=False)
        cookie = "test-csrf-cookie-" + uuid.uuid4().hex
        client.cookies.set(CSRF_COOKIE, cookie)
        client.csrf = csrf_token_for(settings, cookie)
        if user is not None:
            raw = _issue(app, settings, user, TokenKind.session)
            client.cookies.set(SESSION_COOKIE, raw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api_for(app: FastAPI, settings: Settings, session: Session) -> Iterator[Any]:
    """api_for(user) -> an API client with a bearer token of that user (None: no token)."""
    clients: list[TestClient] = []

    def make(user: User | None = None) -> TestClient:
        headers = {}
        if user is not None:
            raw = _issue(app, settings, user, TokenKind.api)
            headers["Authorization"] = f"Bearer {raw}"
        client = TestClient(app, base_url="http://testserver", headers=headers)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# Query counting


@dataclass
class QueryLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(engine: Engine) -> Iterator[QueryLog]:
    """Counts the SQL statements the app sends (BEGIN/COMMIT and pragmas excluded)."""
    log = QueryLog()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)", statement, re.I):
            log.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def queries(app: FastAPI, engine: Engine) -> Any:
    """count_queries on the app's engine; pages are rendered, not served from the page cache
    (tests/test_page_cache.py counts what a kept page costs)."""
    app.state.page_store.enabled = False
    return lambda: count_queries(engine)


# Browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by a real uvicorn on a free local port, on this test's database."""
    port = _free_port()
    live_settings = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    app = create_app(live_settings)
    # A page's event stream outlives the server when the page is closed after it (sse-starlette
    # ends streams on a signal, which a server in a thread does not get): a second, then cut.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = "Chromium not found: install Debian's package (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # A wait on a condition, not a speed goal: signing in hashes a password (Argon2), which takes
    # seconds when both cores are busy with the rest of the suite.
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def screenshot_dir() -> Path:
    """Where browser tests leave screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# Mail


@dataclass
class SmtpServer:
    """A real SMTP server (aiosmtpd) on a free local port that keeps what it receives.

    - ``messages``: each mail as parsed with ``email.policy.default`` (``EmailMessage``);
      ``envelopes``: the SMTP envelopes (``mail_from``, ``rcpt_tos``, raw ``content``). In a
      test that has an app, reading ``messages`` first delivers what its outbox holds: the app's
      sender thread runs in its lifespan, which the test clients do not start (the sender itself
      is tested in tests/notifications/test_sender.py).
    - ``wait_for(count)``: waits until ``count`` messages have arrived (a live server's sender).
    - ``configure(settings)``: a copy of the settings that delivers to this server.
    - ``refuse``: recipients answered ``550`` (refused for good); ``delay``: seconds to wait
      before accepting each message; ``credentials``: (user, password) that AUTH accepts,
      ``logins`` the users that logged in.

    For an app that delivers after its responses, override ``settings`` in the test module::

        @pytest.fixture
        def settings(settings, smtp_server):
            return smtp_server.configure(settings)
    """

    host: str
    port: int
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    deliver: Any = None  # the outbox's delivery, called before ``messages`` is read
    arrived: threading.Condition = field(default_factory=threading.Condition)
    refuse: set[str] = field(default_factory=set)
    delay: float = 0.0
    credentials: tuple[str, str] | None = None
    logins: list[str] = field(default_factory=list)

    def configure(self, settings: Settings, **overrides: Any) -> Settings:
        return settings.model_copy(update={"smtp_host": self.host, "smtp_port": self.port, **overrides})

    @property
    def messages(self) -> list[EmailMessage]:
        if self.deliver is not None:
            self.deliver()
        return self.received

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"{len(self.received)} mail(s) arrived, {count} awaited")
        return self.received


class _SmtpHandler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, _server: Any, _session: Any, envelope: Any, address: str, _opts: Any) -> str:
        if address in self.server.refuse:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        # Line ends as Python writes them (the wire has CRLF); encoded parts keep their bytes.
        raw = envelope.content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.server.arrived:
            self.server.envelopes.append(envelope)
            self.server.received.append(message)
            self.server.arrived.notify_all()
        return "250 Message accepted for delivery"

    def authenticate(self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(data, LoginPassword) and self.server.credentials is not None:
            login, password = data.login.decode(), data.password.decode()
            if (login, password) == self.server.credentials:
                self.server.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@contextmanager
def running_smtp_server(**smtp_options: Any) -> Iterator[SmtpServer]:
    """Starts an SMTP server; ``smtp_options`` go to aiosmtpd (e.g. ``tls_context``)."""
    from aiosmtpd.controller import Controller

    server = SmtpServer(host="127.0.0.1", port=_free_port())
    handler = _SmtpHandler(server)
    options = {"authenticator": handler.authenticate, "auth_require_tls": False} | smtp_options
    controller = Controller(handler, hostname=server.host, port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        if "app" in request.fixturenames:
            # Looked up when the messages are read: the app's settings may depend on this server.
            def deliver() -> None:
                app = request.getfixturevalue("app")
                deliver_pending(app.state.engine, app.state.settings)

            server.deliver = deliver
        yield server


@pytest.fixture
def settings_with_smtp(settings: Settings, smtp_server: SmtpServer) -> Settings:
    """This test's settings, delivering mail to ``smtp_server``."""
    return smtp_server.configure(settings)
