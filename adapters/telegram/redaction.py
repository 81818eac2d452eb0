"""Keeping the bot token (and the webhook secret) out of every log line.

The Bot API puts the token in every URL, and httpx logs each request's URL
(at INFO); python-telegram-bot's own objects print it in their repr. A filter
on the loggers of those libraries rewrites any record that contains a secret,
its traceback included, before any handler sees it.
"""

from __future__ import annotations

import logging

LIBRARY_LOGGERS = ("telegram", "httpx", "httpcore", "hpack", "aiohttp", "asyncio", "adapters.telegram")
REDACTED = "<redacted>"


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


_GUARD = RedactingFilter([])


def guard_library_logs(secrets: list[str]) -> None:
    """Keep `secrets` out of the logs of the libraries that talk to Telegram
    and of this adapter. One filter serves the whole process; it is put on
    every logger of those libraries (a logger's filters see only its own
    records). Call it before the bot is built: python-telegram-bot logs its
    URLs, token included, as it is constructed."""
    _GUARD.secrets.extend(s for s in secrets if s and s not in _GUARD.secrets)
    names = [
        name
        for name in list(logging.root.manager.loggerDict)
        if any(name == prefix or name.startswith(prefix + ".") for prefix in LIBRARY_LOGGERS)
    ]
    for name in set(names) | set(LIBRARY_LOGGERS):
        logging.getLogger(name).addFilter(_GUARD)  # a no-op where it is already


def redact(text: str) -> str:
    return _GUARD.redact(text)
