"""The outbox: the replies a turn decided (acknowledgements, "which
question?", prompts, refusals, notices to other chats), written as rows in the
transaction that decided them and sent once it is committed. A crash between
the commit and the sending leaves rows unsent, and the next start sends them:
nothing acknowledged in the database goes unacknowledged in the chat. A send
that fails for a while (the platform's 5xx, the network, a 429 storm) leaves
its chat's rows unsent too, and the running bot tries them again (`Backoff`),
no sooner than the platform asked (`RetryLater`).

A row sent keeps the platform's message id and loses its content, so that what
it echoed (an answer's excerpt, a profile, a data export) is not kept twice.
/forget deletes the rows of the person's private chats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Iterable
from typing import NamedTuple, cast

from sqlalchemy import Table, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.handling.unfiled import record_ask
from bot.ports import Button, ChatRef, OutgoingMessage, RetryLater, SentMessage
from bot.storage.database import inserted_ids
from bot.storage.models import OutboxMessage

# What a row no longer keeps once sent or given up: what it echoed, and the message it replied to (whose id finds its author).
_CLEARED: dict[str, object] = {"text": "", "buttons": [], "reply_to": None, "attachment_name": None, "attachment": None}

Change = Callable[[AsyncConnection], Awaitable[None]]  # a row marked sent, or given up: a plain statement, no ORM session

# A chat whose sending failed is tried again after the first wait, then after twice as long each time, up to the longest.
FIRST_RETRY = dt.timedelta(seconds=5)
LONGEST_RETRY = dt.timedelta(minutes=5)
# A row still failing this long after it was written is given up: a reply a day late answers nothing any more,
# and one the platform refuses in a way it does not call permanent would hold up its chat's later rows for good.
GIVE_UP_AFTER = dt.timedelta(days=1)

Chat = tuple[str, str]  # platform, chat id


class _Waiting(NamedTuple):
    failures: int  # in a row
    next_try: dt.datetime
    failure: int  # which failure of all chats its last one was (see `Backoff.keep_only`)
    not_before: dt.datetime  # what the platform asked (`RetryLater`), which nothing brings forward


class Backoff:
    """When each chat whose sending failed is tried again. Kept in memory
    only: what waits is the database's unsent rows, and a restart, which
    forgets this, tries them all at once."""

    def __init__(self) -> None:
        self._chats: dict[Chat, _Waiting] = {}
        self._failures = 0

    def failed(self, chat: Chat, now: dt.datetime, error: Exception | None = None) -> int:
        """The chat's failures in a row, this one included. Tried again after the doubling wait,
        or, when the platform said how long to wait (`RetryLater`), after that if it is longer."""
        failures = self._chats[chat].failures + 1 if chat in self._chats else 1
        self._failures += 1
        # At most a day: a row is given up by then (and the platform's number may be anything).
        asked = min(error.seconds, GIVE_UP_AFTER.total_seconds()) if isinstance(error, RetryLater) else 0.0
        not_before = now + dt.timedelta(seconds=max(0.0, asked))
        doubling = now + min(FIRST_RETRY * 2 ** min(failures - 1, 16), LONGEST_RETRY)
        self._chats[chat] = _Waiting(failures, max(doubling, not_before), self._failures, not_before)
        return failures

    def cleared(self, chat: Chat) -> None:
        """The chat took a message, or refused for good: nothing of it waits for a retry."""
        self._chats.pop(chat, None)

    def waiting(self, chat: Chat) -> bool:
        return chat in self._chats

    def due(self, chat: Chat, now: dt.datetime) -> bool:
        return chat not in self._chats or self._chats[chat].next_try <= now

    def mark(self) -> int:
        """Taken before reading the rows that wait, for `keep_only`."""
        return self._failures

    def keep_only(self, waiting: Collection[Chat], mark: int) -> None:
        """Forget the chats with nothing left to send (given up, forgotten) in a read begun at `mark`;
        not one that failed since, whose row the read may have missed."""
        self._chats = {chat: entry for chat, entry in self._chats.items() if chat in waiting or entry.failure > mark}

    def hurry(self, chat: Chat, now: dt.datetime) -> None:
        """Try the chat at the next look (its person just wrote: it may well take messages again),
        though not before the platform said it would."""
        if chat in self._chats:
            entry = self._chats[chat]
            self._chats[chat] = entry._replace(next_try=max(now, entry.not_before))


_OUTBOX = cast(Table, OutboxMessage.__table__)
_KEEP = insert(_OUTBOX).returning(_OUTBOX.c.id, sort_by_parameter_order=True)


async def keep(connection: AsyncConnection, messages: Iterable[OutgoingMessage], now: dt.datetime) -> list[int]:
    """Writes a row for each of a turn's replies and notices, on the connection of the turn's
    transaction, and returns their ids, in the order they are to go out (one insert, no ORM objects).
    A turn opens no thread and posts no round (`new_thread_title`, `questions`: the calendar's posts),
    so a row has neither."""
    rows = [
        dict(
            platform=message.chat.platform,
            chat_id=message.chat.chat_id,
            chat_kind=message.chat.kind,
            chat_title=message.chat.title,
            thread_id=message.thread_id,
            reply_to=message.reply_to,
            private=message.private,
            text=message.text,
            buttons=[[button.label, button.data] for button in message.buttons],
            attachment_name=message.attachment[0] if message.attachment else None,
            attachment=message.attachment[1] if message.attachment else None,
            created_at=now,
        )
        for message in messages
    ]
    return await inserted_ids(connection, _KEEP, rows)


def as_message(row: OutboxMessage) -> OutgoingMessage:
    return OutgoingMessage(
        chat=ChatRef(row.platform, row.chat_id, row.chat_kind, row.chat_title),
        text=row.text,
        buttons=tuple(Button(label, data) for label, data in row.buttons),
        reply_to=row.reply_to,
        thread_id=row.thread_id,
        private=row.private,
        attachment=(row.attachment_name or "", row.attachment) if row.attachment is not None else None,
    )


async def unsent(session: AsyncSession, platforms: Collection[str]) -> list[OutboxMessage]:
    """The rows not sent yet to the platforms given, oldest first."""
    return list(
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None), OutboxMessage.platform.in_(platforms))
            .order_by(OutboxMessage.id)
        )
    )


# Built once, on the table rather than the entity (no ORM bookkeeping for a row
# no session holds): a mark for every message sent.
_MARK_SENT = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id"))


async def mark_sent(connection: AsyncConnection, row_id: int, message: OutgoingMessage, sent: SentMessage, now: dt.datetime) -> None:
    """The row sent, with the platform's message id; a "which question?" sent is
    recorded as an ask, so that a question id sent in reply to it files its text."""
    await connection.execute(_MARK_SENT, {"row_id": row_id, "sent_at": now, "message_id": sent.message_id[:64] or None, **_CLEARED})
    if sent.message_id:  # an answer the platform could not address (Discord, DMs closed) has none to reply to
        await record_ask(connection, message, sent, now)


async def give_up(connection: AsyncConnection, row_ids: Collection[int], now: dt.datetime) -> None:
    """The platform refuses these for good (the bot blocked, the chat gone): they are not sent again."""
    await connection.execute(update(_OUTBOX).where(_OUTBOX.c.id.in_(row_ids)).values(given_up_at=now, **_CLEARED))


async def forget_chats(session: AsyncSession, chats: list[tuple[str, str]]) -> None:
    """A forgotten person's private chats: what was sent there goes too."""
    if chats:
        await session.execute(delete(OutboxMessage).where(tuple_(OutboxMessage.platform, OutboxMessage.chat_id).in_(chats)))
