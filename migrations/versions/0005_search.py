"""search: the full-text index of the reports, filled from the existing ones

SQLite: an FTS5 table whose rowid is the report's id, and a trigger that removes the entry of a
deleted report (a virtual table has no foreign key). PostgreSQL: a tsvector per report with a
GIN index. The terms are computed by ``veille.situations.search``, as the application computes
them (see its docstring); no model describes this table, and ``search.include_object`` keeps it
out of the comparison of models and migrations.

On SQLite, a later batch migration that rebuilds the ``situation`` table drops its triggers:
such a migration must create ``situation_search_delete`` again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from veille.situations import search

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.create_table(
            "situation_search",
            sa.Column("situation_id", sa.Integer(), nullable=False),
            sa.Column("document", postgresql.TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(
                ["situation_id"],
                ["situation.id"],
                name=op.f("fk_situation_search_situation_id_situation"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("situation_id", name=op.f("pk_situation_search")),
        )
        op.create_index(
            "ix_situation_search_document", "situation_search", ["document"], postgresql_using="gin"
        )
    else:
        # The terms come without accents already; the tokenizer still folds whatever is left.
        # No positions (detail=none) nor sizes (columnsize=0): nothing ranks or seeks phrases.
        op.execute(
            "CREATE VIRTUAL TABLE situation_search USING fts5("
            "document, tokenize = 'unicode61 remove_diacritics 2', detail = none, columnsize = 0)"
        )
        op.execute(
            "CREATE TRIGGER situation_search_delete AFTER DELETE ON situation "
            "BEGIN DELETE FROM situation_search WHERE rowid = old.id; END"
        )
    search.index_all(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_situation_search_document", table_name="situation_search")
        op.drop_table("situation_search")
    else:
        op.execute("DROP TRIGGER situation_search_delete")
        op.execute("DROP TABLE situation_search")
