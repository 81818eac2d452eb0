"""Slash commands built from the engine's command menu, their names and
descriptions shown in each person's Discord language.

A slash command reaches the engine as the text "/name argument", under its
English name whatever the language it was typed in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation, locale_str

from bot.i18n import catalog_languages, negotiate, translations
from bot.ports import MenuEntry

Relay = Callable[[discord.Interaction, str, str | None], Awaitable[None]]

# msgctxt of the localized command and parameter names in the discord catalogs:
# a name ("aide") is not a sentence ("what you can do"), and must follow
# Discord's rules (lower case, no spaces, at most 32 characters).
NAME_CONTEXT = "discord command name"
ARGUMENT = "value"  # the one optional parameter of commands that take an argument


class CatalogTranslator(app_commands.Translator):
    """discord.py asks for every string in every Discord locale when the
    commands are synced; the answer comes from the product's catalogs
    (descriptions from the catalog of the part that defines the command,
    names from the discord part's)."""

    def __init__(self, languages: list[str] | None = None):
        self.languages = languages or catalog_languages()

    async def translate(self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes) -> str | None:
        language = negotiate(locale.value, self.languages)
        if language is None:
            return None
        catalog = translations(language)
        if context.location in (TranslationContextLocation.command_name, TranslationContextLocation.parameter_name):
            translated = catalog.pgettext(NAME_CONTEXT, string.message)
        elif context.location == TranslationContextLocation.command_description:
            translated = catalog.gettext(string.message)
        else:
            return None
        return translated if translated != string.message else None


def slash_command(command: MenuEntry, relay: Relay) -> app_commands.Command:
    if command.arguments:

        async def run(interaction: discord.Interaction, value: str | None = None) -> None:
            await relay(interaction, command.name, value)

        run = app_commands.rename(value=locale_str(ARGUMENT))(run)
        # Free text, described by the engine's usage ("N", "fr|en|es", "2d|12h"), and
        # optional: without it, the engine asks or explains.
        run = app_commands.describe(value=command.arguments)(run)
    else:

        async def run(interaction: discord.Interaction) -> None:  # type: ignore[misc]  # the other variant takes the argument
            await relay(interaction, command.name, None)

    return app_commands.Command(name=locale_str(command.name), description=locale_str(command.description), callback=run)


def add_commands(tree: app_commands.CommandTree, menu: tuple[MenuEntry, ...], relay: Relay) -> None:
    for command in menu:
        tree.add_command(slash_command(command, relay))


async def menu_digest(tree: app_commands.CommandTree) -> str:
    """A fingerprint of the commands as `tree.sync()` sends them (names,
    descriptions and their translations): unchanged, nothing needs syncing."""
    translator = tree.translator
    commands = tree.get_commands()
    payload = [await command.get_translated_payload(tree, translator) if translator else command.to_dict(tree) for command in commands]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
