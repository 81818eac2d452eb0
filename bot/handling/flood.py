"""Per-sender flood control. Someone who sends faster than a person writes (a
script, a long text pasted in pieces, a stuck key) is told once to slow down;
everything they send is still handled and recorded, so nothing is lost. That
they do not hold up other chats is the adapters' part: each chat's updates in
order, different chats side by side (Telegram's `_InOrderPerChat`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.ports import Person

MESSAGES_A_MINUTE = 20  # three times what the fastest typist in a chat sends
WINDOW = dt.timedelta(minutes=1)
SENDERS_KEPT = 10_000  # beyond, the windows already over are forgotten


@dataclass
class _Window:
    started: dt.datetime
    updates: int = 0
    told: bool = False


class FloodWatch:
    """Each sender's updates counted in windows of a minute (in the engine's clock)."""

    def __init__(self, limit: int = MESSAGES_A_MINUTE, window: dt.timedelta = WINDOW):
        self.limit, self.window = limit, window
        self._windows: dict[tuple[str, str], _Window] = {}

    def to_be_told(self, sender: Person, now: dt.datetime) -> bool:
        """Count one more update of the sender's; True for the first one past the limit in its window."""
        key = (sender.platform, sender.user_id)
        window = self._windows.get(key)
        if window is None or now - window.started >= self.window:
            if len(self._windows) >= SENDERS_KEPT:
                self._windows = {k: w for k, w in self._windows.items() if now - w.started < self.window}
            window = self._windows[key] = _Window(now)
        window.updates += 1
        if window.updates > self.limit and not window.told:
            window.told = True
            return True
        return False
