"""updates held from their fetching until they are handled (Telegram's, so
that they can be confirmed at once and a crash leaves them to the next start)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_updates")),
        sa.UniqueConstraint("platform", "external_id", name=op.f("uq_inbound_updates_platform_external_id")),
    )
    op.create_index("ix_inbound_updates_platform_id", "inbound_updates", ["platform", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_updates_platform_id", table_name="inbound_updates")
    op.drop_table("inbound_updates")
