"""Each stored answer keeps its meaning (its sentence embedding) for the synthesis to reuse.

Computed after the commit, when the bot has been quiet for a moment, in batches: no reply
and no incoming message waits for the model, and a batch costs the model far less per text
than one at a time. The database says what is missing, so the work is safe to re-run and
picks up after a restart whatever was left, answers stored before the model was there
included; the vectors the linker computed while linking are not computed again. Without
the model nothing is stored, and the answers are kept as ever.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.discussion.store import DiscussionIndex
from bot.storage.models import Contribution, ContributionEmbedding, Discussion, Message

log = logging.getLogger(__name__)

QUIET_SECONDS = 0.5  # no update for this long: the bot is between bursts
BATCH = 64

IndexFor = Callable[[AsyncSession, Discussion], Awaitable[DiscussionIndex]]


async def embed_missing(session: AsyncSession, index_for: IndexFor, now: dt.datetime, limit: int = BATCH) -> int:
    """Embeds up to `limit` stored contributions that have no embedding yet; returns how many."""
    rows = (
        await session.execute(
            select(Contribution, Message.discussion_id)
            .join(Message, Contribution.message_id == Message.id)
            .outerjoin(ContributionEmbedding, ContributionEmbedding.contribution_id == Contribution.id)
            .where(ContributionEmbedding.contribution_id.is_(None))
            .order_by(Contribution.id)
            .limit(limit)
        )
    ).all()
    done = 0
    for discussion_id in dict.fromkeys(d for _, d in rows):
        discussion = await session.get(Discussion, discussion_id)
        assert discussion is not None  # a message's discussion is deleted with it
        linker = (await index_for(session, discussion)).linker
        contributions = [c for c, d in rows if d == discussion_id]
        vectors = await asyncio.to_thread(linker.embed, [c.text for c in contributions])
        if vectors is None or linker.embedder is None:
            continue
        for contribution, vector in zip(contributions, vectors, strict=True):
            session.add(
                ContributionEmbedding(
                    contribution_id=contribution.id,
                    model=linker.embedder.name,
                    vector=np.asarray(vector, dtype="<f4").tobytes(),
                    created_at=now,
                )
            )
        done += len(contributions)
    return done


def vector_of(embedding: ContributionEmbedding) -> np.ndarray:
    """The stored vector, as the model gave it."""
    return np.frombuffer(embedding.vector, dtype="<f4")


class Backfill:
    """Runs `embed_missing` in the background once the bot has been quiet for a moment."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], index_for: IndexFor, clock: Callable[[], dt.datetime]):
        self.sessions = sessions
        self.index_for = index_for
        self.clock = clock
        self._task: asyncio.Task | None = None
        self._wanted_at = 0.0

    def soon(self) -> None:
        """Answers were stored: embed them once updates stop coming for QUIET_SECONDS."""
        loop = asyncio.get_running_loop()
        self._wanted_at = loop.time()
        if self._task is None or self._task.done():
            # A fresh context: the work belongs to no update (nor to its reader's language).
            self._task = loop.create_task(self._when_quiet(), context=contextvars.Context())

    async def drain(self) -> None:
        """Embed whatever is missing now, without waiting for quiet (end of input, shutdown, tests)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._run()

    async def _when_quiet(self) -> None:
        loop = asyncio.get_running_loop()
        while (wait := self._wanted_at + QUIET_SECONDS - loop.time()) > 0:
            await asyncio.sleep(wait)
        await self._run()

    async def _run(self) -> None:
        try:
            while True:
                async with self.sessions() as session:
                    done = await embed_missing(session, self.index_for, self.clock())
                    await session.commit()
                if done < BATCH:
                    return
        except Exception:
            log.exception("embedding stored answers failed; they are kept, and embedded at the next try")
