"""Chat commands, for participants and organisers, on every platform.

Each part of the product defines its commands (`participants`, `organisers`
here; `bot.privacy`, `bot.reports.commands`, `schedules.commands`);
`facilitator.assembly` puts them into one table, which the engine lends each
turn. Platforms with their own command UI (Telegram's menu, Discord's slash
commands) build their lists from it; every platform hands the command to
`handle` as the text "/name arguments".
"""

from __future__ import annotations

from bot.conversation import filing
from bot.conversation.commands import organisers, participants
from bot.handling.command import Command
from bot.handling.turn import Turn
from bot.i18n import _

COMMANDS: tuple[Command, ...] = participants.COMMANDS + filing.COMMANDS + organisers.COMMANDS


async def handle(turn: Turn, text: str) -> None:
    """Run "/name args…" ("/name@botname" as Telegram groups write it)."""
    head, *args = text.split()
    name = head[1:].split("@", 1)[0].lower()
    command = next((c for c in turn.commands if c.name == name), None)
    if command is None:
        turn.reply(_("I do not know the command /{name}. Send /help to see what you can do.").format(name=name[:40]))
        return
    await turn.load_entities()  # a command changes something, or hands the entities on
    if command.organiser_only:
        if turn.discussion is None:
            turn.reply(_("No discussion is running here yet."))
            return
        if not await turn.is_organiser():
            turn.reply(_("Only the organisers of this discussion can use /{name}.").format(name=name), private=True)
            return
    await command.handler(turn, args)
