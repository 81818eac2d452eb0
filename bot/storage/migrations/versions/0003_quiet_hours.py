"""quiet hours set by the discussion file

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("discussions") as table:
        table.add_column(sa.Column("quiet_from", sa.String(length=5), server_default="21:00", nullable=False))
        table.add_column(sa.Column("quiet_until", sa.String(length=5), server_default="08:00", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("discussions") as table:
        table.drop_column("quiet_until")
        table.drop_column("quiet_from")
