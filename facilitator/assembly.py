"""Where the parts meet: the one command table, the engine, the adapters
`facilitator run` starts (every platform whose token is set, and the console
when none is) and the scheduler, put together."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import conversation, privacy
from bot.conversation.commands.web import web_commands
from bot.conversation.engine import Engine, utc_now
from bot.handling.command import ButtonHandler, Command
from bot.ports import ChatPlatform, Inbox, RunnablePlatform
from bot.reports import commands as report_commands
from facilitator.settings import Settings
from schedules import commands as schedule_commands
from schedules.scheduler import Scheduler

log = logging.getLogger(__name__)

# Every chat command, in the order /help and the platforms' menus list them.
COMMANDS: tuple[Command, ...] = conversation.COMMANDS + privacy.COMMANDS + report_commands.COMMANDS + schedule_commands.COMMANDS
BUTTON_HANDLERS: tuple[ButtonHandler, ...] = conversation.BUTTON_HANDLERS + privacy.BUTTON_HANDLERS


def make_engine(
    sessions: async_sessionmaker[AsyncSession],
    platforms: Iterable[ChatPlatform] = (),
    clock: Callable[[], dt.datetime] = utc_now,
    *,
    web_url: str = "",
) -> Engine:
    """`web_url`: the web pages' public address, when they are served (/web and /desk then exist)."""
    commands = COMMANDS + (web_commands(web_url) if web_url else ())
    return Engine(sessions, platforms, clock, commands=commands, button_handlers=BUTTON_HANDLERS)


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
    if settings.email is not None:
        from adapters.email import EmailChat

        platforms.append(EmailChat(settings.email))
    if not platforms:
        from adapters.console import ConsoleChat

        platforms.append(ConsoleChat(sys.stdin.buffer, sys.stdout, language_code=_terminal_language()))
    if settings.web_url:  # beside the chats, the console included
        from adapters.web import WebChat

        platforms.append(WebChat(settings.web_url, settings.web_listen, settings.web_secret or None))
    return platforms


async def serve(engine: Engine, platforms: list[RunnablePlatform], database: AsyncEngine, grace: dt.timedelta) -> None:
    """The engine, its platforms and the scheduler in one event loop, until
    the platforms stop (the console at the end of input) or are cancelled."""
    for platform in platforms:
        engine.attach(platform)
    watcher = asyncio.create_task(engine.watch())
    resending = asyncio.create_task(engine.resend_unsent())  # what the last run committed and never sent
    scheduler = Scheduler(engine, database, grace=grace)
    await scheduler.start()
    serving = asyncio.gather(*(keep_serving(platform, engine) for platform in platforms))
    try:
        await asyncio.shield(serving)
    finally:
        await scheduler.stop()
        watcher.cancel()
        resending.cancel()
        if not serving.done():
            # Stopped (Ctrl-C, SIGTERM): the posts under way end recorded as
            # delivered while the platforms still run, then the platforms stop.
            await engine.stop_posting()
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
        await engine.drain()


async def keep_serving(platform: RunnablePlatform, inbox: Inbox, first_wait: float = 5.0, longest_wait: float = 300.0) -> None:
    """`platform.serve`, started again when it fails (a platform unreachable
    at start, a network gone): one line says so, not a traceback, and the
    rest of the bot (the other platforms, the scheduler) goes on meanwhile."""
    wait, failures = first_wait, 0
    while True:
        try:
            await platform.serve(inbox)
            return
        except Exception as error:  # whatever the platform's library raises; CancelledError is not one
            failures += 1
            reason = f"{type(error).__name__}: {error}"[:200] if str(error) else type(error).__name__
            # The first failure is shown; the retries are logged (-v) until it is reached.
            (log.warning if failures == 1 else log.info)(
                "%s cannot be reached (%s); trying again, every %s s at most", platform.name, reason, int(longest_wait)
            )
        await asyncio.sleep(wait)
        wait = min(wait * 2, longest_wait)


def _terminal_language() -> str | None:
    value = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    code = value.split(".", 1)[0]
    return code if code and code not in ("C", "POSIX") else None
