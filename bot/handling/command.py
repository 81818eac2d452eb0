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


LARGEST_ID = 2**31 - 1  # the database's integer ids (32-bit on SQLite and PostgreSQL alike)


def typed_id(text: str) -> int | None:
    """A row's id as typed in a command or carried by a button: ASCII digits
    within the database's integers; else None, for a usage answer."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(LARGEST_ID))):
        return None
    number = int(text)
    return number if number <= LARGEST_ID else None


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
