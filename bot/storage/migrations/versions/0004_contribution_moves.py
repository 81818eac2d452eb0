"""asks tied to their text (and their message ids), and contributions moved to another question

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contributions") as table:
        table.add_column(sa.Column("asked_at", bot.storage.models.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "contribution_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("from_question_id", sa.Integer(), nullable=True),
        sa.Column("to_question_id", sa.Integer(), nullable=True),
        sa.Column("by_organiser", sa.Boolean(), nullable=False),
        sa.Column("moved_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"],
            ["contributions.id"],
            name=op.f("fk_contribution_moves_contribution_id_contributions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_question_id"], ["questions.id"], name=op.f("fk_contribution_moves_from_question_id_questions"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["to_question_id"], ["questions.id"], name=op.f("fk_contribution_moves_to_question_id_questions"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_moves")),
    )
    op.create_index(op.f("ix_contribution_moves_contribution_id"), "contribution_moves", ["contribution_id"], unique=False)
    op.create_table(
        "asks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("sent_at", bot.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contribution_id"], ["contributions.id"], name=op.f("fk_asks_contribution_id_contributions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asks")),
        sa.UniqueConstraint("platform", "chat_id", "message_id", name=op.f("uq_asks_platform_chat_id_message_id")),
    )
    op.create_index(op.f("ix_asks_contribution_id"), "asks", ["contribution_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_asks_contribution_id"), table_name="asks")
    op.drop_table("asks")
    op.drop_index(op.f("ix_contribution_moves_contribution_id"), table_name="contribution_moves")
    op.drop_table("contribution_moves")
    with op.batch_alter_table("contributions") as table:
        table.drop_column("asked_at")
