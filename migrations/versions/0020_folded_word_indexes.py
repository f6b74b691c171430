"""the word indexes on the texts without their accents (the header's search found "éclairage"
only when typed with its accent)

``db.contains_words`` now compares the texts in lower case and without their accents
(``db.Folded``: ``translate`` and ``replace``, both immutable); the trigram indexes of migration
0018 were on ``lower(text)`` and would no longer serve it. They are made again on the very
expression the search compiles to (written out here, as a migration never changes with the
code; tests/search/test_search.py checks that the search's plan uses them).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 14:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name -> (table, column), as in migration 0018.
INDEXES = {
    "ix_action_title_words": ("action", "title"),
    "ix_action_description_words": ("action", "description"),
    "ix_agenda_item_title_words": ("agenda_item", "title"),
    "ix_agenda_item_notes_words": ("agenda_item", "notes"),
    "ix_agenda_item_decisions_words": ("agenda_item", "decisions"),
}
FOLDED = (
    "replace(replace(translate(lower({column}), 'àáâãäåçèéêëìíîïñòóôõöùúûüýÿ', "
    "'aaaaaaceeeeiiiinooooouuuuyy'), 'œ', 'oe'), 'æ', 'ae')"
)


def _make(expression: str) -> None:
    for name, (table, column) in INDEXES.items():
        op.execute(f"DROP INDEX {name}")
        op.execute(
            f"CREATE INDEX {name} ON {table} USING gin (({expression.format(column=column)}) gin_trgm_ops)"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _make(FOLDED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _make("lower({column})")
