"""A question restated or named on its own ("Q: what can migrants do to raise awareness?"),
its answer sent as the next message: for a few minutes, in that chat, what the participant
writes without a marker answers that question (issue 12).

The announcing message is stored like any other, with no contribution: the database, not
the process, holds the context, so it survives a restart and holds across the bot's workers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.discussion.store import DiscussionIndex, question_text
from bot.handling.turn import Turn
from bot.i18n import _
from bot.ports import IncomingMessage
from bot.storage.models import Contribution, Message, RoundState
from bot.text import shorten

WINDOW = dt.timedelta(minutes=5)


def keep(turn: Turn, index: DiscussionIndex, message: IncomingMessage, text: str, language: str, key: str, round_: RoundState) -> None:
    """Stores the announcing message and says where the next one will go."""
    assert turn.discussion is not None and turn.participant is not None
    turn.session.add(
        Message(
            discussion_id=turn.discussion.id,
            participant_id=turn.participant.id,
            platform=turn.chat.platform,
            chat_id=turn.chat.chat_id,
            message_id=message.message_id,
            text=text,
            language=language,
            round_id=round_.id,
            received_at=turn.now,
            contributions=[],
        )
    )
    question = index.questions[key]
    turn.reply(
        _("Noted: your next message will be recorded under question {key}: «{question}».").format(
            key=key, question=shorten(question_text(question, turn.language, turn.discussion), 90)
        ),
        reply_to=message.message_id,
    )


async def previous_unfiled(turn: Turn) -> str | None:
    """The participant's previous message in this chat, within the window, when it was filed
    nowhere: the text that may have announced a question (`contributions.link` tells)."""
    if turn.participant is None:
        return None
    previous = await turn.session.scalar(
        select(Message)
        .where(
            Message.participant_id == turn.participant.id,
            Message.platform == turn.chat.platform,
            Message.chat_id == turn.chat.chat_id,
            Message.received_at >= turn.now - WINDOW,
        )
        .order_by(Message.received_at.desc(), Message.id.desc())
        .limit(1)
    )
    if previous is None or await turn.session.scalar(select(Contribution.id).where(Contribution.message_id == previous.id).limit(1)):
        return None
    return previous.text
