"""a body's meeting rule (monthly meetings planned from it) and reports referred on their own
(who referred them, when and why) (issue 18)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import veille.orm

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_ordinal", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rule_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rule_start", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("rule_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("rule_location", sa.String(length=300), server_default="", nullable=False)
        )
    with op.batch_alter_table("situation_referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("referred_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("referred_at", veille.orm.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_situation_referral_referred_by_user"), "user", ["referred_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("situation_referral", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_situation_referral_referred_by_user"), type_="foreignkey")
        batch_op.drop_column("referred_at")
        batch_op.drop_column("referred_by")
        batch_op.drop_column("reason")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): copying the body table, which so many
    # tables reference, is refused on a database holding data ("table is locked").
    with op.batch_alter_table("body", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("rule_location")
        batch_op.drop_column("rule_minutes")
        batch_op.drop_column("rule_start")
        batch_op.drop_column("rule_weekday")
        batch_op.drop_column("rule_ordinal")
