"""A participant's whole path through the engine, via the in-memory platform."""

import asyncio
import datetime as dt

from sqlalchemy import delete, func, select

from bot.storage.models import Contribution, ContributionStatus, Delivery, Message, MessageRevision, Participant, Question, Venue
from tests.helpers import answer, join, open_round, organiser, stored_contributions


async def round_one_with_john(engine, user):
    """An organiser, and John subscribed in English, with round 1 open."""
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    return boss, john


async def stored(engine):
    return await stored_contributions(engine.sessions, Question.key, Contribution.text, Contribution.status, Message.language)


async def test_subscription_speaks_the_platform_language(engine, platform, user):
    ana = user("ana", "es-AR")
    await engine.handle_message(ana.message("/start"))
    welcome, language_prompt = platform.to(ana.dm)[-2:]
    assert "Bienvenid" in welcome.text or "e-discusión" in welcome.text
    assert [b.data for b in language_prompt.buttons] == ["lang:fr", "lang:en", "lang:es", "skip"]
    async with engine.sessions() as session:
        participant = await session.scalar(select(Participant))
        assert participant.language == "es"


async def test_round_questions_reach_participants_in_their_language(engine, platform, user):
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr")
    john = await join(engine, user, "john", "en")
    platform.clear()
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    french = platform.texts(marie.dm)
    english = platform.texts(john.dm)
    assert len(french) == 5 and len(english) == 5
    assert "coopération décentralisée" in french[0]
    assert "decentralized cooperation" in english[0].lower() or "decentralised cooperation" in english[0].lower()
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    assert len(platform.texts(marie.dm)) == 5, "questions are never posted twice"


async def test_reply_to_a_question_is_filed_under_it_and_acknowledged(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    question_message = (
        platform.message_id_of(ana.dm, "Pregunta 1.3")
        if any("Pregunta 1.3" in t for t in platform.texts(ana.dm))
        else platform.message_id_of(ana.dm, "1.3")
    )
    await engine.handle_message(ana.message("Compartir lecciones en redes de municipios.", reply_to=question_message))
    assert [(k, s) for k, _t, s, _l in await stored(engine)] == [("1.3", ContributionStatus.filed)]
    assert "1.3" in platform.last(ana.dm).text


async def test_a_message_delivered_twice_is_stored_once(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    message = ana.message("Pregunta 2: convenios interinstitucionales.")
    await engine.handle_message(message)
    sent = len(platform.sent)
    await engine.handle_message(message)
    assert len(await stored(engine)) == 1
    assert len(platform.sent) == sent, "a redelivered message is not acknowledged twice"


async def test_unclear_answer_is_kept_pending_then_filed_by_button(engine, platform, user):
    boss, john = await round_one_with_john(engine, user)
    await engine.handle_message(john.message("We did something like that in our town."))
    [(key, _text, status, _lang)] = await stored(engine)
    assert key is None and status == ContributionStatus.pending
    choice = platform.last(john.dm)
    assert choice.buttons and choice.buttons[0].data.startswith("file:")
    await engine.handle_button(john.press(choice.buttons[1].data))
    [(key, _text, status, _lang)] = await stored(engine)
    assert status == ContributionStatus.filed and key == choice.buttons[1].data.rsplit(":", 1)[1]


async def test_edit_updates_the_contribution_and_keeps_the_earlier_text(engine, platform, user):
    boss, john = await round_one_with_john(engine, user)
    await engine.handle_message(john.message("Q1: first thought", message_id="m1"))
    await engine.handle_message(john.message("Q1: second, better thought", message_id="m1", edited=True))
    [(key, text, _status, _lang)] = await stored(engine)
    assert (key, text) == ("1.1", "second, better thought")
    async with engine.sessions() as session:
        assert await session.scalar(select(MessageRevision.text)) == "Q1: first thought"
        assert await session.scalar(select(func.count(Message.id))) == 1


async def test_an_edit_that_leaves_no_answer_withdraws_the_earlier_one(engine, platform, user):
    boss, john = await round_one_with_john(engine, user)
    await engine.handle_message(john.message("Q1: something I should not have posted", message_id="m1"))
    await engine.handle_message(john.message("thanks", message_id="m1", edited=True))
    assert await stored(engine) == []
    assert "withdrawn" in platform.last(john.dm).text
    async with engine.sessions() as session:
        message = await session.scalar(select(Message))
        assert message.text == "thanks" and message.edited_at is not None
        assert await session.scalar(select(MessageRevision.text)) == "Q1: something I should not have posted"


async def test_an_answer_given_in_time_and_edited_after_the_round_closed_is_not_late(engine, platform, user, clock):
    boss, john = await round_one_with_john(engine, user)
    await engine.handle_message(john.message("Q1: a first draft", message_id="m1"))
    clock.advance(hours=1)
    await engine.handle_message(boss.message("/close_round 1"))
    clock.advance(hours=1)
    await engine.handle_message(john.message("Q1: the final text", message_id="m1", edited=True))
    await engine.handle_message(john.message("Q2: after the closing", message_id="m2"))
    async with engine.sessions() as session:
        rows = (await session.execute(select(Contribution.text, Contribution.late).order_by(Contribution.id))).all()
    assert [tuple(row) for row in rows] == [("the final text", False), ("after the closing", True)]


async def test_an_answer_read_after_its_round_closed_counts_from_when_it_was_written(engine, platform, user, clock):
    """Discord reads back what was written while the bot was down; Telegram
    queues updates: such an answer belongs to the round open when it was
    written, and is not late."""
    boss, john = await round_one_with_john(engine, user)
    written_at = clock.now + dt.timedelta(minutes=10)
    clock.advance(hours=1)
    await engine.handle_message(boss.message("/close_round 1"))
    await open_round(engine, boss, 2)
    clock.advance(hours=1)
    await engine.handle_message(john.message("Q1: written while round one was open", message_id="m1", sent_at=written_at))
    assert "late" not in platform.last(john.dm).text and "1.1" in platform.last(john.dm).text
    async with engine.sessions() as session:
        row = (
            await session.execute(
                select(Question.key, Contribution.late, Message.received_at).join(Contribution.question).join(Contribution.message)
            )
        ).one()
    assert tuple(row) == ("1.1", False, written_at)


async def test_a_hidden_answer_stays_hidden_when_its_author_moves_it_to_another_question(engine, platform, user):
    boss, john = await round_one_with_john(engine, user)
    await engine.handle_message(john.message("Q1: buy cheap watches at spam.example", message_id="m1"))
    async with engine.sessions() as session:
        contribution_id = await session.scalar(select(Contribution.id))
    await engine.handle_message(boss.message(f"/hide {contribution_id}"))
    await engine.handle_message(john.message("Q2: buy cheap watches at spam.example", message_id="m1", edited=True))
    async with engine.sessions() as session:
        rows = (await session.execute(select(Contribution.text, Contribution.hidden))).all()
    assert [tuple(row) for row in rows] == [("buy cheap watches at spam.example", True)]


async def test_questions_wait_for_the_language_a_newcomer_chooses(engine, platform, user, clock):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 2)
    ana = user("ana", "en")
    await engine.handle_message(ana.message("/start"))
    engine.kick()  # what the bot's own watch does every few seconds
    await engine.drain()
    assert not any("Question 2." in text for text in platform.texts(ana.dm)), "not in the language guessed for her"
    clock.advance(minutes=2)
    await engine.handle_button(ana.press("lang:es"))
    await engine.drain()
    assert sum("Pregunta 2." in text for text in platform.texts(ana.dm)) == 3
    assert not any("Question 2." in text for text in platform.texts(ana.dm))


async def test_a_newcomer_who_never_chooses_a_language_gets_the_questions_in_the_guessed_one(engine, platform, user, clock):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 2)
    ana = user("ana", "en")
    await engine.handle_message(ana.message("/start"))
    clock.advance(minutes=11)
    engine.kick()
    await engine.drain()
    assert sum("Question 2." in text for text in platform.texts(ana.dm)) == 3


async def test_subscribing_while_a_round_is_open_brings_its_questions_at_once(engine, platform, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/open_round 2"))
    await engine.drain()
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_button(ana.press("lang:es"))
    texts = platform.texts(ana.dm)
    assert [t for t in texts if t.startswith(("Pregunta 2.", "La ronda 2"))][0].startswith("La ronda 2 está abierta hasta")
    assert sum("Pregunta 2." in t for t in texts) == 3
    assert texts.index(next(t for t in texts if "Pregunta 2.1" in t)) > texts.index("A partir de ahora le escribiré en español.")


async def test_a_group_gets_a_thread_per_question_and_answers_in_a_thread_are_tied_to_it(engine, platform, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/attach fr", group="mairies"))
    await engine.handle_message(boss.message("/open_round 1", group="mairies"))
    await engine.drain()
    posted = [(m, s) for m, s in platform.sent if m.chat.chat_id == "mairies" and m.new_thread_title]
    assert [m.new_thread_title.split(" · ")[0] for m, _s in posted] == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    thread_of_1_4 = posted[3][1].thread_id
    marie = user("marie", "fr")
    await engine.handle_message(
        marie.message("Le plan communal de Chunchi intègre la migration.", group="mairies", thread_id=thread_of_1_4)
    )
    [(key, _text, _status, _language)] = await stored(engine)
    assert key == "1.4"
    assert platform.last("mairies").text.startswith("Merci ! Enregistré sous la question 1.4")
    replies = len(platform.to("mairies"))
    await engine.handle_message(marie.message("Bonjour à toutes et à tous !", group="mairies"))
    assert len(platform.to("mairies")) == replies, "a greeting to the group is not answered by the bot"


async def test_questions_language_and_profile_commands(engine, platform, user):
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    await engine.handle_message(john.message("/questions"))
    assert platform.last(john.dm).text == "No round is open at the moment."
    await engine.handle_message(boss.message("/open_round 3"))
    await engine.drain()
    await engine.handle_message(john.message("/language fr"))
    assert platform.last(john.dm).text == "Désormais, je vous écrirai en français."
    await engine.handle_message(john.message("/questions"))
    listing = platform.last(john.dm).text
    assert listing.startswith("Tour 3, ouvert jusqu’au") and "\n3.3. " in listing
    await engine.handle_message(john.message("/profile"))
    await engine.handle_message(john.message("John Smith"))
    await engine.handle_message(john.message("Metropolis"))
    await engine.handle_message(john.message("Canada"))
    async with engine.sessions() as session:
        person = await session.scalar(select(Participant))
    assert (person.name, person.organisation, person.country) == ("John Smith", "Metropolis", "Canada")


async def test_a_long_answer_during_the_profile_prompt_is_a_contribution_not_a_name(engine, platform, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_button(ana.press("skip"))
    await engine.handle_button(ana.press("skip"))  # consent: now the name is asked
    answer = "Pregunta 1: Se deberían coordinar y unir esfuerzos entre autoridades.\nPregunta 3: programas de empleo."
    await engine.handle_message(ana.message(answer))
    assert [k for k, *_rest in await stored(engine)] == ["1.1", "1.3"]
    async with engine.sessions() as session:
        person = await session.scalar(select(Participant))
    assert person.name is None and person.onboarding_step == "name"


async def test_a_chat_deleted_during_a_broadcast_does_not_cost_the_others_their_record(engine, platform, user):
    """Deliveries are recorded in batches: one that can no longer be recorded (its
    chat was deleted by /forget meanwhile) must not lose the others', or their
    questions would be sent again."""
    boss = await organiser(engine, user)
    marie = await join(engine, user, "marie", "fr")
    john = await join(engine, user, "john", "en")
    deliver = platform.send
    both_sent = asyncio.Event()
    first_sends = set()

    async def send_then_forget_john(message):
        sent = await deliver(message)
        if message.chat.chat_id not in (marie.dm, john.dm):
            return sent
        if message.chat.chat_id == john.dm and john.dm not in first_sends:
            async with engine.sessions() as session:
                await session.execute(delete(Venue).where(Venue.chat_id == john.dm))
                await session.commit()
        # Both chats' first questions are accepted together, so that their deliveries are recorded together.
        first_sends.add(message.chat.chat_id)
        if len(first_sends) == 2:
            both_sent.set()
        await both_sent.wait()
        return sent

    platform.send = send_then_forget_john
    platform.clear()
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    assert len(platform.texts(marie.dm)) == 5
    await engine.post_pending()
    assert len(platform.texts(marie.dm)) == 5, "marie's questions were recorded and are not sent again"
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Delivery.id)).join(Venue).where(Venue.chat_id == marie.dm)) == 5


async def test_the_consent_says_all_that_is_published_with_a_name(engine, platform, user):
    """The report shows a named author's organisation and country beside the name."""
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_button(ana.press("lang:es"))
    consent = platform.last(ana.dm)
    assert [b.label for b in consent.buttons][0] == "Con mi nombre, mi organización y mi país"


async def test_the_same_answer_sent_twice_in_a_row_is_recorded_once(engine, platform, user):
    boss, john = await round_one_with_john(engine, user)
    await engine.handle_message(john.message("Q2: We have a joint committee with the ministry."))
    await engine.handle_message(john.message("Q2: We have a joint committee with the ministry."))
    assert platform.last(john.dm).text == "You sent this already: it is recorded once."
    assert [key for key, *_ in await stored(engine)] == ["1.2"]


async def test_the_same_words_replied_to_two_questions_are_two_answers(engine, platform, user):
    boss, john = await round_one_with_john(engine, user)
    for key in ("1.1", "1.2"):
        await answer(engine, john, key, "Yes, through the regional council.")
    assert sorted(key for key, *_ in await stored(engine)) == ["1.1", "1.2"]
