"""live meeting: the events screens follow, who is looking at a meeting, the projected item

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import veille.orm

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("created_at", veille.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_event")),
    )
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.create_index("ix_live_event_topic_id", ["topic", "id"], unique=False)
    op.create_table(
        "meeting_presence",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", veille.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_presence_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_meeting_presence_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_presence")),
    )
    with op.batch_alter_table("meeting_presence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_presence_meeting_id"), ["meeting_id"], unique=False)
    op.create_table(
        "meeting_screen",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["agenda_item.id"],
            name=op.f("fk_meeting_screen_item_id_agenda_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_screen_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_screen")),
    )


def downgrade() -> None:
    op.drop_table("meeting_screen")
    with op.batch_alter_table("meeting_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_presence_meeting_id"))
    op.drop_table("meeting_presence")
    with op.batch_alter_table("live_event", schema=None) as batch_op:
        batch_op.drop_index("ix_live_event_topic_id")
    op.drop_table("live_event")
