"""venue indexes: a participant's chats found by index (forgetting them, the
desk's participants, the reader's language), not by reading every chat

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_venues_participant_id"), "venues", ["participant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_venues_participant_id"), table_name="venues")
