"""a report's point on a map (latitude and longitude, both or neither, in range, never on a
social report) (issue 19)

A sector's outline already has its column (``sector.outline_geojson``, migration 0001). On
SQLite the batch rebuilds ``situation``, which drops its triggers: ``situation_search_delete``
(migration 0005) is created again after it, both ways.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POINT = (
    "(latitude IS NULL AND longitude IS NULL) OR "
    "(confidentiality <> 'social' AND latitude IS NOT NULL AND longitude IS NOT NULL"
    " AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)"
)


SEARCH_TRIGGER = (
    "CREATE TRIGGER situation_search_delete AFTER DELETE ON situation "
    "BEGIN DELETE FROM situation_search WHERE rowid = old.id; END"
)


def _search_trigger_again() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS situation_search_delete")
        op.execute(SEARCH_TRIGGER)


def upgrade() -> None:
    with op.batch_alter_table("situation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_situation_point"), POINT)
    _search_trigger_again()


def downgrade() -> None:
    with op.batch_alter_table("situation", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_situation_point"), type_="check")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
    _search_trigger_again()
