"""A participant's whole path through the engine, via the in-memory platform."""

from sqlalchemy import func, select

from bot import catalog
from bot.storage.models import Contribution, ContributionStatus, Message, MessageRevision, Participant, Question


async def organiser(engine, user):
    boss = user("boss", "en")
    async with engine.sessions() as session:
        discussion = await catalog.find_discussion(session)
        await catalog.grant_organiser(session, discussion, boss.platform.name, boss.user_id, engine.clock())
        await session.commit()
    return boss


async def subscribed(engine, user, user_id, language_code):
    person = user(user_id, language_code)
    await engine.handle_message(person.message("/start"))
    await engine.handle_button(person.press("skip"))  # language as detected
    await engine.handle_button(person.press("skip"))  # consent
    for _step in ("name", "organisation", "country"):
        await engine.handle_message(person.message("/skip"))
    await engine.handle_button(person.press("skip"))  # role
    return person


async def stored(engine):
    async with engine.sessions() as session:
        rows = await session.execute(
            select(Question.key, Contribution.text, Contribution.status, Message.language)
            .select_from(Contribution)
            .join(Message)
            .outerjoin(Question, Contribution.question_id == Question.id)
            .order_by(Contribution.id)
        )
        return rows.all()


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
    marie = await subscribed(engine, user, "marie", "fr")
    john = await subscribed(engine, user, "john", "en")
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
    ana = await subscribed(engine, user, "ana", "es")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    question_message = platform.message_id_of(ana.dm, "Pregunta 1.3") if any("Pregunta 1.3" in t for t in platform.texts(ana.dm)) else platform.message_id_of(ana.dm, "1.3")
    await engine.handle_message(ana.message("Compartir lecciones en redes de municipios.", reply_to=question_message))
    assert [(k, s) for k, _t, s, _l in await stored(engine)] == [("1.3", ContributionStatus.filed)]
    assert "1.3" in platform.last(ana.dm).text


async def test_a_message_delivered_twice_is_stored_once(engine, platform, user):
    boss = await organiser(engine, user)
    ana = await subscribed(engine, user, "ana", "es")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    message = ana.message("Pregunta 2: convenios interinstitucionales.")
    await engine.handle_message(message)
    sent = len(platform.sent)
    await engine.handle_message(message)
    assert len(await stored(engine)) == 1
    assert len(platform.sent) == sent, "a redelivered message is not acknowledged twice"


async def test_unclear_answer_is_kept_pending_then_filed_by_button(engine, platform, user):
    boss = await organiser(engine, user)
    john = await subscribed(engine, user, "john", "en")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    await engine.handle_message(john.message("We did something like that in our town."))
    [(key, _text, status, _lang)] = await stored(engine)
    assert key is None and status == ContributionStatus.pending
    choice = platform.last(john.dm)
    assert choice.buttons and choice.buttons[0].data.startswith("file:")
    await engine.handle_button(john.press(choice.buttons[1].data))
    [(key, _text, status, _lang)] = await stored(engine)
    assert status == ContributionStatus.filed and key == choice.buttons[1].data.rsplit(":", 1)[1]


async def test_edit_updates_the_contribution_and_keeps_the_earlier_text(engine, platform, user):
    boss = await organiser(engine, user)
    john = await subscribed(engine, user, "john", "en")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    await engine.handle_message(john.message("Q1: first thought", message_id="m1"))
    await engine.handle_message(john.message("Q1: second, better thought", message_id="m1", edited=True))
    [(key, text, _status, _lang)] = await stored(engine)
    assert (key, text) == ("1.1", "second, better thought")
    async with engine.sessions() as session:
        assert await session.scalar(select(MessageRevision.text)) == "Q1: first thought"
        assert await session.scalar(select(func.count(Message.id))) == 1
