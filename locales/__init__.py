"""Gettext catalogs, compiled in memory at start (see `bot.i18n`).

Each part of the product keeps its sentences in its own catalog,
`<language>/LC_MESSAGES/<part>.po` (core, telegram, discord, schedules,
reports); all of a language's catalogs are merged when loaded. English is the
source language: its catalogs exist so that plural forms and wording can be
reviewed, and a missing English string falls back to its msgid.

Refresh one part's catalogs after changing its sentences, e.g. the core:

    pybabel extract -F locales/babel.cfg -k N_ -o /tmp/core.pot bot
    for l in fr en es; do pybabel update -i /tmp/core.pot -d locales -D core -l $l; done
"""

from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parent
DOMAIN = "facilitator"
