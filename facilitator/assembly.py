"""Where the parts meet: the one command table, the engine, the adapters
`facilitator run` starts (every platform whose token is set, and the console
when none is) and the scheduler, put together."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import conversation, privacy
from bot.conversation.engine import Engine, utc_now
from bot.handling.command import ButtonHandler, Command
from bot.ports import ChatPlatform, RunnablePlatform
from bot.reports import commands as report_commands
from facilitator.settings import Settings
from schedules import commands as schedule_commands
from schedules.scheduler import Scheduler

# Every chat command, in the order /help and the platforms' menus list them.
COMMANDS: tuple[Command, ...] = conversation.COMMANDS + privacy.COMMANDS + report_commands.COMMANDS + schedule_commands.COMMANDS
BUTTON_HANDLERS: tuple[ButtonHandler, ...] = conversation.BUTTON_HANDLERS + privacy.BUTTON_HANDLERS


def make_engine(
    sessions: async_sessionmaker[AsyncSession],
    platforms: Iterable[ChatPlatform] = (),
    clock: Callable[[], dt.datetime] = utc_now,
) -> Engine:
    return Engine(sessions, platforms, clock, commands=COMMANDS, button_handlers=BUTTON_HANDLERS)


def configured_platforms(settings: Settings) -> list[RunnablePlatform]:
    platforms: list[RunnablePlatform] = []
    if settings.telegram_token:
        from adapters.telegram import TelegramChat, Webhook

        webhook = (
            Webhook(settings.telegram_webhook_url, settings.telegram_webhook_listen, settings.telegram_webhook_secret)
            if settings.telegram_webhook_url
            else None
        )
        platforms.append(TelegramChat(settings.telegram_token, settings.telegram_api_url, webhook=webhook))
    if settings.discord_token:
        from adapters.discord import DiscordChat

        platforms.append(DiscordChat(settings.discord_token, organiser_role=settings.discord_organiser_role))
    if not platforms:
        from adapters.console import ConsoleChat

        platforms.append(ConsoleChat(sys.stdin.buffer, sys.stdout, language_code=_terminal_language()))
    return platforms


async def serve(engine: Engine, platforms: list[RunnablePlatform], database: AsyncEngine, grace: dt.timedelta) -> None:
    """The engine, its platforms and the scheduler in one event loop, until
    the platforms stop (the console at the end of input) or are cancelled."""
    for platform in platforms:
        engine.attach(platform)
    watcher = asyncio.create_task(engine.watch())
    scheduler = Scheduler(engine, database, grace=grace)
    await scheduler.start()
    try:
        await asyncio.gather(*(platform.serve(engine) for platform in platforms))
    finally:
        await scheduler.stop()
        watcher.cancel()
        await engine.drain()


def _terminal_language() -> str | None:
    value = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    code = value.split(".", 1)[0]
    return code if code and code not in ("C", "POSIX") else None
