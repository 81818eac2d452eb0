"""What a chat command is. Each part of the product defines its own commands
(`bot.conversation.commands`, `bot.privacy`, `bot.reports.commands`,
`schedules.commands`); `facilitator.assembly` gathers them into the one table
every platform reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.handling.turn import Turn
from bot.ports import MenuEntry


def N_(message: str) -> str:
    """Marks a string for translation where it is defined; it is translated where it is shown."""
    return message


Handler = Callable[[Turn, list[str]], Awaitable[None]]
# Says whether a button's data is its own (and then handles it).
ButtonHandler = Callable[[Turn, str], Awaitable[bool]]


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # msgid, translated where shown
    handler: Handler
    organiser_only: bool = False
    arguments: str = ""  # shown in /help, e.g. "N"

    @property
    def entry(self) -> MenuEntry:
        return MenuEntry(self.name, self.description, self.organiser_only, self.arguments)
