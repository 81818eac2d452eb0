"""Button data: what a press brings back, written and read here for every
part, so that its format lives in one place.

Data is a kind and its values joined by ":" ("file:12:1.3", "lang:fr",
"skip"). It must stay short: Telegram carries at most 64 bytes of it, and the
engine answers longer data as an expired button before any handler reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = ":"


def button_data(kind: str, *values: object) -> str:
    return SEPARATOR.join([kind, *(str(value) for value in values)])


@dataclass(frozen=True)
class Pressed:
    """A press's data read back: its kind, and its values in order."""

    kind: str
    values: tuple[str, ...] = ()

    def value(self, position: int = 0) -> str:
        """The value at `position`, or "" when the data has none there."""
        return self.values[position] if position < len(self.values) else ""


def read_button(data: str) -> Pressed:
    kind, *values = data.split(SEPARATOR)
    return Pressed(kind, tuple(values))
