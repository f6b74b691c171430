"""a word inside the actions' and the agenda items' texts found through an index on PostgreSQL
(issue 15)

The header's search finds a word anywhere in these texts (``lower(text) LIKE '%word%'``,
``db.contains_words``); no b-tree serves that, and PostgreSQL read every action and every agenda
item for it (200 ms and 80 ms at metropolis scale for a word found nowhere). A trigram index
does (0.1 ms): ``pg_trgm``, an extension shipped with PostgreSQL and trusted (the database's
owner may add it). SQLite has no such index and reads the tables. No model describes these
indexes: ``veille.models.include_object`` keeps them out of the comparison of models and
migrations.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 06:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> (table, column); each name ends with "_words" (``veille.models.WORD_INDEX_SUFFIX``).
INDEXES = {
    "ix_action_title_words": ("action", "title"),
    "ix_action_description_words": ("action", "description"),
    "ix_agenda_item_title_words": ("agenda_item", "title"),
    "ix_agenda_item_notes_words": ("agenda_item", "notes"),
    "ix_agenda_item_decisions_words": ("agenda_item", "decisions"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (lower({column}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX {name}")
