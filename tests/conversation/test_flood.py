"""Per-sender flood control (issue 15): someone sending faster than a person
writes is told once to slow down, in their language, and everything they sent
is recorded and acknowledged all the same; others are not told anything."""

from __future__ import annotations

from bot.handling.flood import MESSAGES_A_MINUTE
from bot.storage.models import Contribution
from tests.helpers import join, open_round, organiser, stored_contributions

SLOW_DOWN = "Está enviando mensajes muy rápido."


def word(n: int) -> str:
    """A word of its own for each n ("a", "b", … "aa"): no number in an answer to be taken for a question's."""
    return chr(ord("a") + n % 26) * (n // 26 + 1)


async def test_a_flooder_is_told_once_to_slow_down_and_loses_nothing(engine, platform, user, clock):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    paul = await join(engine, user, "paul", "en")
    await open_round(engine, boss)
    platform.clear()
    sent = MESSAGES_A_MINUTE + 10
    for n in range(sent):
        await engine.handle_message(ana.message(f"Pregunta 1.1: experiencia {word(n)}."))
        clock.advance(seconds=1)
    await engine.handle_message(paul.message("Q1.2: Twinning with Dakar worked for us."))

    texts = platform.texts(ana.dm)
    told = [n for n, text in enumerate(texts) if text.startswith(SLOW_DOWN)]
    assert len(told) == 1, "told once"
    assert texts[told[0] + 1].startswith("¡Gracias! Registrado en la pregunta 1.1"), (
        "before the answer that passed the limit is acknowledged"
    )
    assert sum(text.startswith("¡Gracias!") for text in texts) == sent, "every answer acknowledged"
    stored = [text for (text,) in await stored_contributions(engine.sessions, Contribution.text)]
    assert sorted(stored) == sorted([f"experiencia {word(n)}." for n in range(sent)] + ["Twinning with Dakar worked for us."])
    assert not any("very fast" in text for text in platform.texts(paul.dm))

    clock.advance(minutes=1)  # a new minute: the count starts again
    for n in range(MESSAGES_A_MINUTE):
        await engine.handle_message(ana.message(f"Pregunta 1.2: otra experiencia {word(n)}."))
    assert sum(text.startswith(SLOW_DOWN) for text in platform.texts(ana.dm)) == 1
