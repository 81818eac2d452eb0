"""Unsubscribing: every mail the bot sends carries List-Unsubscribe (RFC
2369), one-click (RFC 8058) where the web runs; the one-click POST, a mail
to the unsubscribe address or the word in a reply stop all mail: the
rounds', reminders, wrap-ups."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import select

from adapters.web.app import make_app
from bot.ports import Secret
from bot.storage.models import Participant, Role, Venue
from tests.adapters.email.conftest import ADDRESS, MailBot
from tests.adapters.email.servers import plain_text
from tests.adapters.email.test_adapter import ANA, HOWARD, addressing
from tests.fakes.simulated_scheduler import run_until

WEB = "http://127.0.0.1:8080"
END = dt.datetime(2013, 9, 1, tzinfo=dt.UTC)  # after the example's last round and its wrap-up


@pytest.fixture
async def webbed(database, clock, dovecot, relay, example):
    """The bot by mail, with the web's pages configured (the one-click address is there)."""
    bot = MailBot(database, clock, dovecot, relay, web_url=WEB)
    await bot.engine.load(example)
    await bot.start()
    app = make_app(bot.engine, Secret("test-session-secret"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield bot, client
    await bot.stop()


async def local_authority_staff(bot: MailBot, *addresses: str) -> None:
    """Subscribed by mail, as staff who get reminders."""
    for address in addresses:
        await bot.join(address, "en")
    async with bot.engine.sessions() as session:
        for participant in await session.scalars(select(Participant)):
            participant.role = Role.local_authority
        await session.commit()


def one_click(mail) -> str:
    return re.search(r"<(https://[^>]+|http://[^>]+)>", mail["List-Unsubscribe"]).group(1)


async def unreachable(bot: MailBot, address: str) -> bool:
    async with bot.engine.sessions() as session:
        return await session.scalar(select(Venue.unreachable).where(Venue.chat_id == address))


async def test_every_mail_carries_list_unsubscribe_by_mail_and_without_the_web_no_one_click(mailbot):
    await mailbot.join(ANA, "es")
    await mailbot.open_round(1)

    mails = mailbot.relay.to(ANA)
    assert len(mails) >= 3  # the welcome, the prompts, the round's mail
    for mail in mails:
        assert mail["List-Unsubscribe"].strip() == f"<mailto:{addressing.reply_address(ANA, 'unsubscribe')}?subject=unsubscribe>"
        assert mail["List-Unsubscribe-Post"] is None  # RFC 8058's one-click needs an https address


async def test_the_one_click_post_stops_all_mail_rounds_reminders_and_wrap_ups(webbed, clock):
    bot, web = webbed
    await local_authority_staff(bot, ANA, HOWARD)
    [welcome, *_prompts] = bot.relay.to(ANA)
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    address = one_click(welcome).removeprefix(WEB)
    assert address.startswith("/unsubscribe/email/") and ANA not in address

    assert (await web.get(address)).status_code == 405  # a link scanner's GET changes nothing
    assert (await web.post(address[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"})).status_code == 404  # not signed by us
    assert not await unreachable(bot, ANA)
    assert (await web.post(address, data={"List-Unsubscribe": "One-Click"})).status_code == 200
    assert await unreachable(bot, ANA)
    bot.relay.clear()

    await run_until(bot.engine, clock, END)

    assert bot.relay.to(ANA) == []
    subjects = [mail["Subject"] for mail in bot.relay.to(HOWARD)]  # the other gets them all
    assert [subject.split(" · ")[0] for subject in subjects if " · " in subject] == ["Round 2", "Round 3", "Round 4"]
    assert sum(subject.startswith("Reminder: round") for subject in subjects) == 6
    assert sum(subject.endswith("is closed. Thank you!") for subject in subjects) == 3  # the wrap-ups


async def test_a_mail_to_the_unsubscribe_address_stops_all_mail(mailbot):
    await mailbot.join(ANA, "es")
    # What a mail client's unsubscribe button sends: to the header's address, whatever its body.
    unsubscribe = (
        f"From: {ANA}\r\nTo: {addressing.reply_address(ANA, 'unsubscribe')}\r\nSubject: unsubscribe\r\n"
        "Message-ID: <unsub-button@municipio.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSent from Mail for Windows\r\n"
    ).encode()

    await mailbot.receive(unsubscribe)
    mailbot.relay.clear()
    await mailbot.open_round(1)

    assert await unreachable(mailbot, ANA)
    assert mailbot.relay.to(ANA) == []


async def test_unsubscribing_in_french_in_a_reply_stops_all_mail(mailbot):
    await mailbot.join(HOWARD, "fr")
    reply = (
        f"From: {HOWARD}\r\nTo: {addressing.reply_address(HOWARD)}\r\nSubject: Re: Bienvenue\r\n"
        "Message-ID: <desabonner@metropolis.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSe désabonner\r\n\r\n"
        f"Le lun. 8 juil. 2013, {ADDRESS} a écrit :\r\n> Bienvenue\r\n"
    ).encode()

    await mailbot.receive(reply)

    assert "ne recevrez plus" in plain_text(mailbot.relay.to(HOWARD)[-1])
    mailbot.relay.clear()
    await mailbot.open_round(1)
    assert mailbot.relay.to(HOWARD) == []


async def test_someone_elses_unsubscribe_address_unsubscribes_nobody(mailbot):
    await mailbot.join(ANA, "es")
    forged = (
        f"From: {HOWARD}\r\nTo: {addressing.reply_address(ANA, 'unsubscribe')}\r\nSubject: unsubscribe\r\n"
        "Message-ID: <not-hers@metropolis.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode()

    await mailbot.receive(forged)

    assert not await unreachable(mailbot, ANA)
