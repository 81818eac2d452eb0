"""What the synthesis reads and keeps: each published contribution's author and stored
embedding, one question at a time, and the synthesis kept per discussion and language,
never with a contribution of someone forgotten."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import and_, case, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handling.unfiled import not_tied
from bot.reports.data import ANONYMOUS, ReportData
from bot.reports.synthesis.build import Member
from bot.reports.synthesis.draft import Synthesis, from_dict
from bot.storage.models import Contribution, ContributionEmbedding, Discussion, Message, Question, SavedSynthesis

VECTOR_ITEM = 4  # bytes: the stored vectors are float32
STREAMED_ROWS = 2_000  # contributions read from the database at a time


async def members(session: AsyncSession, discussion: Discussion, report: ReportData, question_key: str, model: str | None) -> list[Member]:
    """The question's published contributions that a synthesis may use, with their stored
    vectors (when made by `model`, and after the text's last change), without their texts.
    Contributions of participants who asked to be forgotten are left out: they are in no
    theme and no quote."""
    # Streamed, each batch's vectors copied into one array as its rows arrive: neither the
    # driver's rows nor a bytes object per contribution are held beside the question's vectors.
    # Core rows through the session's connection, the vector's freshness judged by the
    # database: a third less time than ORM rows with two datetimes each to convert.
    fresh = and_(ContributionEmbedding.model == model, ContributionEmbedding.created_at >= Contribution.updated_at)
    connection = await session.connection()
    rows = await connection.stream(
        select(Contribution.id, Message.participant_id, Message.language, case((fresh, ContributionEmbedding.vector), else_=None))
        .join(Message, Contribution.message_id == Message.id)
        .join(Question, Contribution.question_id == Question.id)
        .outerjoin(ContributionEmbedding, ContributionEmbedding.contribution_id == Contribution.id)
        # Filed, not hidden, under the question (led by it: by the discussion's messages, 15 times as long).
        .where(
            Question.discussion_id == discussion.id,
            Question.key == question_key,
            Contribution.hidden.is_(False),
            not_(not_tied()),
            Message.participant_id.is_not(None),
        )
        .order_by(Contribution.id)
        .execution_options(yield_per=STREAMED_ROWS)
    )
    found: list[Member] = []
    async for batch in rows.partitions():
        vectors: np.ndarray | None = None  # a row per member of the batch, made when its first vector comes
        for index, (contribution_id, participant_id, language, vector) in enumerate(batch):
            row = None
            if vector is not None:
                if vectors is None:
                    vectors = np.empty((len(batch), len(vector) // VECTOR_ITEM), dtype=np.float32)
                row = vectors[index]
                row[:] = np.frombuffer(vector, dtype="<f4")
            found.append(Member(contribution_id, participant_id, language, report.authors.get(participant_id, ANONYMOUS), row))
    return found


async def kept(session: AsyncSession, discussion: Discussion, language: str) -> Synthesis | None:
    """The synthesis last kept in `language`: reviewed (`reviewed_at` set) or not."""
    content = await session.scalar(
        select(SavedSynthesis.content).where(SavedSynthesis.discussion_id == discussion.id, SavedSynthesis.language == language)
    )
    return from_dict(content) if content is not None else None


async def keep(session: AsyncSession, discussion: Discussion, synthesis: Synthesis, now: dt.datetime) -> None:
    """Kept as given: made by `making.make_synthesis`, it holds no contribution of someone
    forgotten (/forget takes theirs out of what was kept, in `bot.privacy.personal_data`)."""
    saved = await session.scalar(
        select(SavedSynthesis).where(SavedSynthesis.discussion_id == discussion.id, SavedSynthesis.language == synthesis.language)
    )
    if saved is None:
        session.add(
            SavedSynthesis(
                discussion_id=discussion.id,
                language=synthesis.language,
                content=synthesis.as_dict(),
                reviewed_at=synthesis.reviewed_at,
                saved_at=now,
            )
        )
    else:
        saved.content, saved.reviewed_at, saved.saved_at = synthesis.as_dict(), synthesis.reviewed_at, now
