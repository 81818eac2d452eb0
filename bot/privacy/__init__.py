"""Participants' personal data: what is stored about a person (/mydata),
forgetting them (/forget), and hiding contributions from reports (/hide)."""

from bot.handling.command import ButtonHandler, Command
from bot.privacy import hiding, personal_data

COMMANDS: tuple[Command, ...] = personal_data.COMMANDS + hiding.COMMANDS
BUTTON_HANDLERS: tuple[ButtonHandler, ...] = (personal_data.handle_button,)
