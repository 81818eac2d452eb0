"""the desk's per-day figure on PostgreSQL: the index of messages by
discussion is in id order and carries their language and time, so that
their entries meet the contributions' (message_id, position) index in a
merge join, no table row read (SQLite's index holds the rowid, the id,
already: it is rebuilt the same, under the columns the models name)

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_messages_discussion_id"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    op.create_index(INDEX, "messages", ["discussion_id", "id"], postgresql_include=["language", "received_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="messages")
    op.create_index(INDEX, "messages", ["discussion_id"])
