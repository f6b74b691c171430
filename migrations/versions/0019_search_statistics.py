"""the reports' search index: PostgreSQL keeps ten times more of its words' frequencies
(issue 15)

The feed and the header's search match each word as a prefix (``'word':*``). For a prefix that
none of the words it keeps frequencies of begins with, PostgreSQL guesses a share of rows no
smaller than half the rarest frequency it keeps: with the default statistics (about 1,000
words) that was 0.5 % of the reports, and for a word found in no report it chose to walk every
report back from the newest, looking for ten (56 to 100 ms at metropolis scale, depending on
the sample). With 10,000 words kept, its guess for such a word is a few rows, and it looks the
word up in the index (0.4 ms); a common word's guess, read from the frequencies, is unchanged.
``ANALYZE`` then samples 300,000 rows of the index table (under a second at metropolis scale).
SQLite plans otherwise and is left as it is.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 09:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORDS_KEPT = 1000  # the column's statistics target: PostgreSQL keeps ten times as many words


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE situation_search ALTER COLUMN document SET STATISTICS {WORDS_KEPT}")
    op.execute("ANALYZE situation_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE situation_search ALTER COLUMN document SET STATISTICS -1")
    op.execute("ANALYZE situation_search")
