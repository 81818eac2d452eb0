"""A secret (a bot token, a password) that no log line, error message or
repr ever shows."""

from __future__ import annotations


class Secret:
    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)
