"""Fetching and handling Telegram updates: held before they are confirmed,
handled chat by chat with the chats taking turns (a backlog waiting at
Telegram fetched before new turns start), and what a crash left held
handled once at the next start."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from bot.ports import HeldUpdate
from bot.storage.models import Contribution, InboundUpdate
from tests.adapters.telegram import test_adapter
from tests.adapters.telegram.test_adapter import Bot, opened
from tests.helpers import stored_contributions

api = test_adapter.api  # the fake Bot API, the adapter tests' fixture
telegram = test_adapter.telegram

BACKLOG = 400  # four full getUpdates (100 each) ahead of the quiet message


async def held_rows(bot: Bot) -> int:
    async with bot.engine.sessions() as session:
        return await session.scalar(select(func.count(InboundUpdate.id)))


async def test_a_quiet_message_behind_a_backlog_at_telegram_is_handled_before_the_backlog(telegram, api):
    flooder, quiet = api.private_user(5000000003, "Flo", "en"), api.private_user(5000000004, "Quinn", "en")
    await opened(telegram, api, flooder, quiet)
    senders: list[str] = []
    real_handle = telegram.engine.handle_message

    async def recording_handle(message):
        senders.append(message.sender.user_id)
        await real_handle(message)

    telegram.engine.handle_message = recording_handle
    api.handled = None
    for n in range(BACKLOG):  # all at the server at once, ahead of the quiet person's answer
        update = flooder._message("private_reply_to_question", None, text=f"Q1: flood answer number {n}.")
        update["update_id"] = next(api._update_ids)
        api._pending.append(update)
    await quiet.says("Q2: our quiet answer.")
    await asyncio.wait_for(telegram.adapter.idle(), 120)
    flood_first = senders.index(str(quiet.id))
    # The flood's first update and the quiet one start their turns together, once the backlog is fetched.
    assert flood_first <= 1, f"{flood_first} of the backlog were handled before the quiet answer"
    assert "1.2" in api.texts(quiet.id)[-1]
    assert senders.count(str(flooder.id)) == BACKLOG
    texts = sorted(text for (text,) in await stored_contributions(telegram.engine.sessions, Contribution.text))
    assert texts == sorted([*(f"flood answer number {n}." for n in range(BACKLOG)), "our quiet answer."]), "each once"


async def test_a_chats_updates_are_handled_in_the_order_they_came(telegram, api):
    flooder, other = api.private_user(5000000003, "Flo", "en"), api.private_user(5000000004, "Quinn", "en")
    await opened(telegram, api, flooder, other)
    order: list[str] = []
    real_handle = telegram.engine.handle_message

    async def recording_handle(message):
        if message.sender.user_id == str(flooder.id):
            order.append(message.text)
        await real_handle(message)

    telegram.engine.handle_message = recording_handle
    api.handled = None
    texts = [f"Q1: answer number {n}." for n in range(40)]
    for text in texts:
        for person in (flooder, other):
            update = person._message("private_reply_to_question", None, text=text)
            update["update_id"] = next(api._update_ids)
            api._pending.append(update)
    async with api._arrived:
        api._arrived.notify_all()
    await api.wait_sent(len(api.sent) + 80, timeout=60)
    await asyncio.wait_for(telegram.adapter.idle(), 60)
    assert order == texts


async def test_updates_held_when_the_process_died_are_handled_once_after_the_restart(database, api, clock, small):
    first = Bot(database, api, clock)
    await first.engine.load(small)
    await first.start()
    john = api.private_user(5000000003, "John", "en")
    await opened(first, api, john)
    await first.stop()
    # Fetched, held and confirmed, then the process died: Telegram will not hand them out again.
    updates = []
    for n in range(3):
        update = john._message("private_reply_to_question", None, text=f"Q1: held answer {n}.")
        update["update_id"] = next(api._update_ids)
        updates.append(update)
    await first.engine.hold("telegram", [HeldUpdate(str(john.id), str(u["update_id"]), json.dumps(u)) for u in updates])
    await api.redeliver(updates[2:])  # and the last one's confirmation never reached Telegram
    sent_before = len(api.to(john.id))

    second = Bot(database, api, clock)
    await second.start()
    try:
        await api.acknowledgement_of(updates[2])
        await asyncio.wait_for(second.adapter.idle(), 20)
        await second.adapter._releases.flush()
        assert await held_rows(second) == 0, "nothing kept of what John wrote once it is handled"
    finally:
        await second.stop()
    stored = [text for (text,) in await stored_contributions(second.engine.sessions, Contribution.text)]
    assert sorted(stored) == [f"held answer {n}." for n in range(3)], "each once"
    acknowledgements = api.texts(john.id)[sent_before:]
    assert len(acknowledgements) == 3 and all("1.1" in text for text in acknowledgements)
