"""The boundary between the engine and the chat platforms (hexagonal "port").

Every adapter (console, Telegram, Discord, the in-memory twin for tests)
implements `ChatPlatform`; the engine talks to platforms only through it.
"""

from __future__ import annotations

from typing import Protocol

from bot.events import OutgoingMessage, SentMessage


class RecipientUnreachable(Exception):
    """The platform refuses to deliver to this chat for good (bot blocked,
    account deleted, DMs closed): the engine stops sending there."""


class ChatPlatform(Protocol):
    name: str  # "console", "telegram", "discord": the `platform` of its events

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Deliver one message; retry transient failures (rate limits, network)
        itself; raise `RecipientUnreachable` for a permanent refusal."""
        ...
