"""Contributions from a JSON-lines corpus, stored as the bot stores them: a participant, a
message and its contribution under its question, and the contribution's embedding, as the
running bot keeps it after the commit. Used by the synthesis tests, its benchmark, and to
make the example draft in docs/:

    python -m tests.reports.synthesis.corpus tests/data/seed_contributions.jsonl seed.db
    FACILITATOR_DATABASE_URL=sqlite+aiosqlite:///seed.db facilitator synthesis --lang en -o docs/synthesis-example.en.yaml
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.discussion import store
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.linking.meaning import MODEL_NAME, shared_embedder
from bot.storage.database import create_engine, migrate, session_factory
from bot.storage.models import Contribution, ContributionEmbedding, ContributionStatus, Discussion, Message, Participant, Question, Round

DATA = Path(__file__).resolve().parents[2] / "data"
LABELLED = DATA / "synthesis_themes.jsonl"
SEED = DATA / "seed_contributions.jsonl"


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def embed(texts: Sequence[str]) -> np.ndarray:
    embedder = shared_embedder()
    assert embedder is not None, "the sentence-embedding model is installed with the project"
    return embedder.embed(list(texts))


async def store_contributions(
    sessions: async_sessionmaker[AsyncSession],
    rows: Sequence[dict],
    vectors: np.ndarray | None,
    now: dt.datetime,
    discussion_slug: str | None = None,
) -> list[int]:
    """Each row ({question, language, text, author?, country?, consent?}) as one participant's
    message; its vector (a row of `vectors`) stored as its embedding. Returns the contribution ids."""
    async with sessions() as session:
        discussion = await store.find_discussion(session, discussion_slug)
        assert discussion is not None
        questions = {key: (qid, rid) for key, qid, rid in await session.execute(_questions(discussion))}
        ids = []
        for number, row in enumerate(rows):
            question_id, round_id = questions[row["question"]]
            author = row.get("author")
            person = Participant(
                display_name=author or f"participant {number}",
                name=author,
                country=row.get("country"),
                language=row["language"],
                consent=row.get("consent", author is not None),
                anonymous=author is None,
                created_at=now,
            )
            contribution = Contribution(
                position=1,
                question_id=question_id,
                status=ContributionStatus.filed,
                text=row["text"],
                method="reference",
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            await session.flush()
            session.add(
                Message(
                    discussion_id=discussion.id,
                    participant_id=person.id,
                    platform="memory",
                    chat_id=f"corpus-{person.id}",
                    message_id=f"corpus-{number}",
                    text=row["text"],
                    language=row["language"],
                    round_id=round_id,
                    received_at=now,
                    contributions=[contribution],
                )
            )
            await session.flush()
            if vectors is not None:
                session.add(
                    ContributionEmbedding(
                        contribution_id=contribution.id,
                        model=MODEL_NAME,
                        vector=np.asarray(vectors[number], dtype="<f4").tobytes(),
                        created_at=now,
                    )
                )
            ids.append(contribution.id)
        await session.commit()
        return ids


def _questions(discussion: Discussion):
    return (
        select(Question.key, Question.id, Round.id)
        .join(Round, Question.round_id == Round.id)
        .where(Question.discussion_id == discussion.id)
    )


async def make_database(rows: Sequence[dict], database: Path, now: dt.datetime) -> list[int]:
    """A new SQLite file holding the example discussion and `rows`, embedded."""
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await migrate(engine)
    sessions = session_factory(engine)
    async with sessions() as session:
        await store.store_discussion(session, load_discussion(example_discussion_path()), now)
        await session.commit()
    ids = await store_contributions(sessions, rows, embed([row["text"] for row in rows]), now)
    await engine.dispose()
    return ids


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a database of the example discussion holding a corpus' contributions")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("database", type=Path, help="a new SQLite file")
    arguments = parser.parse_args()
    asyncio.run(make_database(read(arguments.corpus), arguments.database, dt.datetime.now(dt.UTC)))
