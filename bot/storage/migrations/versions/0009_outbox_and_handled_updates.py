"""the outbox (replies written in the transaction that decided them, sent after
the commit, sent at the next start when a crash left them unsent) and the
updates handled (so that one delivered again changes nothing)

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UNSENT = sa.text("sent_at IS NULL AND given_up_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "handled_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("sender_id", sa.String(length=64), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handled_updates")),
        sa.UniqueConstraint(
            "platform",
            "chat_id",
            "kind",
            "external_id",
            "version",
            name=op.f("uq_handled_updates_platform_chat_id_kind_external_id_version"),
        ),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("chat_kind", sa.Enum("private", "group", "channel", name="chatkind", native_enum=False, length=20), nullable=False),
        sa.Column("chat_title", sa.Text(), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("reply_to", sa.String(length=64), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("attachment_name", sa.Text(), nullable=True),
        sa.Column("attachment", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["id"], unique=False, sqlite_where=UNSENT, postgresql_where=UNSENT)


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("handled_updates")
