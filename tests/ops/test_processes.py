"""Two ``veille serve`` processes on one PostgreSQL database (issue 12): nothing lives in one
process's memory. A session opened on one works on the other, logging out on one ends it on
both, failed logins are counted across both, and each queued mail is sent once although each
process runs its own mail sender.

PostgreSQL only: two processes on one SQLite file are not a supported deployment, so these
tests do not run on the SQLite parameter (skipped without VEILLE_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import POSTGRES_URL, SECRET
from tests.factories import PASSWORD, Factory, World, report_form
from tests.ops.server import (
    START_TIMEOUT,
    MailSink,
    ServerProcess,
    check_mail,
    mail_waiting,
    server_env,
    wait_for,
)
from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.config import Settings
from veille.db import open_session
from veille.deps import CSRF_COOKIE, SESSION_COOKIE
from veille.pagecache import SEEN_COOKIE

REFUSE_AFTER = 4  # failed logins, per account, before any attempt is refused
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def engine_name() -> str:
    if not POSTGRES_URL:
        pytest.skip("two processes share a PostgreSQL database: set VEILLE_TEST_POSTGRES_URL")
    return "postgresql"


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest.fixture
def servers(
    database_url: str, world: World, sink: MailSink, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two servers, each with its own port, pool and mail sender, on this test's database."""
    env = server_env(
        database_url,
        secret_key=SECRET,
        data_dir=tmp_path / "files",
        smtp=sink.address,
        login_refuse_after=REFUSE_AFTER,
        login_slow_after=REFUSE_AFTER,
        login_delay_seconds=0,
    )
    first = ServerProcess(env, log_path=tmp_path / "first.log")
    second = ServerProcess(env, log_path=tmp_path / "second.log")
    try:
        first.launch()
        second.launch()
        first.wait_up(START_TIMEOUT)
        second.wait_up(START_TIMEOUT)
        yield first, second
    finally:
        first.stop()
        second.stop()


def _browser(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)


def _csrf(client: httpx.Client) -> str:
    """The token of the login form, as a browser holding the page has it."""
    page = client.get("/login")
    assert page.status_code == 200
    found = CSRF_FIELD.search(page.text)
    assert found is not None
    return found.group(1)


def _logged_in(client: httpx.Client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


def test_a_session_opened_on_one_process_works_and_ends_on_both(
    servers: tuple[ServerProcess, ServerProcess], world: World
) -> None:
    first, second = servers
    with _browser(first) as on_first, _browser(second) as on_second:
        token = _csrf(on_first)
        response = on_first.post(
            "/login", data={"csrf_token": token, "email": world.member.email, "password": PASSWORD}
        )
        assert response.status_code == 303
        assert SESSION_COOKIE in on_first.cookies
        # The same browser on the other process: its cookies, nothing else.
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            on_second.cookies.set(name, on_first.cookies[name])
        assert _logged_in(on_second)
        assert _logged_in(on_first)

        response = on_second.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert not _logged_in(on_first)
        assert not _logged_in(on_second)


def _log_in(client: httpx.Client, email: str) -> str:
    """Logs the browser in; its form token."""
    token = _csrf(client)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 303
    return token


def test_what_one_process_commits_reaches_the_kept_pages_of_the_other(
    servers: tuple[ServerProcess, ServerProcess], world: World
) -> None:
    """Each process serves its kept pages without asking the database while it has heard no
    newer version (pagecache.py, heard.py): the other process's commit is heard a moment later,
    and the writer's next page, told the version its write made, does not wait for it; a
    session ended on one process is soon refused on the other."""
    first, second = servers
    feed = f"/situations?body_id={world.body.id}"
    with _browser(first) as writer, _browser(second) as reader, _browser(second) as writer_on_second:
        token = _log_in(writer, world.member.email)
        _log_in(reader, world.chair.email)
        for name, value in writer.cookies.items():
            writer_on_second.cookies.set(name, value)
        for client in (writer_on_second, reader):
            for _ in range(3):  # rendered, then kept: its session checked, then by heart
                assert "Tags sur la façade" not in client.get(feed).text
        response = writer.post(
            "/situations/new", data=report_form(world, "Tags sur la façade") | {"csrf_token": token}
        )
        assert response.status_code == 303
        seen = writer.cookies.get(SEEN_COOKIE)
        assert seen is not None and seen.isdecimal()
        writer_on_second.cookies.set(SEEN_COOKIE, seen)
        assert "Tags sur la façade" in writer_on_second.get(feed).text
        wait_for(lambda: "Tags sur la façade" in reader.get(feed).text, timeout=5, what="the reader's page")

        # Logged out on the first, the session's copy on the other is refused there as soon as
        # it hears the version the logout made (its kept pages were served by heart).
        assert writer.post("/logout", data={"csrf_token": token}).status_code == 303
        wait_for(lambda: writer_on_second.get(feed).status_code == 303, timeout=5, what="the session ended")


def test_failed_logins_are_counted_across_processes(
    servers: tuple[ServerProcess, ServerProcess], world: World
) -> None:
    first, second = servers
    url = "/api/v1/auth/token"
    wrong = {"email": world.member.email, "password": "not the password"}
    right = {"email": world.member.email, "password": PASSWORD}
    with _browser(first) as on_first, _browser(second) as on_second:
        for attempt in range(REFUSE_AFTER):  # half on each: neither alone reaches the limit
            client = on_first if attempt % 2 == 0 else on_second
            assert client.post(url, json=wrong).status_code == 401
        for client in (on_first, on_second):
            response = client.post(url, json=right)
            assert response.status_code == 429
            assert int(response.headers["Retry-After"]) > 0


def test_each_queued_mail_is_sent_once(
    servers: tuple[ServerProcess, ServerProcess],
    factory: Factory,
    world: World,
    engine: Engine,
    settings: Settings,
    sink: MailSink,
) -> None:
    """Partners post updates on both processes at once; each update mails the report's author
    and the body's secretary, and each process's sender races the other for them."""
    report = factory.situation(world.body, world.member, "Hall occupé chaque soir")
    tokens = []
    for person in (world.chair, world.secretary, world.member):
        with open_session(engine, write=True) as session:
            tokens.append(auth.issue_token(session, settings, user=person, kind=TokenKind.api)[0])
    acknowledged: list[int] = []
    failures: list[str] = []

    def post_updates(server: ServerProcess, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30) as http:
            for step in range(15):
                response = http.post(f"/situations/{report.id}/updates", json={"text": f"Passage n° {step}"})
                if response.status_code == 201:
                    acknowledged.append(response.json()["id"])
                else:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    threads = [
        threading.Thread(target=post_updates, args=(server, token)) for server in servers for token in tokens
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(acknowledged) == 2 * 3 * 15

    with contextlib.suppress(TimeoutError):  # what is left is said below
        wait_for(lambda: mail_waiting(engine) == 0, timeout=30, what="the outbox to empty")
    wait_for(lambda: sink.in_flight == 0, timeout=10, what="the SMTP server's last answer")
    mail = check_mail(engine, sink)
    assert mail.problems() == []
    # Each update mails the author and the secretary, not the one who posted it: 30 updates by
    # the chair (2 mails each), 30 by the secretary and 30 by the author (1 each).
    assert len(mail.sent_ids) == 30 * 2 + 30 + 30


def test_a_page_kept_by_one_process_follows_a_change_made_on_the_other(
    servers: tuple[ServerProcess, ServerProcess], world: World
) -> None:
    """Each process keeps the pages it rendered (src/veille/pagecache.py); the data version in
    the database tells it that a change made on the other one makes them stale."""
    first, second = servers
    url = f"/situations?body_id={world.body.id}"
    with _browser(first) as on_first, _browser(second) as on_second:
        token = _csrf(on_first)
        response = on_first.post(
            "/login", data={"csrf_token": token, "email": world.chair.email, "password": PASSWORD}
        )
        assert response.status_code == 303
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            on_second.cookies.set(name, on_first.cookies[name])
        before = on_first.get(url).text
        assert on_first.get(url).text == before  # kept, and served again
        assert "Tags sur la façade de l’école" not in before

        report = {"csrf_token": token, **report_form(world, "Tags sur la façade de l’école")}
        assert on_second.post("/situations/new", data=report).status_code == 303
        assert "Tags sur la façade de l’école" in on_first.get(url).text
