"""Pacing what the bot sends to Telegram's limits, and retrying what Telegram
asks to retry.

Telegram's limits for bots (core.telegram.org/bots/faq, "My bot is hitting
limits"): about 30 messages per second overall, about one per second in a
private chat, at most 20 per minute in a group. `Pacer` holds each message
back until all three allow it; `PacingRateLimiter` plugs it into
python-telegram-bot, so every request that posts something is paced and
retried the same way:

- 429 (flood control): every send pauses for its `retry_after`, then the
  request is tried again; a pause longer than `LONGEST_PAUSE_IN_PLACE` is
  the sender's to wait, told by `RetryLater` (the engine keeps the message);
- network errors and 5xx: tried again with exponential back-off, a few times;
- anything else (403, 400) goes straight back to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.ports import RetryLater

log = logging.getLogger(__name__)

# Requests that put a message in a chat: these count against Telegram's limits.
PACED_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "copyMessage", "forwardMessage", "editMessageText", "createForumTopic"}
)
OVERALL_GRANULARITY = 0.05  # seconds: the overall limit holds over every 50 ms, so no burst needs Telegram's tolerance
LONGEST_PAUSE_IN_PLACE = 10.0  # seconds a send waits for Telegram's "retry after" before it is handed back (`RetryLater`)


@dataclass(frozen=True)
class Limits:
    overall_per_second: float = 30.0
    private_chat: tuple[int, float] = (1, 1.0)  # at most 1 message in any 1 s
    group: tuple[int, float] = (20, 60.0)  # at most 20 messages in any 60 s

    def scaled(self, factor: float) -> Limits:
        """The same limits, `factor` times faster (tests and benchmarks)."""
        return Limits(
            self.overall_per_second * factor,
            (self.private_chat[0], self.private_chat[1] / factor),
            (self.group[0], self.group[1] / factor),
        )


class SlidingWindow:
    """At most `limit` events in any `period` seconds."""

    def __init__(self, limit: int, period: float):
        self.period = period
        self._times: deque[float] = deque(maxlen=max(1, limit))

    def delay(self, now: float) -> float:
        """How long to wait before the next event is allowed."""
        return max(0.0, self.allowed_at(now) - now)

    def allowed_at(self, now: float) -> float:
        """When the next event is allowed (`now` if it is already)."""
        if len(self._times) < (self._times.maxlen or 1):
            return now
        return self._times[0] + self.period

    def record(self, now: float) -> None:
        self._times.append(now)

    def idle(self, now: float) -> bool:
        return not self._times or self._times[-1] + self.period <= now


class _Chat:
    __slots__ = ("lock", "window")

    def __init__(self, window: SlidingWindow):
        self.lock = asyncio.Lock()
        self.window = window


class Pacer:
    """Holds each message back until the overall and the chat's limits allow it.

    Each chat's messages go one at a time (a lock per chat), then one at a time
    through the overall limit (one lock, first come first served), so waiting
    senders never stampede. The overall limit is two windows: Telegram's, at
    most `overall_per_second` in any second, on the moments messages really
    leave; and a finer one that spreads them evenly (`OVERALL_GRANULARITY`),
    on each message's ideal slot: a sleep that wakes a little late (it always
    does, more so on a loaded machine) does not push every later slot back,
    so the pace reaches the limit instead of falling short of it by the sum of
    the overshoots. A sender later than one slot re-anchors on its real time
    (after idling, or a stall), so no burst makes up for lost time.
    """

    def __init__(
        self,
        limits: Limits = Limits(),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ):
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        per_slot = max(1, round(limits.overall_per_second * OVERALL_GRANULARITY))
        self._even = SlidingWindow(per_slot, per_slot / limits.overall_per_second)
        self._overall = SlidingWindow(max(1, round(limits.overall_per_second)), 1.0)
        self._overall_lock = asyncio.Lock()
        self._chats: dict[str, _Chat] = {}
        self._paused_until = 0.0

    async def turn(self, chat_id: int | str) -> None:
        """Return when a message may be sent to `chat_id` now; send it right away."""
        chat = self._chat(str(chat_id))
        async with chat.lock:
            await self._wait_for(chat.window)
            async with self._overall_lock:
                slot = self._even.allowed_at(self._clock())
                await self._wait_for(self._even, self._overall)
                now = self._clock()
                self._even.record(slot if now - slot <= self._even.period else now)
                self._overall.record(now)
                chat.window.record(now)

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": nothing is sent for `seconds`."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def _wait_for(self, *windows: SlidingWindow) -> None:
        while True:
            now = self._clock()
            if self._paused_until - now > LONGEST_PAUSE_IN_PLACE:  # rather than hold the sender (and its chat) that long
                raise RetryLater(self._paused_until - now)
            delay = max(self._paused_until - now, *(window.delay(now) for window in windows))
            if delay <= 0:
                return
            await self._sleep(delay)

    def _chat(self, chat_id: str) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) > 10_000:
                self._forget_idle_chats()
            # Telegram's private chats have the user's (positive) id; groups and channels are negative.
            limit, period = self.limits.group if chat_id.startswith("-") else self.limits.private_chat
            chat = self._chats[chat_id] = _Chat(SlidingWindow(limit, period))
        return chat

    def _forget_idle_chats(self) -> None:
        now = self._clock()
        for chat_id in [c for c, chat in self._chats.items() if chat.window.idle(now) and not chat.lock.locked()]:
            del self._chats[chat_id]


class PacingRateLimiter(BaseRateLimiter[None]):
    """python-telegram-bot's hook around every Bot API request."""

    def __init__(self, pacer: Pacer, attempts: int = 6, first_backoff: float = 0.5, max_backoff: float = 30.0):
        self.pacer = pacer
        self.attempts = attempts
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.closing = False
        self._on_the_wire: set[asyncio.Task[Any]] = set()

    async def initialize(self) -> None:
        self.closing = False

    async def shutdown(self) -> None:
        pass

    async def settle(self) -> None:
        """Stop sending, and wait for the requests already on the wire to end
        (closing the connections under them would leave messages Telegram may
        have accepted that nobody recorded)."""
        self.closing = True
        while self._on_the_wire:
            await asyncio.wait(set(self._on_the_wire))

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        paced = endpoint in PACED_METHODS and "chat_id" in data
        backoff = self.first_backoff
        failures = 0
        while True:
            if paced:
                _stop_if_cancelled()
                await self.pacer.turn(data["chat_id"])
                if self.closing:
                    raise AdapterStopped("the Telegram adapter has stopped; nothing more is sent")
            try:
                if paced:
                    return await self._finish_on_the_wire(callback(*args, **kwargs))
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                log.warning("Telegram asked to wait %.1f s (%s); every send pauses", seconds, endpoint)
                self.pacer.pause(seconds)
                if not paced:
                    await asyncio.sleep(seconds)
            except BadRequest:
                raise  # python-telegram-bot files 400 under NetworkError; nothing to retry
            except NetworkError as error:  # timeouts, connection errors, 5xx answers
                failures += 1
                if failures >= self.attempts:
                    raise
                # A retry, not yet a fault: the last failure is raised, for the caller to report once.
                log.info("%s failed (%s: %s); retrying in %.1f s", endpoint, type(error).__name__, error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(self.max_backoff, backoff * 2)

    async def _finish_on_the_wire(self, request: Coroutine[Any, Any, Any]) -> Any:
        """Run a request that posts a message to its end, even if the caller is
        cancelled meanwhile (the process shutting down in the middle of a
        broadcast). Abandoning it would leave a message that Telegram may have
        accepted and the engine never recorded, so posted again after a restart.
        Its outcome is returned, the engine records it, and the next paced
        request of that task raises the cancellation before sending anything."""
        task = asyncio.ensure_future(request)
        self._on_the_wire.add(task)
        task.add_done_callback(self._on_the_wire.discard)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done() and task.cancelled():
                raise
            # However often the caller is cancelled meanwhile, the request ends first.
            while not task.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(task)
            return task.result()


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # python-telegram-bot 22 warns about `retry_after` turning into a timedelta; both are handled.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _stop_if_cancelled() -> None:
    """A send whose task was cancelled while its previous request was on the
    wire (see `_finish_on_the_wire`) stops here, before sending anything more."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()


class AdapterStopped(Exception):
    """A message was to be sent after the adapter stopped (shutting down)."""
