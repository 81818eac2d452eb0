"""who filed or moved an answer: the organiser's platform identity on each move

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contribution_moves") as table:
        table.add_column(sa.Column("by_platform", sa.String(length=20), nullable=True))
        table.add_column(sa.Column("by_user", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contribution_moves") as table:
        table.drop_column("by_user")
        table.drop_column("by_platform")
