"""Making the synthesis of a discussion, one question at a time: its members read with their
stored embeddings (the few missing ones embedded now, when the model is there), then grouped
in a worker thread, so that a running bot goes on answering meanwhile."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Collection

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from bot.linking.meaning import MODEL_NAME, shared_embedder
from bot.reports.data import QuestionData, ReportData, held
from bot.reports.synthesis import build, store
from bot.reports.synthesis.draft import QuestionThemes, Synthesis
from bot.storage.models import Discussion

METHOD = f"{MODEL_NAME}, agglomerative clustering"

Progress = Callable[[int], None]  # told how many more contributions were grouped


async def make_synthesis(
    session: AsyncSession,
    discussion: Discussion,
    report: ReportData,
    language: str,
    base: Synthesis | None,
    progress: Progress | None = None,
) -> Synthesis:
    """The synthesis in `language`: `base` (the organisers' review, or a synthesis kept
    earlier) brought up to date with the contributions published since; without a base,
    the contributions grouped afresh."""
    questions = []
    for question in report.questions:
        questions.append(await _themes(session, discussion, report, question, language, base))
        if progress is not None:
            progress(len(question.entries))
    if base is None:
        return Synthesis(discussion=report.slug, language=language, questions=questions, model=METHOD)
    return dataclasses.replace(base, questions=questions)


async def for_report(
    session: AsyncSession, discussion: Discussion, report: ReportData, language: str, progress: Progress | None = None
) -> Synthesis:
    """What a report shows: the synthesis kept for its language (reviewed or not) brought up
    to date, so that a report never groups every contribution again; else a fresh one."""
    return await make_synthesis(session, discussion, report, language, await store.kept(session, discussion, language), progress)


async def with_key_points(
    session: AsyncSession, discussion: Discussion, report: ReportData, language: str, progress: Progress | None = None
) -> ReportData:
    """The report with its key points (`for_report`), as every report format shows them."""
    return dataclasses.replace(report, synthesis=await for_report(session, discussion, report, language, progress))


async def _themes(
    session: AsyncSession, discussion: Discussion, report: ReportData, question: QuestionData, language: str, base: Synthesis | None
) -> QuestionThemes:
    """One question's themes. Its members (and their vectors) are let go when it returns,
    before the next question is read: one question's are held at a time. Themes brought up
    to date read only the texts they take sentences from; grouped afresh, all of them."""
    members = await store.members(session, discussion, report, question.key, MODEL_NAME)
    earlier = base.question(question.key) if base is not None else None
    if earlier is not None:
        texts = report.texts_with_ids
    else:
        written = {entry.id: entry.text for entry in (await held(question)).entries}

        def texts(ids: Collection[int]) -> dict[int, str]:
            return {number: written[number] for number in ids if number in written}

    members = await asyncio.to_thread(_embed_missing, members, texts)
    if earlier is not None:
        return await asyncio.to_thread(build.updated, earlier, members, texts, language)
    return await asyncio.to_thread(build.automatic, question.key, members, texts, language, _asked(report, question.texts))


def _asked(report: ReportData, question: dict[str, str]) -> dict[str, str]:
    return {
        code: "\n".join((report.title.get(code, ""), report.invitation.get(code, ""), question.get(code, ""))) for code in report.languages
    }


def _embed_missing(members: list[build.Member], texts: build.Texts) -> list[build.Member]:
    """Contributions stored before the model was there, or edited since, are embedded now;
    without the model they stay out of the themes (in "other points")."""
    missing = [index for index, member in enumerate(members) if member.vector is None]
    if not missing:
        return members
    embedder = shared_embedder()
    if embedder is None:
        return members
    written = texts([members[index].id for index in missing])
    missing = [index for index in missing if members[index].id in written]
    vectors = embedder.embed([written[members[index].id] for index in missing])
    found = list(members)
    for index, vector in zip(missing, vectors, strict=True):
        found[index] = dataclasses.replace(members[index], vector=np.asarray(vector, dtype=np.float32))
    return found
