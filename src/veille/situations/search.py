"""Full-text search of the reports: title, description, place and the texts of their updates.

Words are normalised here, in Python, the same way for the documents and for the queries and
on both engines, so that SQLite and PostgreSQL find the same reports: case and accents are
dropped, then the Snowball French stemmer (the algorithm of PostgreSQL's ``french_stem``)
reduces each word to its stem. PostgreSQL's own ``french`` configuration is not used: it stems
before it could drop accents, so that "securite" (securit) would miss "sécurité" (sécur).
Each word is indexed under two stems, that of the word without its accents and the stem of the
word as written without its accents, which also joins forms whose accents the stemmer needs
("dégradée" and "dégradation"); a final "s" that the stemmer keeps after a vowel goes too
("rodéos" and "rodéo").

The stems go to an index table that no model describes (``include_object`` keeps it out of
Alembic's comparison): on SQLite an FTS5 table whose rowid is the report's id, on PostgreSQL
a tsvector per report with a GIN index. ``index()`` rewrites a report's entry from what the
database holds now, so any writer (posting, editing, an update, the retention purge) calls it
after changing the text.

A query is a list of words that must all be found; the last one also matches as a prefix (the
list narrows while one types). Common French function words ("du", "la", "sur") are left out
of a query unless it holds nothing else. Only letters and digits reach the database, each term
quoted, so no query syntax can be injected; a query without any letter or digit matches
nothing.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import snowballstemmer  # type: ignore[import-untyped]
from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Integer,
    Text,
    bindparam,
    cast,
    column,
    delete,
    false,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlmodel import Session, col

from veille.situations.models import Situation

TABLE = "situation_search"
# SQLite keeps an FTS5 table's data in these tables beside it.
FTS5_SHADOWS = frozenset(f"{TABLE}_{suffix}" for suffix in ("data", "idx", "content", "docsize", "config"))
BATCH = 1000
MAX_WORD = 64
PREFIX_MIN = 3  # shorter last words match whole only: a prefix of one or two letters finds everything

WORD = re.compile(r"[^\W_]+")
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# Articles, prepositions, conjunctions and pronouns, without their accents ("à" is "a").
STOP_WORDS = frozenset(
    """a au aux avec ce ces cet cette d dans de des du elle elles en et il ils j l la le les leur
    leurs lui m ma mes mon n ne nous on ou par pour qu que qui s sa sans se ses son sur t ta te
    tes ton un une vers vos votre vous y""".split()  # noqa: SIM905 (reads better than 60 lines)
)

# The index table as each engine holds it.
_FTS = table(TABLE, column("rowid", Integer), column("document", Text))
_PG = table(TABLE, column("situation_id", Integer), column("document", TSVECTOR))
_stemmer = snowballstemmer.stemmer("french")
_stemmer_lock = threading.Lock()


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _plain_stem(word: str) -> str:
    """The stem without accents, and without a final "s" that the stemmer keeps ("rodeos")."""
    with _stemmer_lock:  # the stemmer keeps its state in itself; routes run in threads
        stem: str = _stemmer.stemWord(word)
    unaccented = _unaccented(stem)
    return unaccented[:-1] if len(unaccented) > 4 and unaccented.endswith("s") else unaccented


@lru_cache(maxsize=50_000)
def stems(word: str) -> tuple[str, ...]:
    """The index terms of one word as written (one, or two when its accents change its stem)."""
    lowered = word.casefold().translate(LIGATURES)
    found = {_plain_stem(_unaccented(lowered)), _plain_stem(lowered)}
    return tuple(sorted(s for s in found if s))


def words(text: str) -> list[str]:
    """The words of a text: runs of letters and digits, lower-cased, accents kept for stemming;
    longer runs than any word (a pasted code, a link) are left out."""
    return [w for w in WORD.findall(text.casefold().translate(LIGATURES)) if len(w) <= MAX_WORD]


def document(texts: Iterable[str]) -> str:
    """The terms a report is found by, space-separated, each once."""
    return " ".join(sorted({stem for text in texts for word in words(text) for stem in stems(word)}))


# Keeping the index


def index(session: Session, situation: Situation) -> None:
    """Rewrites the report's index entry from the database, after pending changes are flushed."""
    session.flush()
    assert situation.id is not None
    _write(session.connection(), [situation.id])


def index_all(connection: Connection) -> int:
    """Indexes every report (the migration's backfill, a rebuild); returns how many."""
    done, last = 0, 0
    while True:
        ids = list(
            connection.execute(
                text("SELECT id FROM situation WHERE id > :last ORDER BY id LIMIT :batch"),
                {"last": last, "batch": BATCH},
            ).scalars()
        )
        if not ids:
            return done
        _write(connection, ids)
        done, last = done + len(ids), ids[-1]


def _write(connection: Connection, ids: Sequence[int]) -> None:
    texts: dict[int, list[str]] = defaultdict(list)
    for situation_id, *fields in connection.execute(
        text("SELECT id, title, description, place FROM situation WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": list(ids)},
    ):
        texts[situation_id].extend(fields)
    for situation_id, update_text in connection.execute(
        text("SELECT situation_id, text FROM situation_update WHERE situation_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        ),
        {"ids": list(ids)},
    ):
        texts[situation_id].append(update_text)
    rows = [{"id": situation_id, "document": document(t)} for situation_id, t in texts.items()]
    if connection.dialect.name == "postgresql":
        # array_to_tsvector takes the terms as they are: no parser or dictionary changes them.
        terms = func.array_to_tsvector(func.string_to_array(bindparam("document"), " "))
        upsert = postgresql.insert(_PG).values(situation_id=bindparam("id"), document=terms)
        statement: Executable = upsert.on_conflict_do_update(
            index_elements=["situation_id"], set_={"document": upsert.excluded.document}
        )
    else:
        connection.execute(delete(_FTS).where(_FTS.c.rowid.in_(list(ids))))
        statement = insert(_FTS).values(rowid=bindparam("id"), document=bindparam("document"))
    if rows:
        connection.execute(statement, rows)


# Searching


def matches(session: Session, q: str) -> ColumnElement[bool]:
    """Reports whose text holds every word of ``q`` (see the module's docstring)."""
    groups = _query_terms(q)
    if not groups:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(
            "(" + " | ".join(f"'{term}'" + (":*" if prefix else "") for term in terms) + ")"
            for terms, prefix in groups
        )
        found: Any = select(_PG.c.situation_id).where(
            _PG.c.document.op("@@", is_comparison=True)(cast(tsquery, TSQUERY))
        )
    else:
        fts_query = " AND ".join(
            "(" + " OR ".join(f'"{term}"' + ("*" if prefix else "") for term in terms) + ")"
            for terms, prefix in groups
        )
        # The table's name, not its column: with detail=none FTS5 refuses column filters.
        found = select(_FTS.c.rowid).where(literal_column(TABLE).op("MATCH", is_comparison=True)(fts_query))
    return col(Situation.id).in_(found)


def _query_terms(q: str) -> list[tuple[tuple[str, ...], bool]]:
    """Per word of the query, the terms of which one must be found, and whether as a prefix."""
    found = words(q)
    kept = [w for w in found if _unaccented(w) not in STOP_WORDS] or found
    # A term that unaccenting turned into several words ("¾" → "3⁄4") would be a phrase, which
    # the index cannot look up: such terms are left out of the query.
    groups = [t for t in (tuple(s for s in stems(w) if WORD.fullmatch(s)) for w in kept) if t]
    last = len(groups) - 1
    return [(terms, i == last and len(terms[0]) >= PREFIX_MIN) for i, terms in enumerate(groups)]


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's filter: the index is made by its own migration with each engine's DDL (an FTS5
    table, a tsvector with a GIN index), which no model describes."""
    return not (type_ == "table" and (name == TABLE or name in FTS5_SHADOWS))
