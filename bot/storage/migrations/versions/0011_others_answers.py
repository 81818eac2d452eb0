"""others' answers, and the desk's per-day counts on PostgreSQL: whether a
participant's web page shows what others published under a question only
after they answered it (as before) or at once, as the discussion file says;
PostgreSQL's index of messages by discussion, language and time carries their
id, so that the desk counts each day's contributions from indexes alone

Revision ID: 0011
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "ix_messages_discussion_language_received"
COLUMNS = ["discussion_id", "language", "received_at"]


def upgrade() -> None:
    with op.batch_alter_table("discussions") as table:
        table.add_column(sa.Column("others_answers", sa.String(length=16), server_default="after_answering", nullable=False))
    if op.get_bind().dialect.name == "postgresql":  # SQLite's index holds each row's id already
        op.drop_index(INDEX, table_name="messages")
        op.create_index(INDEX, "messages", COLUMNS, postgresql_include=["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="messages")
        op.create_index(INDEX, "messages", COLUMNS)
    with op.batch_alter_table("discussions") as table:
        table.drop_column("others_answers")
