"""Chat commands, for participants and organisers, on every platform.

Each part of the product defines its commands (`participants`, `organisers`
here; `bot.privacy`, `bot.reports.commands`, `schedules.commands`);
`facilitator.assembly` puts them into one table, which the engine lends each
turn. Platforms with their own command UI (Telegram's menu, Discord's slash
commands) build their lists from it; every platform hands the command to
`handle` as the text "/name arguments".
"""

from __future__ import annotations

import difflib

from bot.conversation import filing
from bot.conversation.commands import organisers, participants
from bot.handling.command import Command
from bot.handling.turn import Turn
from bot.i18n import _
from bot.linking.text import fold

# A mistyped command's nearest: difflib's ratio ("/export" is /report at 0.83, "/statut" /status;
# "/aide" is no /hide at 0.75), or the one command a name begins (from MIN_BEGUN letters).
NEAREST_COMMAND_CUTOFF = 0.8
MIN_BEGUN = 3
COMMANDS: tuple[Command, ...] = participants.COMMANDS + filing.COMMANDS + organisers.COMMANDS
# What participants type in their own language for a participant's command: run as that command.
OTHER_NAMES = {
    **dict.fromkeys(("aide", "ayuda", "ajuda", "aiuto", "hilfe"), "help"),
    **dict.fromkeys(("langue", "idioma", "lengua", "lingua", "sprache"), "language"),
    **dict.fromkeys(("preguntas", "perguntas", "domande"), "questions"),
    **dict.fromkeys(("profil", "perfil", "profilo"), "profile"),
    **dict.fromkeys(("rappels", "recordatorios", "lembretes", "promemoria"), "reminders"),
    **dict.fromkeys(("passer", "saltar", "pular", "salta"), "skip"),
}
# Ways to ask to leave, which no one command does: what each of the two commands that do it does is said.
LEAVING = frozenset(
    ("stop", "unsubscribe", "leave", "quit", "arret", "arreter", "desabonner", "desinscrire", "baja", "salir", "parar", "sair")
)


async def handle(turn: Turn, text: str) -> None:
    """Run "/name args…" ("/name@botname" as Telegram groups write it)."""
    head, *args = text.split()
    name = head[1:].split("@", 1)[0].lower()
    command = next((c for c in turn.commands if c.name == OTHER_NAMES.get(name, name)), None)
    await turn.load_entities()  # a command changes something, or hands the entities on
    if command is None and fold(name) in LEAVING:
        turn.reply(
            _("To stop the reminders, send /reminders off. To leave the discussion and delete everything stored about you, send /forget.")
        )
        return
    if command is None:
        nearest = await _nearest_command(turn, name)
        turn.reply(
            _("I do not know the command /{name}. Did you mean /{nearest}? Send /help to see what you can do.").format(
                name=name[:40], nearest=nearest
            )
            if nearest
            else _("I do not know the command /{name}. Send /help to see what you can do.").format(name=name[:40])
        )
        return
    if command.organiser_only:
        if turn.discussion is None:
            turn.reply(_("No discussion is running here yet."))
            return
        if not await turn.is_organiser():
            turn.reply(_("Only the organisers of this discussion can use /{name}.").format(name=name), private=True)
            return
    await command.handler(turn, args)


async def _nearest_command(turn: Turn, name: str) -> str | None:
    """The command the sender may use whose name is closest to a mistyped one ("/export": /report)."""
    organiser = turn.discussion is not None and await turn.is_organiser()
    allowed = [c.name for c in turn.commands if organiser or not c.organiser_only]
    begun = [command for command in allowed if len(name) >= MIN_BEGUN and command.startswith(name)]  # "/lang", "/extend"
    if len(begun) == 1:
        return begun[0]
    return next(iter(difflib.get_close_matches(name, allowed, n=1, cutoff=NEAREST_COMMAND_CUTOFF)), None)
