"""Rendered pages kept per session, served again until anything they may show changes.

A page costs 10 to 60 ms of Python (a dozen statements, records, Jinja); the same page seen
again by the same person, with nothing changed, costs one statement here, or none. Three pieces:

- **The data version.** One row, ``data_version.n``, raised by one in every transaction that
  wrote any table that pages show, just before it commits (an engine ``commit`` event, so every
  session, command and process of the project raises it, whatever wrote). It is the last lock a
  transaction takes on PostgreSQL, held only while it commits, so it cannot deadlock. Writes that
  no page shows do not raise it: a session's last-use time (the hit checks the session itself),
  failed logins, the audit trail (a page that *reads* one of those is never kept), the live
  events of streams (written with the change they tell of, which raises it).
- **What a page was made from.** The person's session query reads the version in the same
  statement (``version_now``), before anything the page shows; a page is kept under that
  version only if its request wrote nothing (a home visit that moves its mark is rendered) but
  the confidential reads it audited, and read no unversioned table. Those reads are kept with
  the page and written again each time it is served (``note_replay``): every view is audited.
- **The store** (:class:`PageCache`, an ASGI middleware): per worker, bounded in bytes, keyed by
  the session and CSRF cookies, the address and every header a page depends on (htmx's,
  ``Host``, ``Accept-Language``). A kept page is served when its session is still valid (its
  last use written when due), the version has not moved, and it is younger than ``max_age``
  (relative times, "today", a meeting that begins). On PostgreSQL, without a statement while
  the version is the last this process heard (``heard.py``), its session was checked and
  needs no look yet, and the person's last write (``SEEN_COOKIE``, set on the answer of every
  request outside the API that raised the version before answering) is heard. Only 200 HTML
  answers and redirects that set no cookie are kept; never a flash (its cookie bypasses the
  store), never the API, never another person's page. Requests for a page being rendered for
  the same session wait for it instead of rendering it beside it, unless its last rendering
  was not kept (a PDF: waiting would only delay each rendering by another's).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar
from weakref import WeakKeyDictionary

import anyio
import anyio.to_thread
from sqlalchemy import DDL, Engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Field, Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veille.groupcommit import GroupCommit, Write, write_all
from veille.heard import raise_heard
from veille.listener import VERSION

log = logging.getLogger(__name__)

_CHANGED = "veille_changed"  # connection.info: this transaction wrote what pages show
UNVERSIONED = "veille_unversioned"  # connection.info: writes that raise no version (migrations)
# (verb, table) written without raising the version, and tables whose reads make a page unkept.
_QUIET = {("update", "auth_token")}
_UNSHOWN = {"audit_event", "live_event", "login_attempt", "login_release", "data_version", "alembic_version"}
_WRITE = re.compile(
    r"\s*(?:(INSERT)(?:\s+OR\s+\w+)?\s+INTO|(UPDATE)|(DELETE)\s+FROM|(REPLACE)\s+INTO)\s+\"?(\w+)", re.I
)
# Schema changes (CREATE, ALTER, DROP) are made with the servers stopped: they raise nothing.
_OTHER_WRITE = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|TRUNCATE)\b", re.I)
_CTE_WRITE = re.compile(r"\s*WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b", re.I | re.S)
# Live events are written with the change they tell of, which raises the version: a page may
# read them (a meeting gives its stream the last one's id).
_UNSHOWN_READ = re.compile(r"\b(?:audit_event|login_attempt|login_release)\b")
_AUDIT = "audit_event"
_BUMP: dict[str, tuple[str, tuple[str, ...]]] = {
    "sqlite": ("UPDATE data_version SET n = n + 1 WHERE id = 1 RETURNING n", ()),
    # Heard by every process's listener at commit, in commit order (``heard.py``).
    "postgresql": (
        "WITH bumped AS (UPDATE data_version SET n = n + 1 WHERE id = 1 RETURNING n) "
        "SELECT n, pg_notify(%s, n::text) FROM bumped",
        (VERSION,),
    ),
}
_TABLE = {
    "sqlite": "SELECT max(name) FROM sqlite_master WHERE type = 'table' AND name = 'data_version'",
    "postgresql": "SELECT to_regclass('data_version')",
}
MAX_ENTRY_BYTES = 2 * 1024 * 1024
# How long a request waits for the same page being rendered for its session, then renders it.
RENDER_WAIT_SECONDS = 10.0
UNKEPT_KEYS = 4096  # the keys remembered as not kept, the oldest forgotten first


class DataVersion(SQLModel, table=True):
    """The one row whose number moves with every committed change that pages may show."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    n: int = 0


event.listen(
    DataVersion.__table__,  # type: ignore[attr-defined]
    "after_create",
    DDL("INSERT INTO data_version (id, n) VALUES (1, 0)"),  # type: ignore[no-untyped-call]
)


def _version() -> SelectOfScalar[int]:
    return select(col(DataVersion.n)).where(col(DataVersion.id) == 1)


def version_now() -> ScalarSelect[int]:
    """The version as a column of another statement (the session query reads it first)."""
    return _version().scalar_subquery()


T = TypeVar("T")
# Per engine (a test's app has its own), per name: the version a value was computed at, and it.
_AT_VERSION: WeakKeyDictionary[Engine, dict[str, tuple[int, Any]]] = WeakKeyDictionary()
_AT_VERSION_LOCK = threading.Lock()


def at_version(session: Session, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per version: a value only a committed change can move, for one read of
    the version's row (the records' marks count every report and action, 20 to 30 ms on
    PostgreSQL at metropolis scale, at each view of the statistics or a dashboard). Computed
    after the version is read, the value kept may be newer than it, never older."""
    engine = session.get_bind().engine
    version = session.exec(_version()).one()
    with _AT_VERSION_LOCK:
        kept = _AT_VERSION.setdefault(engine, {})
        found = kept.get(name)
    if found is not None and found[0] == version:
        return found[1]  # type: ignore[no-any-return]
    value = compute()
    with _AT_VERSION_LOCK:
        kept[name] = (version, value)
    return value


@dataclass
class _Render:
    """What one request's rendering did, seen from the engine's statements (a context
    variable carries it into the route's thread)."""

    version: int | None = None
    wrote: bool = False
    unshown: bool = False
    replays: list[Write] = field(default_factory=list)  # audited reads, made again when served

    def keepable(self) -> bool:
        return self.version is not None and not (self.wrote or self.unshown)


_RENDER: ContextVar[_Render | None] = ContextVar("veille_render", default=None)


def note_version(version: int | None) -> None:
    """The version read with the person's session, before anything the page shows."""
    render = _RENDER.get()
    if render is not None:
        render.version = version


def note_replay(replay: Write) -> None:
    """A read just audited: made again, with its own time, each time the page is served."""
    render = _RENDER.get()
    if render is not None:
        render.replays.append(replay)


def note_retry() -> None:
    """The request runs again (``app.RequestGuard``, after a deadlock): the reads its failed
    run noted are not the page's, those of the run that answers are (each view of it kept is
    audited once)."""
    render = _RENDER.get()
    if render is not None:
        render.replays.clear()


def note_written() -> None:
    """An audit event of a change, or of a consultation that cannot be made again: the page is
    not kept (the audit service tells which of its writes a page may repeat; its statements are
    not told apart here, since an engine may cut one insert of many rows in several)."""
    render = _RENDER.get()
    if render is not None:
        render.wrote = True


# The versions this request's commits made (a write's answer tells them to the browser:
# ``SEEN_COOKIE``).
_WROTE: ContextVar[list[int] | None] = ContextVar("veille_wrote", default=None)


def watch_writes(engine: Engine) -> None:
    """Raise the version at the commit of every transaction of ``engine`` that changed what
    pages show, and tell the page being rendered what it wrote or read."""

    @event.listens_for(engine, "before_cursor_execute")
    def _look(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        render = _RENDER.get()
        written = _written(statement)
        if written is None:
            if render is not None and _UNSHOWN_READ.search(statement):
                render.unshown = True
            return
        verb, table = written
        if (verb, table) in _QUIET:  # nothing a page shows: no version, and the page is kept
            return
        if render is not None and (verb, table) != ("insert", _AUDIT):  # the audit says (above)
            render.wrote = True
        if table not in _UNSHOWN:
            connection.info[_CHANGED] = True

    found: list[bool] = []  # the version's table, once seen (a database not migrated has none)

    @event.listens_for(engine, "commit")
    def _bump(connection: Connection) -> None:
        if not connection.info.pop(_CHANGED, False) or connection.info.get(UNVERSIONED):
            return
        cursor = connection.connection.cursor()
        try:
            if not found:
                cursor.execute(_TABLE[connection.dialect.name])
                if cursor.fetchone() in (None, (None,)):
                    return
                found.append(True)
            cursor.execute(*_BUMP[connection.dialect.name])
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:  # a database whose version row was never written (tests that empty it)
            return
        version = int(row[0])
        raise_heard(connection.engine.url, version)
        wrote = _WROTE.get()
        if wrote is not None:
            wrote.append(version)

    @event.listens_for(engine, "rollback")
    def _forget(connection: Connection) -> None:
        if not connection.invalidated:  # else its record is dropped, and what it noted with it
            connection.info.pop(_CHANGED, None)

    @event.listens_for(engine, "checkin")
    def _forget_returned(_dbapi_connection: Any, record: Any) -> None:
        record.info.pop(_CHANGED, None)


def _written(statement: str) -> tuple[str, str] | None:
    """(verb, table) of a statement that writes; ("", "") when the table is not known."""
    match = _WRITE.match(statement)
    if match:
        verb = next(v for v in match.groups()[:4] if v).lower()
        return ("insert" if verb == "replace" else verb), match.group(5).lower()
    if _OTHER_WRITE.match(statement) or _CTE_WRITE.match(statement):
        return "", ""
    return None


@dataclass
class _Entry:
    version: int
    at: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    replays: list[Write]


@dataclass
class PageStore:
    """A worker's kept pages, bounded by the bytes of their bodies, the least recently used
    dropped first, each served at most ``max_age`` seconds after it was rendered. ``limit`` 0
    keeps none; ``enabled`` off too (tests that count what rendering a page costs)."""

    limit: int
    max_age: float
    enabled: bool = True
    entries: OrderedDict[bytes, _Entry] = field(default_factory=OrderedDict)
    size: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: bytes) -> _Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: bytes, entry: _Entry) -> None:
        if len(entry.body) > self.limit:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            self.size -= len(old.body) if old else 0
            self.entries[key] = entry
            self.size += len(entry.body)
            while self.size > self.limit and self.entries:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped.body)


class Checked(NamedTuple):
    """A session found still valid: the version now, and until when (epoch seconds) the session
    itself needs no look (its expiry, its idle limit, its next last-use write)."""

    version: int
    until: float


# check(connection, session cookie) -> the version and the session's time, if it is valid
# (touched when due).
Check = Callable[[Connection, str], Checked | None]
# begin() -> the connection of a kept page's check and its audited reads, committed at its end.
Begin = Callable[[], AbstractContextManager[Connection]]
SEEN_COOKIE = "veille_seen"  # the version a person's last write made (``heard.py``)
SEEN_SECONDS = 60  # far longer than any process is late hearing it
SEEN_DIGITS = 18  # a longer value is no version: the page asks the database
CHECKED_SESSIONS = 4096  # sessions remembered as checked, the oldest forgotten first


@dataclass(frozen=True)
class ByHeart:
    """What serves kept pages without a round trip of their own (PostgreSQL): the version this
    process last heard (``heard.py``), and the writer of their audited reads (``groupcommit.py``)."""

    heard: Callable[[], int | None]
    group: GroupCommit


@dataclass(frozen=True)
class _Asked:
    """A page request that may be served kept: its key, session cookie and the version its
    person's last write made (0: none known)."""

    key: bytes
    session: str
    seen: int


class PageCache:
    """The middleware: serves a kept page or renders it and keeps it (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        begin: Begin,
        check: Check,
        session_cookie: str,
        csrf_cookie: str,
        bypass_cookies: tuple[str, ...],
        store: PageStore,
        skip_prefixes: tuple[str, ...],
        by_heart: ByHeart | None = None,
        secure: bool = False,
    ) -> None:
        self.app = app
        self.begin = begin
        self.check = check
        self.session_cookie = session_cookie
        self.csrf_cookie = csrf_cookie
        self.bypass_cookies = bypass_cookies
        self.skip_prefixes = skip_prefixes
        self.store = store
        self.by_heart = by_heart  # None: every kept page asks the database
        self.secure = secure
        self._rendering: dict[bytes, anyio.Event] = {}  # keys being rendered (the event loop's)
        # Keys whose last rendering was not kept (a PDF, a page that wrote): requests for them
        # render side by side, as nothing would come of waiting for another's rendering.
        self._unkept: OrderedDict[bytes, None] = OrderedDict()
        # Sessions checked by the database: digest -> until when they need no other look.
        self._checked: OrderedDict[bytes, float] = OrderedDict()
        self._checked_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.by_heart is None or scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self._answer(scope, receive, send)
            return
        wrote: list[int] = []
        token = _WROTE.set(wrote)
        try:
            await self._answer(scope, receive, self._telling(send, wrote))
        finally:
            _WROTE.reset(token)

    def _telling(self, send: Send, wrote: list[int]) -> Send:
        """``send``, telling the browser the version its request's commit made: its next page,
        whichever process serves it, is not served kept before that process has heard it."""

        async def telling(message: Message) -> None:
            if message["type"] == "http.response.start" and wrote:
                cookie = f"{SEEN_COOKIE}={max(wrote)}; Max-Age={SEEN_SECONDS}; Path=/; HttpOnly; SameSite=Lax"
                cookie += "; Secure" if self.secure else ""
                headers = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
                message = {**message, "headers": headers}
            await send(message)

        return telling

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        asked = self._asked(scope) if self.store.enabled and self.store.limit else None
        if asked is None:
            await self.app(scope, receive, send)
            return
        key = asked.key
        if await self._served(asked, send):
            return
        if key in self._unkept:
            await self._render(scope, receive, send, key)
            return
        rendering = self._rendering.get(key)
        if rendering is not None:
            # The same page is being rendered for this session (ten connections, or a reload):
            # wait for it rather than render it again beside it.
            with anyio.move_on_after(RENDER_WAIT_SECONDS):
                await rendering.wait()
            if await self._served(asked, send):
                return
            await self._render(scope, receive, send, key)
            return
        self._rendering[key] = done = anyio.Event()
        try:
            await self._render(scope, receive, send, key)
        finally:
            done.set()
            if self._rendering.get(key) is done:
                del self._rendering[key]

    async def _served(self, asked: _Asked, send: Send) -> bool:
        """Serves the kept page of ``asked`` if it is still good."""
        entry = self.store.get(asked.key)
        if entry is None or time.monotonic() - entry.at > self.store.max_age:
            return False
        if self.by_heart is not None and self._unchanged(self.by_heart, asked, entry):
            # Only its audited reads to write, with those of the pages served meanwhile.
            good = not entry.replays or await self.by_heart.group.write(entry.replays)
        else:
            good = await anyio.to_thread.run_sync(self._still_good, asked.session, entry)
        if not good:
            return False
        await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers})
        await send({"type": "http.response.body", "body": entry.body})
        return True

    def _unchanged(self, by_heart: ByHeart, asked: _Asked, entry: _Entry) -> bool:
        """Known without the database: the process has heard no version since the page's (nor
        the person's last write's), and its session was checked and needs no look yet."""
        heard = by_heart.heard()
        if heard is None or heard != entry.version or asked.seen > heard:
            return False
        with self._checked_lock:
            until = self._checked.get(_digest(asked.session), 0.0)
        return time.time() < until

    def _still_good(self, session: str, entry: _Entry) -> bool:
        """The session still opens pages, nothing changed, and the page's audited reads are
        written again, on one connection: on PostgreSQL outside a transaction (``begin``), in
        one statement (when the database cannot tell or take them, the page is rendered, as
        always, and answers what the database lets it; reads written before a failure are
        written again by that rendering: the audit may say more, never less). The session is
        then remembered as checked, until it needs another look (``Checked.until``)."""
        digest = _digest(session)
        with self._checked_lock:
            self._checked.pop(digest, None)
        try:
            with self.begin() as connection:
                checked = self.check(connection, session)
                if checked is None or checked.version != entry.version:
                    return False
                write_all(connection, entry.replays)
        except Exception:
            log.warning(
                "a kept page's session or audited reads could not be checked; rendered", exc_info=True
            )
            return False
        with self._checked_lock:
            self._checked[digest] = checked.until
            if len(self._checked) > CHECKED_SESSIONS:
                self._checked.popitem(last=False)
        return True

    def _asked(self, scope: Scope) -> _Asked | None:
        """A page request that may be served kept."""
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"].startswith(self.skip_prefixes)
        ):
            return None
        parts: list[bytes] = [scope["path"].encode(), scope.get("query_string", b"")]
        cookie = b""
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie += value + b";"
            elif name.startswith(b"hx-") or name in (b"host", b"accept-language"):
                parts += [name, value]
        jar = cookie_parser(cookie.decode("latin-1"))
        session, csrf = jar.get(self.session_cookie), jar.get(self.csrf_cookie)
        if not session or not csrf or any(name in jar for name in self.bypass_cookies):
            return None
        parts += [session.encode(), csrf.encode()]
        seen = jar.get(SEEN_COOKIE, "0")[:SEEN_DIGITS]
        return _Asked(
            hashlib.sha256(b"\0".join(parts)).digest(), session, int(seen) if seen.isdecimal() else 1 << 62
        )

    async def _render(self, scope: Scope, receive: Receive, send: Send, key: bytes) -> None:
        render = _Render()
        token = _RENDER.set(render)
        start: Message | None = None
        chunks: list[bytes] = []
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                keep = _keepable(message["status"], message.get("headers", []))
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                keep = sum(map(len, chunks)) <= MAX_ENTRY_BYTES
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            _RENDER.reset(token)
        if keep and start is not None and render.keepable():
            assert render.version is not None
            headers = list(start.get("headers", []))
            body = b"".join(chunks)
            self.store.put(
                key, _Entry(render.version, time.monotonic(), start["status"], headers, body, render.replays)
            )
            self._unkept.pop(key, None)
        else:
            self._unkept[key] = None
            self._unkept.move_to_end(key)
            if len(self._unkept) > UNKEPT_KEYS:
                self._unkept.popitem(last=False)


def _digest(session: str) -> bytes:
    """A session cookie as remembered: never the cookie itself."""
    return hashlib.sha256(session.encode()).digest()


def _keepable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    """A page (200, HTML) or a redirect (303, a partner's /activity to their organisation's),
    that sets no cookie."""
    if any(name == b"set-cookie" for name, _ in headers):
        return False
    if status == 303:
        return True
    return status == 200 and dict(headers).get(b"content-type", b"").startswith(b"text/html")
