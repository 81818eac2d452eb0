"""What a chat command is. Each part of the product defines its own commands
(`bot.commands`, `bot.personal_data`, `bot.schedule_commands`); `bot.commands`
gathers them into the one table every platform reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.turn import Turn


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return message


Handler = Callable[["Engine", "Turn", list[str]], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # msgid, translated where shown
    handler: Handler
    organiser_only: bool = False
    arguments: str = ""  # shown in /help, e.g. "N"
