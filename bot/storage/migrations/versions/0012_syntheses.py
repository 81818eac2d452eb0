"""syntheses: the themes per question, per language, as reviewed or last grouped

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "syntheses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discussion_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("reviewed_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("saved_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["discussion_id"], ["discussions.id"], name=op.f("fk_syntheses_discussion_id_discussions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_syntheses")),
        sa.UniqueConstraint("discussion_id", "language", name=op.f("uq_syntheses_discussion_id_language")),
    )


def downgrade() -> None:
    op.drop_table("syntheses")
