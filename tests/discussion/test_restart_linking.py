"""A bot restarted mid-discussion links as the one that kept running: the answers already
filed by their markers, which steer the linker by meaning, are read back from the database
when the discussion's index is built (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, select

from bot.discussion import store
from bot.linking import Linker
from bot.linking.linker import EXEMPLARS_BEFORE_USE
from bot.storage.database import session_factory
from bot.storage.models import Contribution, ContributionEmbedding, Message, Question
from facilitator.assembly import make_engine
from tests.helpers import join, open_round, organiser

DATA = Path(__file__).resolve().parents[1] / "data"
CORPORA = Path(__file__).resolve().parents[1] / "linking" / "corpora"
# Answers without a marker that the earlier answers' meaning files and the questions' wordings
# alone leave unsure: "Estimados colegas: En la provincia de Chimborazo…" (1.4).
STEERED = 19


def _round_one(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row.get("round", 1) == 1 and str(row.get("question", "1.")).startswith("1.")]


async def _filings(engine, chat_id: str) -> dict[str, list[tuple]]:
    """By message id: each part's question, method, confidence and the questions offered."""
    async with engine.sessions() as session:
        rows = await session.execute(
            select(Message.message_id, Question.key, Contribution.method, Contribution.confidence, Contribution.candidates)
            .join(Contribution, Contribution.message_id == Message.id)
            .outerjoin(Question, Contribution.question_id == Question.id)
            .where(Message.chat_id == chat_id)
            .order_by(Message.id, Contribution.position)
        )
        filings: dict[str, list[tuple]] = {}
        for message_id, *filing in rows:
            filings.setdefault(message_id, []).append(tuple(filing))
    return filings


async def test_a_restarted_bot_files_the_next_answers_as_the_one_that_kept_running(engine, database, platform, user, clock):
    boss = await organiser(engine, user)
    warm_up = _round_one(DATA / "seed_contributions.jsonl")
    assert len(warm_up) >= EXEMPLARS_BEFORE_USE
    earlier = await join(engine, user, "earlier", "es")
    kept_running = await join(engine, user, "kept", "es")
    restarted_reader = await join(engine, user, "restarted", "es")
    await open_round(engine, boss)
    for row in warm_up:  # each filed by its marker
        await engine.handle_message(earlier.message(f"Pregunta {row['question']}: {row['text']}"))
        clock.advance(minutes=10)
    await engine.drain()
    async with engine.sessions() as session:
        # The last answers' embeddings not made yet when the bot stopped: the new one makes them.
        last = select(Contribution.id).order_by(Contribution.id.desc()).limit(3).scalar_subquery()
        await session.execute(delete(ContributionEmbedding).where(ContributionEmbedding.contribution_id.in_(last)))
        await session.commit()

    restarted = make_engine(session_factory(database), [platform], clock=clock)
    try:
        async with restarted.sessions() as session:
            discussion = await store.find_discussion(session)
            assert discussion is not None
            index = await restarted.index_for(session, discussion)
        cases = _round_one(CORPORA / "meaning_dev.jsonl")
        # Without what was filed before it, the new linker would ask about the steered answer.
        unseeded = Linker(index.linker.questions, index.linker.languages, index.linker.embedder)
        assert unseeded.link(cases[STEERED]["text"], open_round=1).segments[0].question is None
        for number, case in enumerate(cases):  # the same messages, to each bot in turn
            await engine.handle_message(kept_running.message(case["text"], message_id=f"case-{number}"))
            await restarted.handle_message(restarted_reader.message(case["text"], message_id=f"case-{number}"))
            clock.advance(minutes=10)
        running_filings = await _filings(engine, kept_running.dm)
        assert await _filings(engine, restarted_reader.dm) == running_filings
        assert [filing[:2] for filing in running_filings[f"case-{STEERED}"]] == [("1.4", "meaning")]
        assert len(running_filings) > len(cases) // 2
    finally:
        await restarted.drain()
