"""Questions to the organisers instead of answers (issue 12): the bot answers the ones it
can ("what is the deadline for this week?": the open round's closing time, in the reader's
time zone and language; "what now?": the open round's questions and how to answer them) and
passes any other on to the organisers, in private and in /status.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.discussion import store
from bot.handling.turn import Turn
from bot.i18n import _, format_moment, ngettext, reading_in
from bot.linking.text import DEADLINE, HOW_TO_TAKE_PART
from bot.ports import ChatKind, ChatRef, IncomingMessage, OutgoingMessage
from bot.storage.models import Discussion, OrganiserGrant, OrganiserQuestion, Participant, PlatformIdentity, RoundState, Venue
from bot.text import shorten

LISTED_IN_STATUS = 5  # the latest ones; the others are counted


async def answer(turn: Turn, asks: str, message: IncomingMessage, text: str, round_: RoundState) -> None:
    assert turn.discussion is not None
    participant = await turn.ensure_participant()
    if asks == DEADLINE:
        timezone = participant.timezone or turn.discussion.timezone
        turn.reply(
            _("Round {number} closes on {closes}.").format(number=round_.number, closes=format_moment(round_.closes_at, timezone)),
            reply_to=message.message_id,
        )
        return
    if asks == HOW_TO_TAKE_PART:
        lines = await round_questions(turn, round_, timezone=participant.timezone or turn.discussion.timezone)
        turn.reply("\n".join([*lines, "", how_to_answer(turn)]), reply_to=message.message_id)
        return
    turn.session.add(
        OrganiserQuestion(
            discussion_id=turn.discussion.id,
            participant_id=participant.id,
            platform=turn.chat.platform,
            chat_id=turn.chat.chat_id,
            message_id=message.message_id,
            text=text,
            asked_at=turn.now,
        )
    )
    await turn.session.flush()  # a redelivered question stops here, at the unique constraint, and is passed on once
    turn.reply(_("Thank you: I have passed your question on to the organisers."), reply_to=message.message_id)
    who = participant.name or participant.display_name or "—"
    for platform, chat_id, language in await _organisers_private_chats(turn.session, turn.discussion):
        with reading_in(language):
            notice = _("A question for the organisers from {name}: «{question}»").format(name=who, question=text)
        turn.notices.append(OutgoingMessage(chat=ChatRef(platform, chat_id, ChatKind.private), text=notice))


async def round_questions(turn: Turn, round_: RoundState, timezone: str) -> list[str]:
    """The round's questions in the reader's language, under when the round closes."""
    assert turn.discussion is not None
    lines = [_("Round {number}, open until {closes}:").format(number=round_.number, closes=format_moment(round_.closes_at, timezone))]
    lines += [
        f"\n{q.key}. {store.question_text(q, turn.language, turn.discussion)}" for q in await store.questions_of_round(turn.session, round_)
    ]
    return lines


def how_to_answer(turn: Turn) -> str:
    return (
        _("To answer a question, reply to its message, or start your message with its number, for example «Q2: …».")
        if turn.answers_by_reply
        else _("To answer a question, start your message with its number, for example «Q2: …».")
    )


async def _organisers_private_chats(session: AsyncSession, discussion: Discussion) -> list[tuple[str, str, str]]:
    """The private chats, on any platform, of the discussion's organisers who have one, with their language."""
    rows = await session.execute(
        select(Venue.platform, Venue.chat_id, Participant.language)
        .join(Participant, Venue.participant_id == Participant.id)
        .join(PlatformIdentity, PlatformIdentity.participant_id == Participant.id)
        .join(
            OrganiserGrant,
            (OrganiserGrant.platform == PlatformIdentity.platform) & (OrganiserGrant.external_id == PlatformIdentity.external_id),
        )
        .where(
            OrganiserGrant.discussion_id == discussion.id,
            Venue.discussion_id == discussion.id,
            Venue.kind == ChatKind.private,
            Venue.platform == PlatformIdentity.platform,
            Venue.unreachable.is_(False),
        )
        .distinct()
    )
    return [(platform, chat_id, language or discussion.languages[0]) for platform, chat_id, language in rows]


async def status_lines(session: AsyncSession, discussion: Discussion) -> list[str]:
    """For /status: how many questions participants asked the organisers, the latest ones quoted."""
    count = await session.scalar(
        select(func.count()).select_from(OrganiserQuestion).where(OrganiserQuestion.discussion_id == discussion.id)
    )
    if not count:
        return []
    latest = await session.execute(
        select(OrganiserQuestion.text, Participant.name, Participant.display_name)
        .join(Participant, OrganiserQuestion.participant_id == Participant.id)
        .where(OrganiserQuestion.discussion_id == discussion.id)
        .order_by(OrganiserQuestion.asked_at.desc(), OrganiserQuestion.id.desc())
        .limit(LISTED_IN_STATUS)
    )
    lines = [ngettext("{count} question for the organisers:", "{count} questions for the organisers:", count).format(count=count)]
    lines += [f"  {name or display_name or '—'}: «{shorten(text, 120)}»" for text, name, display_name in latest]
    return lines
