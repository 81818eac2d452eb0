"""A platform that cannot be reached when the bot starts: one line, no
traceback, and the bot keeps trying until it is reached."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys

import pytest

from adapters.telegram import Limits, TelegramChat
from bot.ports import Secret
from bot.storage.database import session_factory
from facilitator.assembly import keep_serving, make_engine
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import ctrl_c_acted_on

TOKEN = "6234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_telegram_unreachable_at_start_is_one_line_and_is_reached_later(database, small, caplog):
    caplog.set_level(logging.INFO)
    port = free_port()  # nothing listens there yet
    engine = make_engine(session_factory(database))
    await engine.load(small)
    adapter = TelegramChat(Secret(TOKEN), f"http://127.0.0.1:{port}/bot", limits=Limits().scaled(50), poll_timeout=1, first_backoff=0.05)
    engine.attach(adapter)
    serving = asyncio.create_task(keep_serving(adapter, engine, first_wait=0.05, longest_wait=0.2))
    api = None
    try:
        for _ in range(200):
            if sum("telegram cannot be reached" in r.getMessage() for r in caplog.records) >= 3:
                break
            await asyncio.sleep(0.05)
        api = await FakeTelegram(TOKEN).start(port)
        api.handled = adapter.idle
        await asyncio.wait_for(adapter.receiving.wait(), 20)
        ana = api.private_user(5000000004, "Ana", "es")
        await ana.says("/start")
        assert "Pequeña discusión" in api.texts(ana.id)[0], "the bot works once Telegram answers"
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await engine.drain()
        if api is not None:
            await api.stop()
    tried = [r for r in caplog.records if "telegram cannot be reached" in r.getMessage()]
    assert len(tried) >= 3, "it kept trying"
    shown = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in shown] == [
        "telegram cannot be reached (NetworkError: aiohttp.ClientConnectorError); trying again, every 0 s at most"
    ]
    assert not any(r.exc_info for r in caplog.records), "no traceback"
    assert TOKEN not in caplog.text


def test_the_newcomer_sees_one_line_and_the_bot_stays_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    env.update(FACILITATOR_TELEGRAM_TOKEN=TOKEN, FACILITATOR_TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}/bot")
    env["PYTHONFAULTHANDLER"] = "1"  # a bot stuck on stopping shows where, on the SIGABRT below
    bot = subprocess.Popen(
        [sys.executable, "-m", "facilitator", "run"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        preexec_fn=ctrl_c_acted_on,
    )
    lines = []
    while not any("telegram cannot be reached" in line for line in lines):
        line = bot.stderr.readline().decode()
        assert line, f"the bot stopped: {lines}"
        lines.append(line)
    assert bot.poll() is None, "still running, trying again"
    bot.send_signal(signal.SIGINT)
    try:
        _out, rest = bot.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        bot.send_signal(signal.SIGABRT)
        pytest.fail("still running a minute after Ctrl-C:\n" + bot.communicate()[1].decode()[-4000:])
    lines += rest.decode().splitlines()
    assert "Traceback" not in "".join(lines)
    assert sum("WARNING" in line or "ERROR" in line for line in lines) == 2, lines  # the past dates, and Telegram


async def test_discord_unreachable_at_start_is_tried_again_until_it_logs_in(engine, monkeypatch, caplog):
    import discord

    from adapters.discord import DiscordChat
    from tests.fakes.discord_server import FakeDiscord

    caplog.set_level(logging.INFO)
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{free_port()}/api/v10")  # nothing listens there
    chat = DiscordChat(Secret("MTEwMDAwMDAwMDAwMDAwMDA5OQ.GhXyZw.s3cr3t-b0t-t0ken-n3v3r-l0gg3d"))
    engine.attach(chat)
    serving = asyncio.create_task(keep_serving(chat, engine, first_wait=0.05, longest_wait=0.2))
    server = FakeDiscord()
    try:
        for _ in range(200):
            if sum("discord cannot be reached" in r.getMessage() for r in caplog.records) >= 2:
                break
            await asyncio.sleep(0.05)
        monkeypatch.setattr(discord.http.Route, "BASE", await server.start())
        for _ in range(200):
            if chat.client.user is not None:
                break
            await asyncio.sleep(0.05)
        assert chat.client.user is not None, "logged in once Discord answers"
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        await chat.client.close()
        await server.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("facilitator")]
    assert len(warnings) == 1 and warnings[0].startswith("discord cannot be reached (ClientConnectorError"), warnings
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("facilitator"))
