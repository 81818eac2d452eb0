"""Exactly once (issue 15): every reply is written to the outbox in the
transaction that decided it and sent after the commit, so a crash in between
loses none (the next start sends it); every update is recorded with its
effects, so one delivered again (Telegram's batch after a kill) changes
nothing and gets no second reply: profile steps, typed choices, button
presses and commands alike."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import select

from bot.conversation.engine import Engine
from bot.ports import OutgoingMessage, SentMessage
from bot.storage.models import Contribution, ContributionStatus, Discussion, OutboxMessage, Participant, Question
from facilitator.assembly import make_engine
from tests.fakes.memory_platform import MemoryPlatform
from tests.helpers import join, open_round, organiser, stored_contributions


@dataclasses.dataclass
class DyingPlatform(MemoryPlatform):
    """A platform whose process dies at its first send: the send never returns."""

    sending: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    async def send(self, message: OutgoingMessage) -> SentMessage:
        self.sending.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def killed_while_sending(engine: Engine, platform: DyingPlatform, handling) -> None:
    """Hand an update over and kill the handling as its first reply goes out (after the commit)."""
    platform.sending.clear()
    task = asyncio.ensure_future(handling)
    await asyncio.wait_for(platform.sending.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def outbox_rows(engine: Engine) -> list[OutboxMessage]:
    async with engine.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_every_reply_sent_keeps_its_message_id_and_no_copy_of_its_text(engine, platform, user):
    ana = await join(engine, user, "ana", "es")
    rows = await outbox_rows(engine)
    sent_ids = [sent.message_id for message, sent in platform.sent if message.chat.chat_id == ana.dm and not message.new_thread_title]
    assert rows and all(row.sent_at is not None for row in rows)
    assert [row.message_id for row in rows] == sent_ids[: len(rows)], "each row sent records the platform's id, in order"
    assert {row.text for row in rows} == {""}, "what a reply echoed is not kept twice"


async def test_replies_left_unsent_by_a_crash_are_sent_at_the_next_start_once(engine, platform, user, clock, database):
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    dying = DyingPlatform()
    crashing = make_engine(engine.sessions, [dying], clock=clock)
    acknowledged = john.message("Q1.2: Twinning with Dakar worked for us.")
    unsure = john.message("The radio programmes for the diaspora worked well.")
    await killed_while_sending(crashing, dying, crashing.handle_message(acknowledged))
    await killed_while_sending(crashing, dying, crashing.handle_message(unsure))
    assert [row.sent_at for row in await outbox_rows(engine) if row.sent_at is None] == [None, None], "stored, not sent"

    platform.clear()
    restarted = make_engine(engine.sessions, [platform], clock=clock)
    assert await restarted.send_unsent() == 0
    assert await restarted.send_unsent() == 0, "run again, it sends nothing more"
    texts = platform.texts(john.dm)
    assert len(texts) == 2
    assert texts[0].startswith("Thank you! Recorded under question 1.2")
    assert texts[1].startswith("Which question does this answer? «The radio programmes")
    # The ask sent after the restart is recorded with its message id: a question id replying to it files its text.
    ask_id = platform.message_id_of(john.dm, "Which question")
    await restarted.handle_message(john.message("1.4", reply_to=ask_id))
    rows = await stored_contributions(engine.sessions, Contribution.text, Question.key, Contribution.status)
    assert rows == [
        ("Twinning with Dakar worked for us.", "1.2", ContributionStatus.filed),
        ("The radio programmes for the diaspora worked well.", "1.4", ContributionStatus.filed),
    ]


async def test_a_chat_that_refuses_for_good_is_not_sent_to_again_at_the_next_start(engine, platform, user, clock):
    john = await join(engine, user, "john", "en")
    dying = DyingPlatform()
    crashing = make_engine(engine.sessions, [dying], clock=clock)
    await killed_while_sending(crashing, dying, crashing.handle_message(john.message("/help")))
    platform.clear()
    platform.unreachable.add(john.dm)
    restarted = make_engine(engine.sessions, [platform], clock=clock)
    assert await restarted.send_unsent() == 0
    platform.unreachable.clear()
    assert await restarted.send_unsent() == 0
    assert platform.texts(john.dm) == []
    help_row = (await outbox_rows(engine))[-1]
    assert help_row.given_up_at is not None and help_row.sent_at is None


async def test_a_profile_step_delivered_again_is_applied_once_and_answered_once(engine, platform, user):
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_button(ana.press("skip"))
    await engine.handle_button(ana.press("consent:anonymous"))
    name = ana.message("Ana Pérez")
    await engine.handle_message(name)
    platform.clear()
    await engine.handle_message(name)  # Telegram hands the batch over again after a kill
    assert platform.texts(ana.dm) == [], "no second reply"
    await engine.handle_message(ana.message("Ayuntamiento de Sevilla"))
    async with engine.sessions() as session:
        participant = await session.scalar(select(Participant))
    assert (participant.name, participant.organisation, participant.onboarding_step) == ("Ana Pérez", "Ayuntamiento de Sevilla", "country")


async def test_a_typed_choice_delivered_again_files_nothing_more(engine, platform, user):
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    await engine.handle_message(john.message("The radio programmes for the diaspora worked well."))
    await engine.handle_message(john.message("We also used WhatsApp groups."))
    choice = john.message("1.3")
    await engine.handle_message(choice)
    platform.clear()
    await engine.handle_message(choice)
    assert platform.texts(john.dm) == []
    rows = await stored_contributions(engine.sessions, Contribution.text, Question.key)
    assert rows == [("The radio programmes for the diaspora worked well.", None), ("We also used WhatsApp groups.", "1.3")]


async def test_a_button_press_delivered_again_changes_nothing(engine, platform, user):
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    press = dataclasses.replace(ana.press("lang:fr"), press_id="cb-1")
    await engine.handle_button(press)
    await engine.handle_button(dataclasses.replace(ana.press("lang:en"), press_id="cb-2"))
    platform.clear()
    await engine.handle_button(press)
    assert platform.texts(ana.dm) == []
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.language)) == "en", "the later press stands"


async def test_a_command_delivered_again_runs_once(engine, platform, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss)
    pause = boss.message("/pause")
    await engine.handle_message(pause)
    await engine.handle_message(boss.message("/resume"))
    platform.clear()
    await engine.handle_message(pause)
    assert platform.texts(boss.dm) == []
    async with engine.sessions() as session:
        assert await session.scalar(select(Discussion.paused)) is False


async def test_an_edit_delivered_again_is_applied_once_and_a_later_edit_still_is(engine, platform, user):
    boss = await organiser(engine, user)
    john = await join(engine, user, "john", "en")
    await open_round(engine, boss)
    first = john.message("Q1.2: Twinning with Dakar worked for us.")
    await engine.handle_message(first)
    edit = dataclasses.replace(first, text="Q1.2: Twinning with Dakar and Thiès worked.", edited=True, edit_version="1373277600")
    await engine.handle_message(edit)
    platform.clear()
    await engine.handle_message(edit)
    assert platform.texts(john.dm) == []
    # Edited back within the same second of the platform's clock: another edit, applied.
    await engine.handle_message(dataclasses.replace(first, edited=True, edit_version="1373277600"))
    assert platform.texts(john.dm)[-1].startswith("Your edit is saved under 1.2")
    rows = await stored_contributions(engine.sessions, Contribution.text)
    assert rows == [("Twinning with Dakar worked for us.",)]
