"""A backlog waiting at Telegram is fetched before it is handled: a quiet
chat's message behind a flood takes its turn as soon as it is fetched, not
after the flood ahead of it."""

from __future__ import annotations

import asyncio

from bot.storage.models import Contribution
from tests.adapters.telegram import test_adapter
from tests.adapters.telegram.test_adapter import opened
from tests.helpers import stored_contributions

api = test_adapter.api  # the fake Bot API, the adapter tests' fixture
telegram = test_adapter.telegram

BACKLOG = 400  # four full getUpdates (100 each) ahead of the quiet message


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
