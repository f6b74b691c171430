"""The schema comes only from the migrations: up, down and in step with the models."""

from __future__ import annotations

import sqlite3
import warnings
from contextlib import closing

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, inspect, text
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

from veille.db import make_engine
from veille.migrate import downgrade, pending, upgrade
from veille.models import include_object


def test_upgrade_downgrade_and_upgrade_again(empty_database_url):
    engine = make_engine(empty_database_url)
    assert pending(engine)
    upgrade(engine)
    assert not pending(engine)
    assert {"user", "body", "membership", "audit_event", "auth_token"} <= set(
        inspect(engine).get_table_names()
    )
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert not pending(engine)
    engine.dispose()


def _on_expressions(index: object) -> bool:
    return isinstance(index, Index) and any(not isinstance(e, Column) for e in index.expressions)


def test_models_and_migrations_agree(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    sqlite = engine.dialect.name == "sqlite"

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        # SQLite's reflection skips an index on expressions: those are compared by their DDL below.
        if sqlite and type_ == "index" and _on_expressions(obj):
            return False
        # Engine-specific DDL that no model describes (as in migrations/env.py).
        return include_object(obj, name, type_, reflected, compare_to)

    with engine.connect() as connection, warnings.catch_warnings():
        for skipped in ("Skipped unsupported reflection", "autogenerate skipping metadata-specified"):
            warnings.filterwarnings("ignore", f"{skipped} .*expression-based index")
        context = MigrationContext.configure(connection, opts={"include_object": include})
        differences = compare_metadata(context, SQLModel.metadata)
        if sqlite:
            indexes = text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            made = dict(connection.execute(indexes).all())
            for table in SQLModel.metadata.tables.values():
                for index in filter(_on_expressions, table.indexes):
                    ddl = str(CreateIndex(index).compile(dialect=engine.dialect)).strip()
                    assert made.get(index.name) == ddl
    engine.dispose()
    assert differences == []


def test_on_sqlite_a_migration_that_leaves_rows_pointing_nowhere_is_refused(tmp_path) -> None:
    """SQLite migrates with its foreign keys off and checks them before committing; a start with
    nothing to migrate does not read every row again (0.7 s at a metropolis's scale)."""
    path = tmp_path / "veille.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with closing(sqlite3.connect(path)) as connection:
        (head,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    downgrade(engine, "-1")
    with closing(sqlite3.connect(path)) as connection:  # foreign keys off, as SQLite starts
        connection.execute("INSERT INTO situation_share (situation_id, organisation_id) VALUES (404, 404)")
        connection.commit()
    with pytest.raises(RuntimeError, match="pointing nowhere"):
        upgrade(engine)
    assert pending(engine)  # rolled back
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (head,))
        connection.commit()
    upgrade(engine)  # nothing to migrate: no check
    engine.dispose()
