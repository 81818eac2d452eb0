"""Tying an answer to another question: an answer the bot was unsure about,
filed by its author or by an organiser, and an answer moved by its author
("wrong question?", /move). Every change of question is kept
(`ContributionMove`), and a moved answer is marked in the report like an edit.

Organisers see what still waits (/pending, `facilitator pending`) and file it
(/file 123 1.4, `facilitator file 123 1.4`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import announced
from bot.discussion.store import DiscussionIndex, IndexedQuestion, question_text
from bot.handling.buttons import button_data, read_button
from bot.handling.command import N_, Command, typed_id
from bot.handling.turn import Turn
from bot.handling.unfiled import not_tied
from bot.i18n import _, current_language, ngettext
from bot.ports import Button
from bot.storage.models import (
    Contribution,
    ContributionMove,
    ContributionStatus,
    Discussion,
    Message,
    Question,
    Round,
    RoundState,
    RoundStatus,
)
from bot.text import shorten

EXCERPT = 60  # how much of an answer an acknowledgement quotes
MOVE, MOVE_TO = "move", "moveto"  # button data: "move:<id>" asks where to, "moveto:<id>:<key>" moves
PENDING_LISTED = 30  # /pending lists this many, oldest first, and says how many more
MAX_MOVE_CHOICES = 8


def excerpt(contribution: Contribution) -> str:
    return shorten(contribution.text, EXCERPT)


async def tie(
    session: AsyncSession, contribution: Contribution, question_id: int, now: dt.datetime, organiser: tuple[str, str] | None = None
) -> bool:
    """File `contribution` under the question, keeping where it was and, when an `organiser`
    (platform, user id) did it, who. Returns whether it was moved (it was filed under another
    question before)."""
    moved = contribution.status == ContributionStatus.filed and contribution.question_id is not None
    session.add(
        ContributionMove(
            contribution_id=contribution.id,
            from_question_id=contribution.question_id if moved else None,
            to_question_id=question_id,
            by_organiser=organiser is not None,
            by_platform=organiser[0] if organiser else None,
            by_user=organiser[1] if organiser else None,
            moved_at=now,
        )
    )
    round_ = await session.scalar(select(Round).join(Question).where(Question.id == question_id))
    received_at = await session.scalar(select(Message.received_at).where(Message.id == contribution.message_id))
    contribution.question_id = question_id
    contribution.status = ContributionStatus.filed
    contribution.method = "chosen"
    contribution.confidence = 1.0
    # Late: sent after that round had closed. Filed or moved afterwards, an answer sent in time is not.
    contribution.late = round_ is not None and received_at is not None and round_.closed_by(received_at)
    contribution.updated_at = now
    return moved


def tied_text(contribution: Contribution, key: str, question: str, moved: bool) -> str:
    """What the author (or the organiser) is told, the answer's start quoted."""
    if moved:
        text = _("Moved: «{excerpt}» is now under question {key}: «{question}». Its earlier question is kept for the record.")
    else:
        text = _("Thank you! «{excerpt}» is recorded under question {key}: «{question}».")
    text = text.format(excerpt=excerpt(contribution), key=key, question=shorten(question, 90))
    if contribution.late:
        text += " " + _("That round is closed: the answer is kept, marked as late.")
    return text


class Tied(Protocol):
    """What a "wrong question?" button reads of an answer: a stored `Contribution`, or one just written as a row."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> ContributionStatus: ...
    @property
    def question_id(self) -> int | None: ...


def wrong_question_buttons(contributions: Sequence[Tied], index: DiscussionIndex) -> tuple[Button, ...]:
    """The "wrong question?" button every acknowledgement carries, one per answer filed."""
    filed = [
        (c.id, index.by_id[c.question_id].key)
        for c in contributions
        if c.status == ContributionStatus.filed and c.question_id is not None and c.question_id in index.by_id
    ]
    if len(filed) == 1:
        return (Button(_("Wrong question?"), button_data(MOVE, filed[0][0])),)
    return tuple(
        Button(_("Wrong question for {key}?").format(key=key), button_data(MOVE, contribution_id)) for contribution_id, key in filed
    )


async def own_contribution(turn: Turn, contribution_id: str) -> Contribution | None:
    number = typed_id(contribution_id)
    if number is None or turn.participant is None:
        return None
    return await turn.session.scalar(
        select(Contribution).join(Message).where(Contribution.id == number, Message.participant_id == turn.participant.id)
    )


async def answers_before(turn: Turn, within: dt.timedelta | None = announced.WINDOW) -> list[Contribution]:
    """The answers of the participant's latest message in this chat (sent `within` that long, if given):
    the one a correction sent after it ("Sorry, that was for question 2.") or `/move 1.2` means, when
    there is only one."""
    if turn.participant is None:
        return []
    latest = select(Message.id).where(
        Message.participant_id == turn.participant.id, Message.platform == turn.chat.platform, Message.chat_id == turn.chat.chat_id
    )
    if within is not None:
        latest = latest.where(Message.received_at >= turn.now - within)
    latest = latest.order_by(Message.received_at.desc(), Message.id.desc()).limit(1)
    return list(
        await turn.session.scalars(
            select(Contribution).where(Contribution.message_id == latest.scalar_subquery()).order_by(Contribution.position)
        )
    )


async def move_to(turn: Turn, index: DiscussionIndex, contribution: Contribution, key: str) -> None:
    assert turn.discussion is not None
    question = index.questions.get(key)
    if question is None:
        turn.reply(_("There is no question {key}.").format(key=key))
        return
    if contribution.status == ContributionStatus.filed and contribution.question_id == question.id:
        turn.reply(_("This answer is already recorded under question {key}.").format(key=key))
        return
    if question.round_number not in opened_rounds(turn.rounds):
        turn.reply(_("Question {key} is in round {number}, which has not opened yet.").format(key=key, number=question.round_number))
        return
    moved = await tie(turn.session, contribution, question.id, turn.now)
    turn.reply(
        tied_text(contribution, key, question_text(question, turn.language, turn.discussion), moved),
        buttons=wrong_question_buttons([contribution], index),
    )


def opened_rounds(rounds: Sequence[RoundState]) -> set[int]:
    """The rounds whose questions participants have been asked: an answer moves, or is boxed, only to one of them."""
    return {round_.number for round_ in rounds if round_.status != RoundStatus.scheduled}


def _other_questions(index: DiscussionIndex, current: IndexedQuestion, opened: set[int]) -> list[IndexedQuestion]:
    """The questions of its round but the one it is under, then the other opened rounds'."""
    return sorted(
        (q for q in index.questions.values() if q.id != current.id and q.round_number in opened),
        key=lambda q: (q.round_number != current.round_number, q.round_number, q.position),
    )


async def handle_button(turn: Turn, data: str) -> bool:
    pressed = read_button(data)
    kind, contribution_id, key = pressed.kind, pressed.value(0), pressed.value(1)
    if kind not in (MOVE, MOVE_TO):
        return False
    contribution = await own_contribution(turn, contribution_id)
    if contribution is None or turn.discussion is None:
        turn.reply(_("That choice is not yours to make, or has expired."), private=True)
        return True
    index = await turn.index()
    if kind == MOVE_TO:
        await move_to(turn, index, contribution, key)
        return True
    current = index.by_id.get(contribution.question_id) if contribution.question_id is not None else None
    if current is None:
        turn.reply(
            _(
                "This answer waits for its question: choose it with the buttons I sent, or send /move {id} and the question's number."
            ).format(id=contribution.id)
            if turn.takes_commands
            else _("This answer waits for its question: choose it with the buttons I sent.")
        )
        return True
    others = _other_questions(index, current, opened_rounds(turn.rounds))[:MAX_MOVE_CHOICES]
    turn.reply(
        (
            _(
                "«{excerpt}» is under question {key}. Which question does it answer? Choose one, or send /move {id} and the question's number."
            )
            if turn.takes_commands
            else _("«{excerpt}» is under question {key}. Which question does it answer? Choose one.")
        ).format(excerpt=excerpt(contribution), key=current.key, id=contribution.id),
        buttons=tuple(
            Button(
                f"{q.key} · " + shorten(question_text(q, turn.language, turn.discussion), 40), button_data(MOVE_TO, contribution.id, q.key)
            )
            for q in others
        ),
        private=True,
    )
    return True


async def move(turn: Turn, args: list[str]) -> None:
    """/move 123 1.4: the author ties their own answer to another question; /move 1.4, the answer of
    their latest message here, if it holds one."""
    if len(args) == 1 and turn.discussion is not None:
        latest = await answers_before(turn, within=None)
        if len(latest) == 1:
            await move_to(turn, await turn.index(), latest[0], args[0])
            return
        if latest:
            index = await turn.index()
            numbers = ", ".join(f"#{c.id} ({index.by_id[c.question_id].key if c.question_id in index.by_id else '?'})" for c in latest)
            turn.reply(
                _(
                    "Your last message holds several answers: {answers}. Send /move, the one's number and the question's, "
                    "for example /move {id} {key}."
                ).format(answers=numbers, id=latest[0].id, key=args[0][:20])
            )
            return
    if len(args) != 2 or turn.discussion is None:
        turn.reply(_("Send /move, the answer's number and the question's, for example /move 123 1.4."))
        return
    contribution = await own_contribution(turn, args[0].lstrip("#"))
    if contribution is None:
        turn.reply(_("You have no answer #{id}.").format(id=args[0].lstrip("#")[:20]))
        return
    await move_to(turn, await turn.index(), contribution, args[1])


async def pending_text(session: AsyncSession, discussion: Discussion) -> str:
    """The answers waiting for their question, in the reader's language: what /pending and `facilitator pending` show."""
    rows = (
        await session.execute(
            select(Contribution, Round.number)
            .join(Message, Contribution.message_id == Message.id)
            .outerjoin(Round, Message.round_id == Round.id)
            .where(Message.discussion_id == discussion.id, Contribution.hidden.is_(False), not_tied())
            .order_by(Contribution.id)
        )
    ).all()
    if not rows:
        return _("No answer waits for its question.")
    lines = [waiting_line(len(rows))]
    for contribution, round_number in rows[:PENDING_LISTED]:
        likeliest = ", ".join(contribution.candidates or [])
        lines.append(
            f"#{contribution.id} · "
            + (_("round {number}").format(number=round_number) if round_number else "—")
            + f" · «{shorten(contribution.text, 100)}»"
            + (" · " + _("likeliest: {questions}").format(questions=likeliest) if likeliest else "")
        )
    if len(rows) > PENDING_LISTED:
        lines.append(_("… and {count} more.").format(count=len(rows) - PENDING_LISTED))
    lines.append(_("File one with /file, its number and the question's, for example /file {id} 1.4.").format(id=rows[0][0].id))
    return "\n".join(lines)


def waiting_line(count: int) -> str:
    return ngettext("{count} answer waits for its question.", "{count} answers wait for their question.", count).format(count=count)


class Outcome(NamedTuple):
    text: str  # what to tell the organiser
    filed: bool  # False: nothing changed (no such answer or question, or already there)


async def file_as_organiser(
    session: AsyncSession, discussion: Discussion, contribution_id: str, key: str, now: dt.datetime, organiser: tuple[str, str]
) -> Outcome:
    """/file 123 1.4 and `facilitator file 123 1.4`, by `organiser` (platform, user id)."""
    contribution = (
        await session.scalar(
            select(Contribution).join(Message).where(Contribution.id == int(contribution_id), Message.discussion_id == discussion.id)
        )
        if contribution_id.isdigit() and len(contribution_id) < 12
        else None
    )
    if contribution is None:
        return Outcome(_("There is no answer #{id} in this discussion.").format(id=contribution_id[:20]), False)
    question = await session.scalar(
        select(Question).where(Question.discussion_id == discussion.id, Question.key == key, Question.position > 0)
    )
    if question is None:
        return Outcome(_("There is no question {key}.").format(key=key[:20]), False)
    if contribution.status == ContributionStatus.filed and contribution.question_id == question.id:
        return Outcome(_("This answer is already recorded under question {key}.").format(key=key), False)
    moved = await tie(session, contribution, question.id, now, organiser)
    return Outcome(tied_text(contribution, key, question_text(question, current_language(), discussion), moved), True)


async def pending(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    turn.reply(await pending_text(turn.session, turn.discussion))


async def file(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    if len(args) != 2:
        turn.reply(_("Send /file, the answer's number and the question's, for example /file 123 1.4."))
        return
    outcome = await file_as_organiser(
        turn.session, turn.discussion, args[0].lstrip("#"), args[1], turn.now, (turn.sender.platform, turn.sender.user_id)
    )
    turn.reply(outcome.text)


COMMANDS: tuple[Command, ...] = (
    Command("move", N_("tie one of your answers to another question"), move, arguments="[N] Q"),
    Command("pending", N_("answers waiting for their question"), pending, organiser_only=True),
    Command("file", N_("tie a waiting answer to its question"), file, organiser_only=True, arguments="N Q"),
)
