"""The conversation: the engine, and how it answers people (onboarding,
contributions, the participants' and organisers' chat commands)."""

from bot.conversation import contributions, filing, onboarding
from bot.conversation.commands import COMMANDS
from bot.handling.command import ButtonHandler

BUTTON_HANDLERS: tuple[ButtonHandler, ...] = (onboarding.handle_button, contributions.handle_button, filing.handle_button)

__all__ = ["BUTTON_HANDLERS", "COMMANDS"]
