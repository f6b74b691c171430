"""Engine, sessions, and how a transaction takes SQLite's write lock.

SQLite lets one writer at a time. A transaction that starts by reading and then writes cannot
wait for the lock once another writer has committed since its first read (SQLite answers "database
is locked" at once), and a transaction that takes the lock at BEGIN holds it while the request
checks permissions, hashes a password or renders a page. So every transaction here starts as a
reader (plain ``BEGIN``: no lock) and, at its first write, becomes a writer: the reader part is
ended (it wrote nothing) and ``BEGIN IMMEDIATE`` queues for the lock under the busy timeout. A
``SELECT ... FOR UPDATE`` (``with_for_update``), which SQLite does not know, counts as a write, so
the optimistic-lock step (lock, compare version, bump) reads the row inside the write
transaction. The lock is then held from the first write to the commit only: reads see committed
data as of each statement's transaction, as PostgreSQL's READ COMMITTED does.

Writers of one process queue for SQLite's lock on a Python lock first (``_WriterQueue``): SQLite
makes a waiting writer sleep and poll, in steps growing to 100 ms, so that ten writers of one
process waited up to seconds for a lock held a few milliseconds each time (p95 of a report
update 2 to 3 s at 10 connections); on the Python lock each starts as soon as the previous one
commits. Writers of other processes still meet at SQLite's lock, under the busy timeout.

PostgreSQL needs none of this; it gets a lock timeout, so that a request waiting on a row lock
gives up (answered 503) instead of holding a worker, and no JIT: it compiles a statement the
planner prices above 100,000, which the statistics' counts passed from a city's 20,000 reports,
and compiling took 375 ms of a 430 ms count (a page's statements are short; compiling never pays).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, Text, and_, event, inspect, or_
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, SQLModel, create_engine, select

from veille.pagecache import watch_writes

# How long a request waits for SQLite's write lock or a PostgreSQL row lock, and for a pooled
# connection, before it is answered 503.
LOCK_TIMEOUT_SECONDS = 5.0
_MODE = "veille_txn"  # connection.info key: "read" or "write" while a transaction is open
_WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.I)
_FORCE_WRITE = "veille_write"  # execution option: take the write lock at BEGIN
_QUEUED = "veille_queued"  # connection.info key: this connection holds its process's writer turn
_WRITERS = "veille_writers"  # connection.info key: the engine's _WriterQueue (SQLite)
_MEMO = "veille_memo"  # session.info key: what this session read once (see ``remembered``)
T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)


class DbSession(Session):
    """The project's session: its engine is known to commit hooks (see ``on_commit``)."""


def make_engine(
    url: str, *, pool_size: int = 15, lock_timeout: float = LOCK_TIMEOUT_SECONDS, **kwargs: Any
) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout, lock taken at the first write) or
    PostgreSQL (psycopg 3, lock timeout, no JIT); its pool holds ``pool_size`` connections and as many
    again for bursts, and a request waits ``lock_timeout`` seconds for one."""
    pool = {"pool_size": pool_size, "max_overflow": pool_size, "pool_timeout": lock_timeout}
    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database
        in_memory = not database or database == ":memory:"
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, **({} if in_memory else pool), **kwargs
        )
        _configure_sqlite(engine, lock_timeout)
        watch_writes(engine)
        return engine
    if make_url(url).drivername == "postgresql":
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    options = f"-c lock_timeout={int(lock_timeout * 1000)} -c jit=off"
    engine = create_engine(url, pool_pre_ping=True, connect_args={"options": options}, **pool, **kwargs)
    watch_writes(engine)
    return engine


def unicode_lower(text: object) -> object:
    """SQL ``lower()`` on SQLite, for every alphabet (NULL and non-text values as they are)."""
    return text.lower() if isinstance(text, str) else text


# The accented letters of French and its neighbours, and what they are without their accent:
# a search typed without accents (as most are on a phone) finds "éclairage" and "Hélène".
ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"
_FOLD = str.maketrans({**dict(zip(ACCENTED, PLAIN, strict=True)), "œ": "oe", "æ": "ae"})


def fold(text: object) -> object:
    """``text`` in lower case without its accents, as ``Folded`` folds a column (NULL and
    non-text values as they are)."""
    return text.lower().translate(_FOLD) if isinstance(text, str) else text


class Folded(FunctionElement[str]):
    """A column in lower case without its accents: on PostgreSQL ``translate`` and ``replace``
    (immutable: the word indexes of migration 0020 are on this very expression), on SQLite
    ``fold`` above."""

    type = Text()
    inherit_cache = True


@compiles(Folded, "postgresql")
def _folded_postgresql(element: Folded, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"replace(replace(translate(lower({column}), '{ACCENTED}', '{PLAIN}'), 'œ', 'oe'), 'æ', 'ae')"


@compiles(Folded, "sqlite")
def _folded_sqlite(element: Folded, compiler: Any, **kw: Any) -> str:
    return f"fold({compiler.process(element.clauses, **kw)})"


def contains_words(q: str, *columns: Any) -> ColumnElement[bool]:
    """Every word of ``q`` in one of the columns, whatever the case and the accents (``Folded``;
    wildcards escaped): the search, the action table's owner, a person looked up by name."""
    words = str(fold(q)).split()
    return and_(*(or_(*(Folded(c).contains(word, autoescape=True) for c in columns)) for word in words))


class _WriterQueue:
    """One writer at a time per process and engine, in the order they come (see the module's
    docstring); a turn not given within the lock timeout is SQLite's "database is locked"
    (answered 503), as a turn SQLite itself did not give."""

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout

    def take(self, info: dict[Any, Any]) -> None:
        if info.get(_QUEUED):
            return
        if not self._lock.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked (waiting for this process's writers)")
        info[_QUEUED] = True

    def give_back(self, info: dict[Any, Any]) -> None:
        if info.pop(_QUEUED, False):
            self._lock.release()


def _configure_sqlite(engine: Engine, lock_timeout: float) -> None:
    writers = _WriterQueue(lock_timeout)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        record.info[_WRITERS] = writers
        # Let the "begin" event below emit BEGIN instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's lower() folds ASCII letters only, PostgreSQL's every letter: the case-blind
        # checks of unique names ("Γειά" and "ΓΕΙΆ") must agree on both, so lower() is Python's.
        dbapi_connection.create_function("lower", 1, unicode_lower, deterministic=True)
        dbapi_connection.create_function("fold", 1, fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_FORCE_WRITE):
            writers.take(connection.info)
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.info[_MODE] = "write"
        else:
            connection.exec_driver_sql("BEGIN")
            connection.info[_MODE] = "read"

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection: Connection, cursor: Any, statement: str, *_args: Any) -> None:
        if connection.info.get(_MODE) == "read" and _WRITE_SQL.match(statement):
            _become_writer(connection, cursor)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Connection) -> None:
        if connection.invalidated:  # its turn went with it (checked in, below)
            return
        connection.info.pop(_MODE, None)
        writers.give_back(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_release(_dbapi_connection: Any, record: Any) -> None:
        # Given back to the pool, its transaction undone by the pool's reset, or dropped after
        # an error (an invalidated connection is checked in at once): the turn goes with it.
        writers.give_back(record.info)


def _become_writer(connection: Connection, cursor: Any) -> None:
    """Ends the reader part of the transaction (it wrote nothing), waits for the process's
    writer turn, then queues for SQLite's lock."""
    cursor.execute("COMMIT")
    connection.info[_MODE] = None
    connection.info[_WRITERS].take(connection.info)
    cursor.execute("BEGIN IMMEDIATE")
    connection.info[_MODE] = "write"


@event.listens_for(DbSession, "do_orm_execute")
def _lock_for_update(state: ORMExecuteState) -> None:
    """``with_for_update`` on SQLite: take the write lock before reading the row."""
    if state.is_select and getattr(state.statement, "_for_update_arg", None) is not None:
        connection = state.session.connection()
        if connection.info.get(_MODE) == "read":
            _become_writer(connection, connection.connection.cursor())


def remembered(session: Session, key: tuple[Any, ...], load: Callable[[], T], *, on: tuple[type, ...]) -> T:
    """What ``load`` reads, read once per session (that is, per request): the person's standing in
    a body, the categories, the sectors... read again by each service that needs them otherwise.
    Forgotten as soon as the session writes a row of one of the classes ``on`` (a flush or a bulk
    INSERT, UPDATE or DELETE of their table), and at the end of its transaction (commit or
    rollback): never older than what the transaction itself reads, so that a session kept open
    (a job, the mail sender) reads again what others changed since."""
    memo: dict[tuple[Any, ...], tuple[tuple[type, ...], Any]] = session.info.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = (on, load())
    value: T = memo[key][1]
    return value


@event.listens_for(DbSession, "after_flush")
def _forget_written(session: Session, _context: Any) -> None:
    memo = session.info.get(_MEMO)
    if not memo:
        return
    written = {type(row) for row in (*session.new, *session.dirty, *session.deleted)}
    for key in [key for key, (on, _value) in memo.items() if written.intersection(on)]:
        del memo[key]


@event.listens_for(DbSession, "after_commit")
@event.listens_for(DbSession, "after_soft_rollback")
def _forget_at_the_end(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(DbSession, "do_orm_execute")
def _forget_on_bulk_write(state: ORMExecuteState) -> None:
    memo = state.session.info.get(_MEMO)
    if not memo or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    for key in [key for key, (on, _value) in memo.items() if table is None or _writes(on, table)]:
        del memo[key]


def _writes(classes: tuple[type, ...], table: object) -> bool:
    return any(getattr(cls, "__table__", None) is table for cls in classes)


def by_ids(session: Session, model: type[M], ids: Iterable[int]) -> dict[int, M]:
    """Rows by primary key: those this session has already loaded from its identity map, the
    others in one query (none when all were loaded)."""
    found: dict[int, M] = {}
    missing: list[int] = []
    for row_id in sorted(set(ids)):
        row = session.identity_map.get(identity_key(model, row_id))
        if isinstance(row, model):
            found[row_id] = row
        else:
            missing.append(row_id)
    if missing:
        key = inspect(model).primary_key[0]
        for row in session.exec(select(model).where(key.in_(missing))).all():
            found[getattr(row, key.key)] = row
    return found


def open_session(engine: Engine, *, write: bool = False) -> Session:
    """A session. ``write=True`` takes SQLite's write lock at BEGIN, for a batch that reads what
    it is about to change and must not let another writer in between (the outbox's claim)."""
    bind = engine.execution_options(**{_FORCE_WRITE: True}) if write else engine
    return DbSession(bind, expire_on_commit=False, info={"engine": engine})


def statements_alone(engine: Engine) -> Engine:
    """The engine for statements each whole in itself (a kept page's check, then its audited
    reads, one statement each): on PostgreSQL outside a transaction, each its own (with the
    pool's ping, a check and a write cost three round trips, not the six of a BEGIN and a
    COMMIT on a connection each). Made once per engine (each one adds listeners). SQLite keeps
    its transaction (``_configure_sqlite``), which costs no round trip."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    session = open_session(engine, write=write)
    try:
        yield session
    finally:
        session.close()


def is_busy(exc: BaseException) -> bool:
    """The database could not give this request a lock or a connection in time: answer 503."""
    if isinstance(exc, PoolTimeout):
        return True
    # The write lock is taken with the driver's own cursor (``_become_writer``): its error may
    # come unwrapped.
    error = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return "database is locked" in message or "database is busy" in message
    return str(getattr(error, "sqlstate", "")) in {"55P03", "57014", "40001", "40P01"}


def is_retryable(exc: BaseException) -> bool:
    """A PostgreSQL serialization failure or deadlock: the transaction can simply run again."""
    return isinstance(exc, DBAPIError) and str(getattr(exc.orig, "sqlstate", "")) in {"40001", "40P01"}
