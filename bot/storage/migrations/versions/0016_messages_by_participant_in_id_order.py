"""a sender's latest message in a chat, read by every turn: the index of
messages by participant also holds the chat and the id, so that the latest
is one entry found, however many messages the participant wrote (in a busy
group too)

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEX = "ix_messages_participant_id"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    op.create_index(INDEX, "messages", ["participant_id", "platform", "chat_id", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    op.create_index(INDEX, "messages", ["participant_id"])
