"""The Telegram adapter's edge, without a network: real update payloads to the
engine's events, text cut to Telegram's limit, and the pacer's windows."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, Update

from adapters.telegram.inbound import button_press, incoming_message, inline_keyboard, split_text, telegram_length
from adapters.telegram.pacing import Limits, Pacer
from bot.ports import Button, ChatKind
from tests.fakes.telegram_api import payload

BOT_USERNAME = "facilitator_m4d_bot"


def update(name: str) -> Update:
    return Update.de_json(payload(name), Bot("123:abc"))


def message_of(name: str, edited: bool = False):
    received = update(name)
    return incoming_message(received.edited_message if edited else received.message, BOT_USERNAME, edited=edited)


def test_deep_link_start_is_the_start_command_with_the_discussion():
    event = message_of("private_start_deep_link")
    assert event.text == "/start m4d-2013"
    assert (event.chat.chat_id, event.chat.kind) == ("5012345671", ChatKind.private)
    assert (event.sender.user_id, event.sender.display_name, event.sender.language_code) == ("5012345671", "Marie Dupont", "fr")


def test_a_reply_names_the_message_it_replies_to():
    event = message_of("private_reply_to_question")
    assert event.reply_to == "9" and event.thread_id is None
    assert event.text == "Par des jumelages entre communes & <b>associations</b> de migrants."


def test_a_message_in_a_forum_topic_is_in_that_thread_and_replies_to_nothing():
    event = message_of("forum_topic_message")
    assert event.thread_id == "42" and event.reply_to is None
    assert event.chat.kind == ChatKind.group


def test_outside_forums_the_thread_id_is_a_reply_chain_not_a_topic():
    event = message_of("group_reply_thread")
    assert event.thread_id is None and event.reply_to == "305"


def test_an_edit_keeps_the_message_id():
    event = message_of("edited_message", edited=True)
    assert event.edited and event.message_id == "14"


def test_attachments_without_caption_are_attachment_only_and_a_caption_is_text():
    assert message_of("sticker").attachment_only
    assert message_of("voice").attachment_only
    photo = message_of("photo_with_caption")
    assert not photo.attachment_only and photo.text == "Q2: notre plan communal, page 3."


def test_what_the_engine_does_not_see():
    assert message_of("group_command_for_other_bot") is None
    assert message_of("new_members_service") is None
    # Not a person of the discussion: a linked channel's post forwarded into its group,
    # and a message posted in the name of a channel (everyone doing so shares one user).
    assert message_of("automatic_forward") is None
    assert message_of("posted_as_channel") is None


def test_a_button_press():
    press = button_press(update("callback_query").callback_query)
    assert (press.data, press.message_id, press.chat.chat_id, press.sender.language_code) == ("file:7:1.2", "21", "5012345672", "en")


def test_button_data_longer_than_telegram_allows_is_refused():
    assert inline_keyboard((Button("ok", "x" * 64),)) is not None
    with pytest.raises(ValueError):
        inline_keyboard((Button("too long", "é" * 33),))


def test_split_prefers_paragraphs_then_sentences_and_counts_like_telegram():
    paragraphs = ["A" * 3000, "B" * 3000, "C" * 100]
    assert split_text("\n\n".join(paragraphs)) == ["A" * 3000, "B" * 3000 + "\n\n" + "C" * 100]
    sentences = " ".join(["Une phrase assez longue pour compter." for _ in range(300)])
    parts = split_text(sentences)
    assert len(parts) == 3 and all(part.endswith(".") for part in parts)
    emoji = "🙂" * 3000  # two UTF-16 units each, as Telegram counts
    assert [telegram_length(part) for part in split_text(emoji)] == [4096, 1904]
    assert split_text("short") == ["short"]


async def test_the_pacer_keeps_every_window():
    released: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    pacer = Pacer(Limits(overall_per_second=200, private_chat=(1, 0.05), group=(3, 0.2)))

    async def send(chat: str) -> None:
        await pacer.turn(chat)
        released.append((chat, loop.time()))

    await asyncio.gather(*(send(chat) for chat in ["1", "2", "1", "-9", "-9", "-9", "-9", "1"] * 3))
    for chat, limit, period in (("1", 1, 0.05), ("-9", 3, 0.2)):
        times = [t for c, t in released if c == chat]
        assert all(later - earlier >= period - 0.002 for earlier, later in zip(times, times[limit:], strict=False))
    everything = [t for _c, t in released]
    # Spread evenly, 10 per 50 ms: a sender woken late keeps its slot, so two slots' 20 may come within one slot's time, never faster.
    assert all(later - earlier >= 0.05 - 0.002 for earlier, later in zip(everything, everything[20:], strict=False))


async def test_the_pace_reaches_telegrams_limit_when_every_sleep_wakes_late():
    now = [0.0]

    async def late_sleep(seconds: float) -> None:  # a loaded machine: every sleep wakes 5 ms late
        now[0] += seconds + 0.005
        await asyncio.sleep(0)

    pacer = Pacer(Limits(), clock=lambda: now[0], sleep=late_sleep)
    released: list[float] = []

    async def send(chat: str) -> None:
        await pacer.turn(chat)
        released.append(now[0])

    await asyncio.gather(*(send(str(5000000000 + n)) for n in range(301)))  # a question to 301 private chats
    assert released[-1] - released[0] <= 300 / 30 * 1.02, "the overshoots do not add up: 30 messages a second"
    assert all(later - earlier >= 1.0 for earlier, later in zip(released, released[30:], strict=False)), "never 31 in a second"


def test_the_token_setting_starts_the_telegram_adapter_in_the_mode_configured():
    from adapters.telegram import TelegramChat
    from facilitator.assembly import configured_platforms
    from facilitator.settings import Settings

    token = "6234567890:AAHsettingsTokenNeverShown"
    settings = Settings.from_environment(
        {
            "FACILITATOR_TELEGRAM_TOKEN": token,
            "FACILITATOR_TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/updates",
            "FACILITATOR_TELEGRAM_WEBHOOK_SECRET": "webhook-secret-value",
        }
    )
    [platform] = configured_platforms(settings)
    assert isinstance(platform, TelegramChat)
    assert platform.webhook.url == "https://bot.example.org/telegram/updates" and platform.webhook.listen == "127.0.0.1:8443"
    assert token not in repr(settings) and "webhook-secret-value" not in repr(settings)
    polling = Settings.from_environment({"FACILITATOR_TELEGRAM_TOKEN": token})
    assert configured_platforms(polling)[0].webhook is None
