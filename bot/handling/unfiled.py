"""Answers not yet tied to a question: what makes one (pending its author's
choice, or its question since removed from the file), and the buttons that
tie one to its question. The conversation asks with them, reminders ask again,
and the organisers' views (status, wrap-ups, reports) count them, so none of
them is ever missing from what the organisers see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import cast

from sqlalchemy import ColumnElement, Table, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.handling.buttons import button_data, read_button
from bot.ports import Button, OutgoingMessage, SentMessage
from bot.storage.models import Ask, Contribution, ContributionStatus, Message, Question
from bot.text import shorten

# Button data: "file:<contribution id>:<question key>", "drop:<contribution id>".
FILE, DROP = "file", "drop"
LABEL_LENGTH = 40
_ASKS = cast(Table, Ask.__table__)


def not_tied() -> ColumnElement[bool]:
    """A contribution waiting for its question, or whose question has left the
    discussion's file (hidden ones are the organisers' choice, counted apart)."""
    removed = select(Question.id).where(Question.position == 0)
    return or_(Contribution.status == ContributionStatus.pending, Contribution.question_id.is_(None), Contribution.question_id.in_(removed))


def which_question_buttons(contribution_id: int, choices: Iterable[tuple[str, str]], none_label: str) -> tuple[Button, ...]:
    """A button per (question key, question text), and one to say it answers none."""
    return (
        *(Button(f"{key} · " + shorten(text, LABEL_LENGTH), button_data(FILE, contribution_id, key)) for key, text in choices),
        Button(none_label, button_data(DROP, contribution_id)),
    )


def asked_about(message: OutgoingMessage) -> int | None:
    """The contribution a message asks about ("which question?"), read from its buttons."""
    for button in message.buttons:
        pressed = read_button(button.data)
        if pressed.kind == DROP and pressed.value().isdigit():
            return int(pressed.value())
    return None


async def record_ask(database: AsyncSession | AsyncConnection, message: OutgoingMessage, sent: SentMessage, now: dt.datetime) -> None:
    """Keep a sent ask's message id, so that a question id sent in reply to it files its text."""
    contribution_id = asked_about(message)
    if contribution_id is not None:
        await database.execute(
            insert(_ASKS).values(
                contribution_id=contribution_id,
                platform=message.chat.platform,
                chat_id=message.chat.chat_id,
                message_id=sent.message_id,
                sent_at=now,
            )
        )


async def asked_in_reply(session: AsyncSession, participant_id: int, platform: str, chat_id: str, message_id: str) -> Contribution | None:
    """The participant's contribution that the bot's message `message_id` asked about, if it was an ask."""
    return await session.scalar(
        select(Contribution)
        .join(Ask, Ask.contribution_id == Contribution.id)
        .join(Message, Contribution.message_id == Message.id)
        .where(Message.participant_id == participant_id, Ask.platform == platform, Ask.chat_id == chat_id, Ask.message_id == message_id)
    )


async def waiting_of(session: AsyncSession, participant_id: int, discussion_id: int) -> list[Contribution]:
    """One participant's answers still waiting for their question, oldest first."""
    return list(
        await session.scalars(
            select(Contribution)
            .join(Message)
            .where(
                Message.participant_id == participant_id,
                Message.discussion_id == discussion_id,
                Contribution.status == ContributionStatus.pending,
                Contribution.hidden.is_(False),
            )
            .order_by(Contribution.id)
        )
    )


async def waiting_per_round(session: AsyncSession, discussion_id: int) -> dict[int | None, int]:
    """How many answers wait for their question, by the id of the round they were sent in."""
    rows = await session.execute(
        select(Message.round_id, func.count(Contribution.id))
        .join(Contribution, Contribution.message_id == Message.id)
        .where(Message.discussion_id == discussion_id, Contribution.hidden.is_(False), not_tied())
        .group_by(Message.round_id)
    )
    return {round_id: count for round_id, count in rows}
