"""The narrow face of the engine that the calendar, the reports and privacy
use: sessions, sending, the platforms running, the clock, and "post the
open rounds' missing questions now". `Engine` provides it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ports.events import OutgoingMessage, SentMessage


class Outbox(Protocol):
    sessions: async_sessionmaker[AsyncSession]

    @property
    def platform_names(self) -> Collection[str]:
        """The platforms running in this process: only their chats are sent to."""
        ...

    def clock(self) -> dt.datetime: ...

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Through the message's platform; `RecipientUnreachable` when none runs or it refuses for good."""
        ...

    def kick(self) -> None:
        """Post the open rounds' missing questions, in the background."""
        ...
