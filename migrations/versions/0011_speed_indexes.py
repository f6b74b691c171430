"""indexes for counting at scale (issue 15): the actions' recording day (the statistics'
period and months), and the latest change of reports and actions (the validators of exports)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 18:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_action_created_at"), "action", ["created_at"], unique=False)
    op.create_index(op.f("ix_action_updated_at"), "action", ["updated_at"], unique=False)
    op.create_index(op.f("ix_situation_updated_at"), "situation", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_situation_updated_at"), table_name="situation")
    op.drop_index(op.f("ix_action_updated_at"), table_name="action")
    op.drop_index(op.f("ix_action_created_at"), table_name="action")
