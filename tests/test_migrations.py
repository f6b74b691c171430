"""The schema comes only from the migrations: up, down and in step with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import veille.models  # noqa: F401
from veille.db import make_engine
from veille.migrate import downgrade, pending, upgrade
from veille.situations import search


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


def test_models_and_migrations_agree(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    with engine.connect() as connection:
        # The search index is engine-specific DDL that no model describes (as in migrations/env.py).
        context = MigrationContext.configure(connection, opts={"include_object": search.include_object})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []
