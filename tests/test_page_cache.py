"""Pages kept per session (src/veille/pagecache.py, issue 15): a second view of an unchanged
page costs one statement; any change that the page may show, whoever makes it and through
whatever engine, is seen at the next view; a kept page never reaches another person, a closed
session, a page that audits what it shows, nor a page with a message to show once.

Every other test runs with the page cache on too (only those counting what a rendered page
costs turn it off: the ``queries`` fixture), so the whole suite checks that nothing is kept
too long."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import anyio
import httpx
from fastapi import FastAPI
from sqlalchemy import Engine, func, text, update
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session, col, select

from tests.conftest import ON_POSTGRESQL, count_queries, cut_connections
from tests.factories import Factory, World, report_form
from tests.ops.server import wait_for
from veille.app import RequestGuard
from veille.audit.models import AuditEvent
from veille.audit.service import Reads
from veille.auth.models import AuthToken
from veille.config import Settings
from veille.db import make_engine
from veille.groupcommit import GroupCommit, Write
from veille.heard import version_heard
from veille.listener import APPLICATION, VERSION
from veille.orm import utcnow
from veille.pagecache import (
    SEEN_COOKIE,
    ByHeart,
    Check,
    Checked,
    PageCache,
    PageStore,
    note_replay,
    note_version,
)
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation


def _statements(engine: Engine, client: Any, url: str, **kwargs: Any) -> tuple[int, str]:
    with count_queries(engine) as log:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return log.count, response.text


def test_a_second_view_of_an_unchanged_page_costs_one_statement_then_none_on_postgresql(
    world: World, factory: Factory, client_for: Any, engine: Engine
) -> None:
    """One statement reads the session and the data version. On PostgreSQL, once the session
    was checked, none while the process has heard no version since the page's."""
    client = client_for(world.member)
    meeting = factory.meeting(world.body)  # its page reads the live events' last id
    if engine.dialect.name == "postgresql":
        wait_for(lambda: version_heard(engine) is not None, timeout=10, what="the version heard")
    looks = []
    for url in (f"/bodies/{world.body.id}", f"/meetings/{meeting.id}", "/stats"):
        rendered, first = _statements(engine, client, url)
        kept, second = _statements(engine, client, url)
        assert rendered > 3
        assert second == first
        looks.append(kept)
    assert looks == ([1, 0, 0] if engine.dialect.name == "postgresql" else [1, 1, 1])


@ON_POSTGRESQL
def test_the_process_hears_each_version_and_reads_it_again_when_its_listener_comes_back(
    engine: Engine, client_for: Any, world: World
) -> None:
    """The version last heard is the table's, then each commit's notification (this one
    names a version no commit made, to tell the two apart); the listener's connection cut, the
    version is read again from the table when it is back, what was heard meanwhile lost."""

    def table() -> int:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("SELECT n FROM data_version").scalar_one())

    wait_for(lambda: version_heard(engine) == table(), timeout=10, what="the table's version")
    with engine.connect() as connection:
        connection.exec_driver_sql(f"SELECT pg_notify('{VERSION}', '999999')")
        connection.commit()
    wait_for(lambda: version_heard(engine) == 999999, timeout=10, what="the notification")
    with engine.connect() as connection:  # one that no commit sends is ignored; the next heard
        connection.exec_driver_sql(f"SELECT pg_notify('{VERSION}', 'x'), pg_notify('{VERSION}', '1000000')")
        connection.commit()
    wait_for(lambda: version_heard(engine) == 1000000, timeout=10, what="the notification after")
    assert cut_connections(engine, APPLICATION) >= 1  # (a listener of an earlier test may still be closing)
    wait_for(lambda: version_heard(engine) == table(), timeout=10, what="the version read again")


def test_a_writes_answer_tells_the_version_it_made_where_it_is_heard(
    world: World, client_for: Any, engine: Engine
) -> None:
    """Its person's next page, served by any process, waits for no process to hear it."""
    response = client_for(world.chair).form("/situations/new", report_form(world, "Tags sur la façade"))
    assert response.status_code == 303
    told = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SEEN_COOKIE}=")]
    if engine.dialect.name == "sqlite":  # no process hears another: each asks the database
        assert told == []
        return
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT n FROM data_version").scalar_one()
    assert told == [f"{SEEN_COOKIE}={version}; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"]


def test_a_change_is_seen_at_the_next_view_whoever_made_it(
    world: World, factory: Factory, client_for: Any, engine: Engine, settings: Settings
) -> None:
    member, chair = client_for(world.member), client_for(world.chair)
    url = f"/situations?body_id={world.body.id}"
    member.get(url)
    assert "Tags sur la façade" not in member.get(url).text

    # Another person, through a page form.
    response = chair.form("/situations/new", report_form(world, "Tags sur la façade"))
    assert response.status_code == 303, response.text[:500]
    assert "Tags sur la façade" in member.get(url).text

    # Another engine, as another process or a command would (a plain session, no request).
    other = make_engine(settings.database_url)
    try:
        with Session(other) as session:
            report = session.exec(select(Situation).where(Situation.title == "Tags sur la façade")).one()
            report.title = "Tags effacés"
            session.add(report)
            session.commit()
    finally:
        other.dispose()
    assert "Tags effacés" in member.get(url).text


def test_a_kept_page_is_only_ever_its_sessions(world: World, client_for: Any, engine: Engine) -> None:
    url = f"/bodies/{world.body.id}"
    first, second = client_for(world.member), client_for(world.member)
    first.get(url)
    assert _statements(engine, first, url)[0] == 1
    # The same person in another browser (session and CSRF token of its own) gets a page
    # rendered for it, which holds its own token.
    count, page = _statements(engine, second, url)
    assert count > 1 and second.csrf in page and first.csrf not in page
    chair_page = client_for(world.chair).get(url).text
    assert world.chair.name in chair_page and world.member.name not in chair_page.split("<main")[0]


def test_a_closed_session_gets_no_kept_page(world: World, client_for: Any) -> None:
    client = client_for(world.member)
    url = f"/bodies/{world.body.id}"
    client.get(url)
    client.get(url)
    assert client.form("/logout").status_code == 303
    response = client.get(url)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_kept_page_that_shows_a_confidential_report_is_audited_at_each_view(
    world: World, factory: Factory, client_for: Any, engine: Engine, session: Session
) -> None:
    reports = [
        factory.situation(
            world.body, world.chair, f"Menaces signalées {n}", confidentiality=Confidentiality.restricted
        )
        for n in (1, 2)
    ]
    client = client_for(world.chair)

    def reads() -> list[int]:
        session.rollback()  # a fresh look, not this session's last snapshot
        query = select(col(AuditEvent.entity_id), func.count()).where(
            col(AuditEvent.verb) == "read", col(AuditEvent.user_id) == world.chair.id
        )
        counted = dict(session.exec(query.group_by(col(AuditEvent.entity_id))).all())
        return [counted.get(report.id, 0) for report in reports]

    # A report's page reads one of them, the feed both (its reads written again in one statement).
    # Each view: the session, then the reads written again; on PostgreSQL, once the session was
    # checked, the reads alone, by the event loop's own connection (groupcommit.py), with those
    # of other pages: no statement of the engine.
    by_heart = engine.dialect.name == "postgresql"
    if by_heart:
        wait_for(lambda: version_heard(engine) is not None, timeout=10, what="the version heard")
    statements = []
    for url, shown in (
        (f"/situations/{reports[0].id}", [1, 0]),
        (f"/situations?body_id={world.body.id}", [1, 1]),
    ):
        before = reads()
        rendered, page = _statements(engine, client, url)
        assert rendered > 2 and "Menaces signalées 1" in page
        for _view in range(2):
            count, again = _statements(engine, client, url)
            assert again == page
            statements.append(count)
        assert reads() == [b + 3 * n for b, n in zip(before, shown, strict=True)]
    assert statements == ([2, 0, 0, 0] if by_heart else [2, 2, 2, 2])


def test_a_page_that_reads_the_audit_trail_is_never_kept(
    world: World, client_for: Any, engine: Engine
) -> None:
    client = client_for(world.admin)
    for _view in range(2):
        assert _statements(engine, client, "/admin/audit")[0] > 2


def test_a_message_shown_once_is_not_kept(world: World, client_for: Any) -> None:
    client = client_for(world.member)
    response = client.form("/situations/new", report_form(world, "Rodéos sur le parking"))
    assert response.status_code == 303, response.status_code
    target = response.headers["location"]
    assert "flash__message" in client.get(target).text
    assert "flash__message" not in client.get(target).text
    assert "flash__message" not in client.get(target).text


def test_a_fragment_and_the_whole_page_are_kept_apart(world: World, client_for: Any) -> None:
    client = client_for(world.member)
    url = "/situations"
    whole = client.get(url).text
    fragment = client.get(url, headers={"HX-Request": "true"}).text
    assert "<html" in whole and "<html" not in fragment
    assert (
        "<html" in client.get(url).text
        and "<html" not in client.get(url, headers={"HX-Request": "true"}).text
    )


def test_pages_older_than_their_age_or_without_room_are_rendered_again(
    world: World, client_for: Any, engine: Engine, app: FastAPI
) -> None:
    client = client_for(world.member)
    url = f"/bodies/{world.body.id}"
    store = app.state.page_store
    client.get(url)
    store.max_age = 0
    assert _statements(engine, client, url)[0] > 1
    store.max_age = 60
    store.limit = 1  # no page fits
    other = client_for(world.chair)
    other.get(url)
    assert _statements(engine, other, url)[0] > 1


def test_a_redirect_that_sets_no_cookie_is_kept(world: World, client_for: Any, engine: Engine) -> None:
    """A member's activity figures are their organisation's: /activity sends them there."""
    client = client_for(world.member)
    first = client.get("/activity")
    assert first.status_code == 303
    with count_queries(engine) as log:
        again = client.get("/activity")
    assert (again.status_code, again.headers["location"], log.count) == (303, first.headers["location"], 1)


def test_a_session_due_for_its_last_use_write_is_touched_and_served_its_kept_page(
    world: World, factory: Factory, client_for: Any, engine: Engine, session: Session
) -> None:
    """The last use is written on the check's connection, before the page's audited reads."""
    report = factory.situation(world.body, world.chair, "Menaces", confidentiality=Confidentiality.restricted)
    client = client_for(world.chair)
    url = f"/situations?body_id={world.body.id}"
    client.get(url)
    long_ago = utcnow() - timedelta(minutes=5)
    session.execute(
        update(AuthToken).where(col(AuthToken.user_id) == world.chair.id).values(last_used_at=long_ago)
    )
    session.commit()
    reads = select(func.count()).where(col(AuditEvent.verb) == "read", col(AuditEvent.entity_id) == report.id)
    before = session.exec(reads).one()
    assert _statements(engine, client, url)[0] == 3  # the session, its last use, the read
    session.rollback()
    used = session.exec(select(AuthToken.last_used_at).where(AuthToken.user_id == world.chair.id)).one()
    assert used > long_ago
    assert session.exec(reads).one() == before + 1


def test_requests_for_a_page_being_rendered_wait_for_it(
    world: World, client_for: Any, engine: Engine, app: FastAPI
) -> None:
    """Five connections of one session asking at once for a page it has not seen: one renders
    it (as rendering it for another session of the same person costs)."""
    url = f"/bodies/{world.body.id}"
    rendered = _statements(engine, client_for(world.member), url)[0]
    cookies = dict(client_for(world.member).cookies)

    async def ask_together() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies=cookies
        ) as http:
            answers = await asyncio.gather(*(http.get(url) for _ in range(5)))
        return [answer.status_code for answer in answers]

    with count_queries(engine) as log, ThreadPoolExecutor(1) as thread:
        # A loop of its own, in a thread: the browser tests leave one running in this one.
        assert thread.submit(asyncio.run, ask_together()).result() == [200] * 5
    # One rendering, four kept pages served: a statement each, or none once the session was
    # checked where the process hears the version.
    assert rendered > 4 and rendered <= log.count <= rendered + 4


def _checked(_connection: object, _session: str) -> Checked:
    return Checked(1, time.time() + 60)


def _asking(
    app: Any, check: Check = _checked, by_heart: ByHeart | None = None, engine: Engine | None = None
) -> Any:
    """``ask(path, times, seen)``: that many requests at once, of one session, through a page
    cache in front of ``app`` (a small ASGI app standing for the pages), their statuses; the
    page's audited reads written on ``engine``."""
    cache = PageCache(
        app,
        begin=engine.begin if engine is not None else nullcontext,
        check=check,
        session_cookie="s",
        csrf_cookie="c",
        bypass_cookies=(),
        store=PageStore(limit=1 << 20, max_age=60),
        skip_prefixes=(),
        by_heart=by_heart,
    )

    async def ask(path: str, times: int = 1, seen: str | None = None) -> list[int]:
        transport = httpx.ASGITransport(app=cache)
        cookies = {"s": "1", "c": "2"} | ({SEEN_COOKIE: seen} if seen else {})
        async with httpx.AsyncClient(transport=transport, base_url="http://t", cookies=cookies) as http:
            with anyio.fail_after(5):
                answers = await asyncio.gather(*(http.get(path) for _ in range(times)))
        return [answer.status_code for answer in answers]

    return ask


async def _answer(send: Any, content_type: bytes, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Page:
    """A small ASGI app standing for a page made at version 1 (showing what ``replay`` audits),
    counting its renderings."""

    replay: Write | None = None
    rendered: int = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.rendered += 1
        note_version(1)
        if self.replay is not None:
            note_replay(self.replay)
        await _answer(send, b"text/html", b"<p>page</p>")


def test_requests_for_what_was_not_kept_last_time_do_not_wait_for_one_another() -> None:
    """A PDF is never kept: once seen so, two requests for it render side by side (the second
    would otherwise wait for the first, for nothing). The app below holds the first rendering
    until the second has begun: waiting, they would hold each other past the time limit."""
    began = 0
    both_began = asyncio.Event()

    async def pdf(scope: Any, receive: Any, send: Any) -> None:
        nonlocal began
        began += 1
        if began == 3:
            both_began.set()
        if began > 1:
            await both_began.wait()
        await _answer(send, b"application/pdf", b"%PDF")

    ask = _asking(pdf)

    async def scenario() -> list[int]:
        return await ask("/minutes.pdf") + await ask("/minutes.pdf", 2)

    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, scenario()).result() == [200] * 3
    assert began == 3


@dataclass(frozen=True)
class _Refused:
    """Reads the database refuses to write, while ``refused`` holds something."""

    refused: list[bool]

    @staticmethod
    def statement(dialect: str, writes: Sequence[_Refused]) -> tuple[UpdateBase, dict[str, object]] | None:
        if any(write.refused for write in writes):
            raise OSError("the database is busy")
        return Reads.statement(dialect, [Reads(None, "situation", [1], {"refused": False})])


def test_a_kept_page_whose_audited_reads_cannot_be_written_is_rendered(engine: Engine) -> None:
    """Its reads not written again (a busy database), a kept page is not served from the
    store: rendered, its reads audited by that rendering."""
    refused: list[bool] = []
    page = _Page(_Refused(refused))
    ask = _asking(page, engine=engine)
    with ThreadPoolExecutor(1) as thread:
        assert [thread.submit(asyncio.run, ask("/")).result() for _ in range(2)] == [[200], [200]]
        assert page.rendered == 1  # the second was served kept, its read written again
        refused.append(True)
        assert thread.submit(asyncio.run, ask("/")).result() == [200]
    assert page.rendered == 2


def test_a_kept_page_whose_session_cannot_be_checked_is_rendered() -> None:
    """The check's statement fails (a busy database, a lost connection): the page is rendered,
    as it would be without the store, rather than answered with an error."""
    fail = False

    def check(connection: object, session: str) -> Checked:
        if fail:
            raise OSError("the database went away")
        return _checked(connection, session)

    page = _Page()
    ask = _asking(page, check)
    with ThreadPoolExecutor(1) as thread:
        assert [thread.submit(asyncio.run, ask("/")).result() for _ in range(2)] == [[200], [200]]
        assert page.rendered == 1  # the second was served kept
        fail = True
        assert thread.submit(asyncio.run, ask("/")).result() == [200]
    assert page.rendered == 2


def test_a_kept_page_is_served_without_the_database_while_its_version_is_the_last_heard(
    engine: Engine,
) -> None:
    """PostgreSQL: once its session was checked, a kept page is served with no look at the
    database while the version this process last heard is the page's. The database is asked
    again when none is known (the listener is down), when a newer one was heard, when the
    person's own last write made one not heard yet (its answer's cookie), and when the
    session needs a look of its own (its expiry, its last-use write)."""
    checks = 0
    heard: int | None = 1
    until = time.time() + 60
    page = _Page()

    def check(_connection: object, _session: str) -> Checked:
        nonlocal checks
        checks += 1
        return Checked(1, until)

    ask = _asking(page, check, ByHeart(lambda: heard, GroupCommit(engine)))

    def looks(seen: str | None = None) -> int:
        """The database's looks at one more view."""
        before = checks
        with ThreadPoolExecutor(1) as thread:
            assert thread.submit(asyncio.run, ask("/", seen=seen)).result() == [200]
        return checks - before

    assert looks() == 0 and page.rendered == 1
    assert looks() == 1  # the session, never checked
    assert [looks(), looks(seen="1")] == [0, 0]
    assert looks(seen="2") == 1  # written by this person through another process, not heard
    assert looks(seen="many") == 1
    heard = None
    assert looks() == 1
    heard = 2
    assert looks() == 1  # the database says the page's version still holds: served
    heard, until = None, time.time() - 1
    assert looks() == 1  # this look says: look again from now on
    heard = 1
    assert looks() == 1
    assert page.rendered == 1


@ON_POSTGRESQL
def test_a_kept_pages_audited_reads_are_written_together_with_others_when_served_by_heart(
    engine: Engine, session: Session
) -> None:
    """Served by heart, a kept page's audited reads are written by the event loop's group
    commit, with those of the pages served meanwhile, before the page is sent; when they cannot
    be, the page is rendered (and its rendering audits them)."""
    checks = 0
    page = _Page(Reads(None, "situation", [7], {}))

    def check(connection: object, session: str) -> Checked:
        nonlocal checks
        checks += 1
        return _checked(connection, session)

    def transactions() -> list[int]:
        """The transaction of each read written again, in order."""
        session.rollback()  # a fresh look
        written = text("SELECT xmin::text::bigint FROM audit_event WHERE entity_id = 7 ORDER BY id")
        return list(session.connection().execute(written).scalars())

    group = GroupCommit(engine)
    ask = _asking(page, check, ByHeart(lambda: 1, group), engine)
    with ThreadPoolExecutor(1) as thread:
        assert [thread.submit(asyncio.run, ask("/")).result() for _ in range(2)] == [[200], [200]]
        assert (page.rendered, checks, len(transactions())) == (1, 1, 1)  # checked, read written
        assert thread.submit(asyncio.run, ask("/", 3)).result() == [200] * 3
        assert (page.rendered, checks) == (1, 1)
        assert len(set(transactions()[1:])) == 1  # three views, their reads in one statement
        group.stop()  # its reads can no longer be written: the page is rendered
        assert thread.submit(asyncio.run, ask("/")).result() == [200]
    assert page.rendered == 2


@ON_POSTGRESQL
def test_a_page_rendered_again_after_a_deadlock_keeps_the_reads_of_the_run_that_answered(
    engine: Engine, session: Session
) -> None:
    """``RequestGuard`` runs a request again after PostgreSQL's deadlock error: the reads noted
    by the failed run are not written again at each view of the kept page, only those of the
    run that answered (one row per view)."""
    runs = 0

    async def page(scope: Any, receive: Any, send: Any) -> None:
        nonlocal runs
        runs += 1
        note_version(1)
        note_replay(Reads(None, "situation", [9], {}))
        if runs == 1:
            with engine.begin() as connection:
                connection.execute(
                    text("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$")
                )
        await _answer(send, b"text/html", b"<p>page</p>")

    ask = _asking(RequestGuard(page, max_body=1024, refuse=lambda _request, _status: None), engine=engine)
    with ThreadPoolExecutor(1) as thread:
        assert [thread.submit(asyncio.run, ask("/")).result() for _ in range(2)] == [[200], [200]]
    assert runs == 2  # rendered twice (the deadlock), then served kept
    session.rollback()
    written = session.exec(select(func.count()).where(col(AuditEvent.entity_id) == 9)).one()
    assert written == 1  # the kept view's reads, once
