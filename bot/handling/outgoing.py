"""The outbox: the replies a turn decided (acknowledgements, "which
question?", prompts, refusals, notices to other chats), written as rows in the
transaction that decided them and sent once it is committed. A crash between
the commit and the sending leaves rows unsent, and the next start sends them:
nothing acknowledged in the database goes unacknowledged in the chat.

A row sent keeps the platform's message id and loses its content, so that what
it echoed (an answer's excerpt, a profile, a data export) is not kept twice.
/forget deletes the rows of the person's private chats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Iterable

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handling.unfiled import record_ask
from bot.ports import Button, ChatRef, OutgoingMessage, SentMessage
from bot.storage.models import OutboxMessage

# What a row no longer keeps once sent or given up: what it echoed, and the message it replied to (whose id finds its author).
_CLEARED: dict[str, object] = {"text": "", "buttons": [], "reply_to": None, "attachment_name": None, "attachment": None}

Change = Callable[[AsyncSession], Awaitable[None]]  # a row marked sent, or given up


def keep(session: AsyncSession, messages: Iterable[OutgoingMessage], now: dt.datetime) -> list[OutboxMessage]:
    """Rows for a turn's replies and notices, in the order they are to go out
    (their ids, once flushed, keep it). A turn opens no thread and posts no
    round (`new_thread_title`, `questions`: the calendar's posts), so a row has neither."""
    rows = [
        OutboxMessage(
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
    session.add_all(rows)
    return rows


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


async def mark_sent(session: AsyncSession, row_id: int, message: OutgoingMessage, sent: SentMessage, now: dt.datetime) -> None:
    """The row sent, with the platform's message id; a "which question?" sent is
    recorded as an ask, so that a question id sent in reply to it files its text."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(sent_at=now, message_id=sent.message_id[:64] or None, **_CLEARED)
    )
    if sent.message_id:  # an answer the platform could not address (Discord, DMs closed) has none to reply to
        record_ask(session, message, sent, now)


async def give_up(session: AsyncSession, row_ids: Collection[int], now: dt.datetime) -> None:
    """The platform refuses these for good (the bot blocked, the chat gone): they are not sent again."""
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(row_ids)).values(given_up_at=now, **_CLEARED))


async def forget_chats(session: AsyncSession, chats: list[tuple[str, str]]) -> None:
    """A forgotten person's private chats: what was sent there goes too."""
    if chats:
        await session.execute(delete(OutboxMessage).where(tuple_(OutboxMessage.platform, OutboxMessage.chat_id).in_(chats)))
