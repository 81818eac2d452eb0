"""web links: personal links to the participant's page and one-time desk sign-ins;
the indexes the desk's figures are read from; organisers' hiding acts (who, when, why)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("discussion_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("organiser_platform", sa.String(length=20), nullable=True),
        sa.Column("organiser_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["discussion_id"], ["discussions.id"], name=op.f("fk_web_links_discussion_id_discussions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_web_links_participant_id_participants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_links_token_hash")),
    )
    with op.batch_alter_table("web_links") as table:
        table.create_index(table.f("ix_web_links_participant_id"), ["participant_id"], unique=False)
    op.create_table(
        "hiding_acts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("by_platform", sa.String(length=20), nullable=False),
        sa.Column("by_user", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contribution_id"], ["contributions.id"], name=op.f("fk_hiding_acts_contribution_id_contributions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hiding_acts")),
    )
    op.create_index(op.f("ix_hiding_acts_contribution_id"), "hiding_acts", ["contribution_id"], unique=False)
    op.create_index("ix_messages_discussion_language_received", "messages", ["discussion_id", "language", "received_at"])
    op.create_index("ix_messages_discussion_participant", "messages", ["discussion_id", "participant_id"])
    op.create_index("ix_contributions_question_hidden_status", "contributions", ["question_id", "hidden", "status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_hiding_acts_contribution_id"), table_name="hiding_acts")
    op.drop_table("hiding_acts")
    op.drop_index("ix_contributions_question_hidden_status", table_name="contributions")
    op.drop_index("ix_messages_discussion_participant", table_name="messages")
    op.drop_index("ix_messages_discussion_language_received", table_name="messages")
    with op.batch_alter_table("web_links") as table:
        table.drop_index(table.f("ix_web_links_participant_id"))
    op.drop_table("web_links")
