"""An engine message's buttons as Discord components, and a press back as the
`Button.data` it carries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import discord

from bot.ports import Button

# More choices than this, or longer labels, read better as a select menu: the
# "which question does this answer?" clarifications, whose labels quote the
# questions, likeliest first.
MOST_BUTTONS = 3
LONGEST_BUTTON_LABEL = 40
SELECT_ID = "facilitator:choice"  # the select menu's own id; each option's value is a `Button.data`
# Discord's limits.
BUTTON_LABEL_LIMIT = 80
OPTION_LABEL_LIMIT = 100
OPTION_LIMIT = 25


class Choices(discord.ui.View):
    def __init__(self, buttons: Sequence[Button]):
        super().__init__(timeout=None)
        if len(buttons) > MOST_BUTTONS or any(len(button.label) > LONGEST_BUTTON_LABEL for button in buttons):
            options = [
                discord.SelectOption(label=button.label[:OPTION_LABEL_LIMIT], value=button.data) for button in buttons[:OPTION_LIMIT]
            ]
            self.add_item(discord.ui.Select(custom_id=SELECT_ID, options=options))
        else:
            for button in buttons:
                self.add_item(discord.ui.Button(label=button.label[:BUTTON_LABEL_LIMIT], custom_id=button.data))

    def is_dispatchable(self) -> bool:
        # Presses are read in `on_interaction` from the custom id or the chosen
        # value alone, which keeps them working after a restart; so discord.py's
        # in-memory view store must not keep (and time out) every view sent.
        return False


def pressed(interaction: discord.Interaction) -> str | None:
    """The `Button.data` of the button pressed or the option chosen."""
    data: Mapping[str, Any] = interaction.data or {}
    values = data.get("values")
    if values:
        return values[0]
    return data.get("custom_id")
