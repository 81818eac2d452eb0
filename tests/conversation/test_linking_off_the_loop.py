"""A long message is linked off the event loop (issues 12 and 15): while the
linker works through 16,000 characters, another chat's message is handled and
answered, the loop given its turn every millisecond; what the linker learns from
it is read by the model there too, and it is filed as it would be on the loop. A
short one is linked on the loop, where the thread hop would cost it more than it
holds the loop."""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bot.conversation import contributions
from bot.discussion.spec import example_discussion_path, load_discussion
from bot.discussion.store import DiscussionIndex
from bot.linking import worker
from bot.linking.linker import Linker
from bot.linking.meaning import UniversalSentenceEncoder, shared_embedder
from facilitator.link_command import build_linker
from tests.helpers import join, open_round, organiser

RUNS = itertools.count()
LONG_ANSWER = "Q1.1: " + ("Twinning with Dakar brought our councils together, and the diaspora radio helped. " * 200)[:15_990].strip()


async def test_another_chat_is_answered_while_a_long_message_is_linked(engine, platform, user, monkeypatch):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "en")
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    long_linking, john_answered = threading.Event(), threading.Event()
    link = Linker.link
    interval_before, interval_while_linking = sys.getswitchinterval(), []

    def held_link(self, text, **request):
        """The long text's linking waits until John has his answer: on the loop, it never would."""
        if len(text) >= len(LONG_ANSWER):
            interval_while_linking.append(sys.getswitchinterval())
            long_linking.set()
            if not john_answered.wait(15):
                raise AssertionError("John's message waited for Ana's long one")
        return link(self, text, **request)

    monkeypatch.setattr(Linker, "link", held_link)
    platform.clear()
    ana_handled = asyncio.create_task(engine.handle_message(ana.message(LONG_ANSWER)))
    await asyncio.to_thread(long_linking.wait, 15)
    await engine.handle_message(john.message("Q1.2: Our city council works with migrant associations."))
    assert platform.texts(john.dm)[-1].startswith("Thank you! Recorded under question 1.2")
    assert platform.texts(ana.dm) == [], "Ana's message is still being linked"
    john_answered.set()
    await ana_handled
    assert platform.texts(ana.dm)[-1].startswith("Thank you! Recorded under question 1.1")
    # The interpreter passes the loop its turn every millisecond while the long text is linked, not every 5.
    assert interval_while_linking == [worker.SWITCH_INTERVAL] and sys.getswitchinterval() == interval_before


async def test_a_short_answer_after_a_long_one_does_not_wait_for_the_model_to_read_the_long_one(engine, platform, user, monkeypatch):
    """Ana's long answer filed under 1.1 is what the linker learns from when John's answer, which names no
    question, is linked by its meaning: the model reads her text then, which on the loop held it about 100 ms."""
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "en")
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    embedded_on_the_loop = []
    embed = UniversalSentenceEncoder.embed

    def recording_embed(self, texts):
        if threading.current_thread() is threading.main_thread():
            embedded_on_the_loop.extend(len(text) for text in texts)
        return embed(self, texts)

    monkeypatch.setattr(UniversalSentenceEncoder, "embed", recording_embed)
    run = next(RUNS)  # texts of their own: the process's model remembers those it read for the other database
    await engine.handle_message(ana.message(LONG_ANSWER.replace("Q1.1: ", f"Q1.1: ({run}) ")))
    assert platform.texts(ana.dm)[-1].startswith("Thank you! Recorded under question 1.1")
    await engine.handle_message(john.message(f"Our town hall funds the radio programmes that the diaspora associations run, {run} a week."))
    assert platform.texts(john.dm)[-1]  # answered
    assert embedded_on_the_loop and max(embedded_on_the_loop) < contributions.LINKED_IN_A_THREAD_FROM


# Long texts of each shape, then short ones linked by their meaning, which learn from the answers filed before them.
LONG_TEXTS = (
    LONG_ANSWER,
    ", ".join(f"Q{i % 9 + 1}" for i in range(4000))[:16_000],
    " ".join(f"Q1.{i % 4 + 1}: our municipal round tables {i} with the diaspora." for i in range(300))[:16_000],
    ("La coordinación con el ministerio de exteriores es difícil para los municipios pequeños. " * 25)[:2_000],
    "1) Twinning with Dakar.\n2) " + "Our council works with migrant associations on co-development projects. " * 200,
)
SHORT_TEXTS = (
    "Our town hall funds the radio programmes that the diaspora associations run every week.",
    "Les associations de migrants devraient être consultées avant chaque projet de coopération décentralisée.",
)


async def test_a_long_text_linked_off_the_loop_is_filed_as_on_the_loop():
    """Two linkers of the same discussion, one linking on the loop, the other as the bot links a long text; the
    answers filed by markers (65 of them) make the centroids the short ones are compared with."""
    spec = load_discussion(example_discussion_path())
    on_the_loop, off_the_loop = build_linker(spec, shared_embedder()), build_linker(spec, shared_embedder())
    index = DiscussionIndex(questions={}, by_id={}, linker=off_the_loop)
    assert min(map(len, LONG_TEXTS)) >= contributions.LINKED_IN_A_THREAD_FROM > max(map(len, SHORT_TEXTS))
    for text in (*LONG_TEXTS, *SHORT_TEXTS, *LONG_TEXTS[::-1], *SHORT_TEXTS):
        expected = on_the_loop.link(text, open_round=1)
        assert await contributions.link(index, text, open_round=1) == expected


async def test_a_short_message_is_linked_on_the_loop(engine, user, monkeypatch):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "en")
    await open_round(engine, boss)
    linked_in = []
    link = Linker.link

    def recording_link(self, text, **request):
        linked_in.append((len(text), threading.current_thread() is threading.main_thread()))
        return link(self, text, **request)

    monkeypatch.setattr(Linker, "link", recording_link)
    await engine.handle_message(ana.message("Q1.2: Our city council works with migrant associations."))
    await engine.handle_message(ana.message(LONG_ANSWER))
    short, long = len("Q1.2: Our city council works with migrant associations."), len(LONG_ANSWER)
    assert short < contributions.LINKED_IN_A_THREAD_FROM <= long
    assert (short, True) in linked_in and (long, False) in linked_in and (long, True) not in linked_in


def test_the_model_embeds_from_several_threads_at_once_as_from_one():
    """What a long text linked in a thread meets: the model embedding for another thread meanwhile."""
    model = UniversalSentenceEncoder()
    texts = [f"Answer {n}: " + LONG_ANSWER[n * 40 : n * 40 + 400 + 60 * n] for n in range(24)]
    alone = np.stack([model.embed([text])[0] for text in texts])
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = np.stack(list(pool.map(lambda text: model.embed([text])[0], texts)))
    assert np.allclose(together, alone, atol=1e-6)
