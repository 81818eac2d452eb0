"""Babel extractors for what a translator must translate but the code does
not spell out as a marked sentence.

The Discord part's catalogs hold each chat command's slash name ("start" →
"rejoindre"). Those names come from the command table assembled here, so
the extractor lives here too, and `adapters/discord/babel.cfg` names it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

from babel.messages.extract import extract_python

from adapters.discord.slash import ARGUMENT, NAME_CONTEXT
from facilitator.assembly import COMMANDS


def extract_discord_command_names(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Any
) -> Iterator[tuple[Any, ...]]:
    """The file's own marked sentences, then every command's name and the
    parameter's name, each under the Discord name context."""
    yield from extract_python(fileobj, keywords, comment_tags, options)
    for name in [command.name for command in COMMANDS] + [ARGUMENT]:
        yield 0, "pgettext", [NAME_CONTEXT, name], []
