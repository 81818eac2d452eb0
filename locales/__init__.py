"""Gettext catalogs, compiled in memory at start (see `bot.i18n`).

Each part of the product keeps its sentences in its own gettext domain,
`<language>/LC_MESSAGES/<domain>.po`; all of a language's catalogs are merged
when loaded. English is the source language: its catalogs exist so that
plural forms and wording can be reviewed, and a missing English string falls
back to its msgid. The README gives the commands that refresh a part's
catalogs.
"""

from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parent
DOMAIN = "facilitator"

# Gettext domain → the folder whose sentences it holds. A part with a
# babel.cfg of its own (Discord: its slash command names) is extracted with it.
PARTS: dict[str, str] = {
    "conversation": "bot/conversation",
    "privacy": "bot/privacy",
    "reports": "bot/reports",
    "schedules": "schedules",
    "telegram": "adapters/telegram",
    "discord": "adapters/discord",
    "web": "adapters/web",
    "console": "adapters/console",
    "email": "adapters/email",
}
