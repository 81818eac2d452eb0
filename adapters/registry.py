"""Which adapters `facilitator run` starts: every platform whose token is
set, and the console when none is."""

from __future__ import annotations

import os
import sys
from typing import Protocol

from bot.engine import Engine
from bot.ports import ChatPlatform
from facilitator.settings import Settings


class RunnablePlatform(ChatPlatform, Protocol):
    async def serve(self, engine: Engine) -> None:
        """Receive updates and hand them to the engine until stopped (or, for
        the console, until the end of input)."""
        ...


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


def _terminal_language() -> str | None:
    value = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    code = value.split(".", 1)[0]
    return code if code and code not in ("C", "POSIX") else None
