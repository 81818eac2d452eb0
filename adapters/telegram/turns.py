"""Fetched updates handled chat by chat, the chats taking turns.

Every update fetched is held in the database before its getUpdates is
confirmed, so fetching never waits for handling: a flood of one chat is
fetched as fast as it came, and the other chats' updates behind it with it.
Fetching even goes first: while Telegram has a backlog, no new turn starts
until it is fetched (or `fetched_at_most` are in memory), and updates are
parsed only at their turn, so a quiet chat's message behind a thousand of a
flood is in the turns after ten fetches, not after the flood's handling.
Then each chat's updates are handled one at a time, in the order they came
(a participant's second message must not overtake the first), and the chats
waiting take turns, one update each, a bounded number side by side: a chat
with a thousand updates waiting has one handled at a time, like a chat with
one. A chat's turn ends once its update is stored (its first reply goes out
after the commit, or its handling ended): its replies go on being sent
meanwhile, paced to its chat's limits, while the next chat takes its turn.
A chat with a backlog (`BACKLOG_FROM` updates waiting: a flood, a busy group)
gives way to the others: its next turn waits while a chat with little
waiting is in its turn or waits for one (the two would share the
interpreter), and comes at least once every `chats_at_once` turns of theirs.
Each handled update is released (its held row deleted), a batch at a time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.ports import answering

log = logging.getLogger(__name__)

BACKLOG_FROM = 5  # updates waiting in one chat: more than a person sends at once by hand


@dataclass(frozen=True)
class Fetched:
    """An update as Telegram sent it: parsed (python-telegram-bot's objects,
    the costliest step of receiving) only at its chat's turn."""

    update_id: int
    chat_id: int | None
    is_press: bool
    raw: dict[str, Any]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Fetched:
        # The allowed updates (adapter.ALLOWED_UPDATES): a message, an edit, a button pressed under a message.
        message = raw.get("message") or raw.get("edited_message") or (raw.get("callback_query") or {}).get("message") or {}
        chat_id = (message.get("chat") or {}).get("id")
        return cls(int(raw["update_id"]), int(chat_id) if chat_id is not None else None, "callback_query" in raw, raw)


@dataclass
class Receipt:
    """The update being handled, stored once (or left held, when stopping
    finds the database out of reach)."""

    done: asyncio.Event = field(default_factory=asyncio.Event)
    abandoned: bool = False

    def stored(self) -> None:
        self.done.set()

    def abandon(self) -> None:
        if not self.done.is_set():
            self.abandoned = True
            self.done.set()


class Releases:
    """Handled updates' ids, released in one write for all those handled
    while the previous write went on. A write that fails (the database out of
    reach) is tried again with the next; a crash before it hands the updates
    over again at the next start, where they change nothing."""

    def __init__(self, release: Callable[[Collection[str]], Awaitable[None]]):
        self._release = release
        self._ids: list[str] = []
        self._writing: asyncio.Task[None] | None = None

    def add(self, update_id: int) -> None:
        self._ids.append(str(update_id))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.ensure_future(self._write())

    async def flush(self) -> None:
        if self._writing is not None:
            await self._writing
        await self._write()

    async def _write(self) -> None:
        while self._ids:
            batch, self._ids = self._ids, []
            try:
                await self._release(batch)
            except Exception as error:
                self._ids = batch + self._ids
                log.warning("could not release %d handled Telegram updates, tried again later: %s", len(batch), type(error).__name__)
                return


class ChatsInTurn:
    """See the module's docstring."""

    def __init__(
        self,
        chats_at_once: int,
        fetched_at_most: int,
        releases: Releases,
        handle: Callable[[Fetched], Awaitable[None]],
        answer_press: Callable[[Fetched], Awaitable[None]],
    ):
        self._chats_at_once = chats_at_once
        self._fetched_at_most = fetched_at_most
        self._releases = releases
        self._handle = handle
        self._answer_press = answer_press
        self._waiting: dict[int, deque[Fetched]] = {}  # by chat, in arrival order
        # Chats with an update waiting and none in its turn, in turn order: those with a backlog apart.
        self._ready: deque[int] = deque()
        self._ready_backlogged: deque[int] = deque()
        self._chats_in_turn: set[int] = set()
        self._backlogged_in_turn: set[int] = set()  # of those, the chats whose turn began with a backlog
        self._turns_since_backlogged = 0  # the other chats' turns begun since a backlogged chat's last
        self._unfinished: set[int] = set()  # update ids taken, not handled to the end: one delivered again meanwhile is dropped
        self._fetching_first = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self.idle = asyncio.Event()
        self.idle.set()
        self.room = asyncio.Event()  # set while fewer than `fetched_at_most` updates are unfinished
        self.room.set()

    def take(self, updates: Iterable[Fetched]) -> None:
        """Updates held, in the order they came, to be handled at their chats' turns."""
        for update in updates:
            if update.update_id in self._unfinished:  # delivered again (held, then fetched once more after a restart)
                continue
            self._unfinished.add(update.update_id)
            self.idle.clear()
            if update.is_press:  # at once, not at its chat's turn: it stops the button's spinner
                self._keep(asyncio.ensure_future(self._answer_press(update)))
            if update.chat_id is None:
                handling = asyncio.ensure_future(self._handle(update))
                handling.add_done_callback(functools.partial(self._handled, update.update_id, Receipt()))
                self._keep(handling)
                continue
            waiting = self._waiting.setdefault(update.chat_id, deque())
            waiting.append(update)
            if len(waiting) == 1 and update.chat_id not in self._chats_in_turn:  # else it is in `_ready` already, or in its turn
                self._ready.append(update.chat_id)
        if len(self._unfinished) >= self._fetched_at_most:
            self.room.clear()
        self._next_turns()

    def fetch_first(self, more_waiting: bool) -> None:
        """While Telegram has more updates waiting than one fetch hands out,
        no new turn starts (those begun go on): fetching the backlog first puts
        every chat waiting in the turns before the flood ahead of it is handled.
        Not past `fetched_at_most` updates in memory, when fetching waits."""
        self._fetching_first = more_waiting
        self._next_turns()

    def _next_turns(self) -> None:
        if self._fetching_first and self.room.is_set():
            return
        while len(self._chats_in_turn) < self._chats_at_once:
            backlogged_due = self._turns_since_backlogged >= self._chats_at_once or not (
                self._ready or len(self._chats_in_turn) > len(self._backlogged_in_turn)
            )
            if self._ready_backlogged and backlogged_due:
                chat_id = self._ready_backlogged.popleft()
                self._backlogged_in_turn.add(chat_id)
                self._turns_since_backlogged = 0
            elif self._ready:
                chat_id = self._ready.popleft()
                self._turns_since_backlogged += 1
            else:
                return
            self._chats_in_turn.add(chat_id)
            self._keep(asyncio.ensure_future(self._turn(chat_id)))

    async def _turn(self, chat_id: int) -> None:
        """One update of the chat, until it is stored; then the next chat's turn."""
        update = self._waiting[chat_id].popleft()
        receipt = Receipt()
        answering.set(receipt)  # this task's own context, copied by the handling task: `send` reads it
        try:
            handling = asyncio.ensure_future(self._handle(update))
            handling.add_done_callback(functools.partial(self._handled, update.update_id, receipt))
            self._keep(handling)
            storing = asyncio.ensure_future(receipt.done.wait())
            try:
                await asyncio.wait([handling, storing], return_when=asyncio.FIRST_COMPLETED)
            finally:
                storing.cancel()
        finally:
            self._chats_in_turn.discard(chat_id)
            self._backlogged_in_turn.discard(chat_id)
            if len(self._waiting[chat_id]) >= BACKLOG_FROM:
                self._ready_backlogged.append(chat_id)
            elif self._waiting[chat_id]:
                self._ready.append(chat_id)
            else:
                del self._waiting[chat_id]
            self._next_turns()

    def _handled(self, update_id: int, receipt: Receipt, handling: asyncio.Future[Any]) -> None:
        if not handling.cancelled() and handling.exception() is not None:
            log.error("processing a Telegram update failed", exc_info=handling.exception())
        receipt.stored()  # an update that sent nothing is stored once handled
        if not receipt.abandoned:
            self._releases.add(update_id)
        self._unfinished.discard(update_id)
        if len(self._unfinished) < self._fetched_at_most:
            self.room.set()
        if not self._unfinished:
            self.idle.set()

    def _keep(self, task: asyncio.Future[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
