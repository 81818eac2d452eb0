"""A long message is linked off the event loop (issues 12 and 15): while the
linker works through 16,000 characters, another chat's message is handled and
answered; a short one is linked on the loop, where the thread hop would cost
it more than it holds the loop."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bot.conversation import contributions
from bot.linking.linker import Linker
from bot.linking.meaning import UniversalSentenceEncoder
from tests.helpers import join, open_round, organiser

LONG_ANSWER = "Q1.1: " + ("Twinning with Dakar brought our councils together, and the diaspora radio helped. " * 200)[:15_990].strip()


async def test_another_chat_is_answered_while_a_long_message_is_linked(engine, platform, user, monkeypatch):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "en")
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    long_linking, john_answered = threading.Event(), threading.Event()
    link = Linker.link

    def held_link(self, text, **request):
        """The long text's linking waits until John has his answer: on the loop, it never would."""
        if len(text) >= len(LONG_ANSWER):
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
