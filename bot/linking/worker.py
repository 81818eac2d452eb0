"""Linking a long text off the event loop (issues 12 and 15), so that other chats are answered meanwhile.

A worker thread still shares the interpreter with the loop: each time the loop wants it back,
it waits up to the switch interval (5 ms by default), so it was held 5 ms at worst on a quiet
machine while 16,000 characters were linked, and 10–30 ms on a loaded one. While a long text is
linked the interval is 1 ms: on a quiet machine 1–2 ms at worst while markers are read, 3–5 ms
while the model reads, about what an idle loop meets there (`bench/bench_loop_stall.py`).
A process of its own (a copy of the linker and the model in a forkserver child, measured) held
the loop as long, on a loaded machine too, for 220 MB more resident memory (the model's budget
is 250 MB, the bot's own copy takes 113), 2–3 s to start, and the linker's learned state sent
with every text.

The answers a long text files by their markers are what the next messages linked by meaning
learn from, and the model reads them then: read here, in the worker, the short message that
follows does not hold the loop while it does (about 100 ms for 16,000 characters before).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bot.linking.linker import Linked, Linker

SWITCH_INTERVAL = 0.001  # seconds; the interpreter's own default is 0.005

_turns = threading.Lock()
_linking = 0  # long texts being linked now, in any thread
_interval_before = 0.0


@contextmanager
def _short_turns() -> Iterator[None]:
    """The interpreter's switch interval lowered while any long text is linked, then restored."""
    global _linking, _interval_before
    with _turns:
        if _linking == 0:
            _interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval_before, SWITCH_INTERVAL))
        _linking += 1
    try:
        yield
    finally:
        with _turns:
            _linking -= 1
            if _linking == 0:
                sys.setswitchinterval(_interval_before)


def link_long(linker: Linker, linking: Callable[[], Linked]) -> Linked:
    """`linking`, a call of `linker.link`, as a worker thread makes it for a long text: the loop given its turn often."""
    with _short_turns():
        linked = linking()
        linker.learn()  # what the next message linked by meaning would read on the loop
    return linked
