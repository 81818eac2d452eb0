"""platform cursors: how far each platform's messages were received live

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_cursors",
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("seen_up_to", sa.String(length=64), nullable=False),
        sa.Column("updated_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", name=op.f("pk_platform_cursors")),
    )


def downgrade() -> None:
    op.drop_table("platform_cursors")
