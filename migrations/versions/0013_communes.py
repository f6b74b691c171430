"""communes (issue 19): the directory's communes, each sector in one (a single commune made
for an existing install, named after VEILLE_CITY_NAME or "Commune", holds every sector); the
communes a coordinator is limited to; the theme of a thematic working group

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 07:50:00.000000
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _first_name() -> str:
    """The commune an existing install lives in: the city setting, else "Commune"."""
    name = " ".join(os.environ.get("VEILLE_CITY_NAME", "").split())[:200]
    return name or "Commune"


def upgrade() -> None:
    commune = op.create_table(
        "commune",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commune")),
        sa.UniqueConstraint("name", name=op.f("uq_commune_name")),
    )
    op.create_table(
        "user_commune",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["commune.id"],
            name=op.f("fk_user_commune_commune_id_commune"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_commune_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "commune_id", name=op.f("pk_user_commune")),
    )
    with op.batch_alter_table("user_commune", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_commune_commune_id"), ["commune_id"], unique=False)

    with op.batch_alter_table("sector", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commune_id", sa.Integer(), nullable=True))
    op.bulk_insert(commune, [{"id": 1, "name": _first_name()}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('commune', 'id'), 1)")
    op.execute("UPDATE sector SET commune_id = 1")
    with op.batch_alter_table("sector", schema=None) as batch_op:
        batch_op.alter_column("commune_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_sector_commune_id"), ["commune_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sector_commune_id_commune"), "commune", ["commune_id"], ["id"]
        )

    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    # In place: copying the body table, which the search triggers read, is refused on SQLite
    # once the database holds data ("database table is locked").
    with op.batch_alter_table("body", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("theme")
    with op.batch_alter_table("sector", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sector_commune_id_commune"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_sector_commune_id"))
        batch_op.drop_column("commune_id")
    with op.batch_alter_table("user_commune", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_commune_commune_id"))
    op.drop_table("user_commune")
    op.drop_table("commune")
