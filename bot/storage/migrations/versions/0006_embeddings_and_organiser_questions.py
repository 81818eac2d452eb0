"""contribution embeddings (each stored answer's meaning, for the synthesis) and
participants' questions to the organisers

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contribution_embeddings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_embeddings_contribution_id_contributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_embeddings")),
        sa.UniqueConstraint("contribution_id", name=op.f("uq_contribution_embeddings_contribution_id")),
    )
    op.create_table(
        "organiser_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discussion_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["discussion_id"], ["discussions.id"], name=op.f("fk_organiser_questions_discussion_id_discussions"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"], ["participants.id"], name=op.f("fk_organiser_questions_participant_id_participants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_questions")),
        sa.UniqueConstraint("platform", "chat_id", "message_id", name=op.f("uq_organiser_questions_platform_chat_id_message_id")),
    )
    with op.batch_alter_table("organiser_questions") as table:
        table.create_index(table.f("ix_organiser_questions_discussion_id"), ["discussion_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("organiser_questions") as table:
        table.drop_index(table.f("ix_organiser_questions_discussion_id"))
    op.drop_table("organiser_questions")
    op.drop_table("contribution_embeddings")
