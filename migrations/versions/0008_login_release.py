"""login release: an admin's release of an account locked by failed logins

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import veille.orm

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("at", veille.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_release")),
    )
    with op.batch_alter_table("login_release", schema=None) as batch_op:
        batch_op.create_index("ix_login_release_email_at", ["email", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_release", schema=None) as batch_op:
        batch_op.drop_index("ix_login_release_email_at")
    op.drop_table("login_release")
