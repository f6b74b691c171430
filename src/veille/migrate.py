"""Schema changes come only from the Alembic migrations; these run them from code."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from veille.pagecache import UNVERSIONED
from veille.paths import MIGRATIONS


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _with_connection(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table by copying it, dropping the old one and renaming the copy:
            # with foreign keys on, dropping it would cascade to every row that points at it
            # (a report's shares, updates, attachments...). SQLite's own procedure: keys off
            # outside the transaction, checked once before it commits.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        # Servers are stopped while the schema changes: no kept page to tell, and the version's
        # table may not exist yet.
        connection.info[UNVERSIONED] = True
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                before = _heads(connection)
                getattr(command, action)(config, revision)
                # Checked when a migration ran: the check reads every row (0.7 s at a
                # metropolis's scale, at each start of a server).
                if sqlite and _heads(connection) != before:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration leaves rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "head") -> None:
    _with_connection(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _with_connection(engine, "downgrade", revision)


def pending(engine: Engine) -> bool:
    """True when the database is not at the newest revision."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        return _heads(connection) != set(script.get_heads())
