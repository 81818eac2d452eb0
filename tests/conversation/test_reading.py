"""/read: what the others published under a question, in a chat, as the report publishes it."""

import dataclasses

from tests.helpers import join, open_round, organiser


async def test_others_answers_are_read_after_answering_named_only_with_consent(engine, platform, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    named = await join(engine, user, "named", "es", consent="named", name="Mamadou Sene", organisation="Ville de Dakar", country="Sénégal")
    unnamed = await join(engine, user, "unnamed", "fr", name="Jeanne Martin")
    reader = await join(engine, user, "reader", "en")
    await engine.handle_message(named.message("1.1: Como señaló la diáspora, los hermanamientos funcionan."))
    await engine.handle_message(unnamed.message("1.1: Je suis Jeanne Martin et le jumelage marche."))
    await engine.handle_message(unnamed.message("1.2: Un fonds commun."))

    await engine.handle_message(reader.message("/read 1.1"))
    assert platform.last(reader.dm).text == "You will see the others' answers to 1.1 once you have sent yours."
    await engine.handle_message(reader.message("1.1: Twinning works for us too."))
    await engine.handle_message(reader.message("/read Q1"))  # the open round's first

    shown = platform.last(reader.dm).text
    assert shown.startswith("The latest answers to 1.1")
    assert "los hermanamientos funcionan" in shown and "Mamadou Sene, Ville de Dakar, Sénégal (Spanish)" in shown
    assert "le jumelage marche" in shown and "Jeanne Martin" not in shown and "— anonymous (French)" in shown
    assert "Un fonds commun" not in shown and "Twinning works for us too" not in shown  # another question; the reader's own


async def test_reading_speaks_the_readers_language_and_says_how(engine, platform, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    lectrice = await join(engine, user, "lectrice", "fr")

    await engine.handle_message(lectrice.message("/read"))
    assert platform.last(lectrice.dm).text == (
        "Envoyez /read et le numéro d’une question pour lire ce que les autres y ont répondu, par exemple /read 1.1."
    )
    await engine.handle_message(lectrice.message("/read 9.9"))
    assert platform.last(lectrice.dm).text.startswith("Il n’y a pas de question 9.9.") and "/read 1.1" in platform.last(lectrice.dm).text


async def test_a_discussion_file_may_let_everyone_read_at_once(engine, platform, user, example):
    await engine.load(dataclasses.replace(example, others_answers="at_once"))
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    reader = await join(engine, user, "reader", "es")
    await engine.handle_message(reader.message("/read 1.2"))
    assert platform.last(reader.dm).text == "Nadie más ha respondido todavía a la pregunta 1.2."

    named = await join(engine, user, "named", "en", consent="named", name="Howard Duncan")
    await engine.handle_message(named.message("1.2: A joint committee with the ministry."))
    await engine.handle_message(reader.message("/read 1.2"))
    assert "A joint committee with the ministry." in platform.last(reader.dm).text
    assert "Howard Duncan" in platform.last(reader.dm).text
