"""Receiving answers: tie each to its question, store it, acknowledge it.

A message is stored once (unique platform, chat and message id); each part of
it that answers a question is a `Contribution`. When the linking engine is not
sure which question a part answers, the part is kept pending and the
participant is asked, the likeliest questions first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple, cast

from babel.lists import format_list
from sqlalchemy import Table, and_, delete, insert, or_, select

from bot.conversation import announced, filing, organiser_questions
from bot.discussion import store
from bot.discussion.store import DiscussionIndex, IndexedQuestion, question_text
from bot.handling.buttons import read_button
from bot.handling.turn import Turn
from bot.handling.unfiled import DROP, FILE, asked_in_reply, which_question_buttons
from bot.i18n import _, current_language, format_moment, ngettext
from bot.linking import Linked, Segment, worker
from bot.linking.markers import LAST, TypedChoice, typed_choice
from bot.linking.text import fold
from bot.ports import IncomingMessage
from bot.storage.database import inserted_ids
from bot.storage.models import (
    Ask,
    Contribution,
    ContributionEmbedding,
    ContributionMove,
    ContributionStatus,
    Delivery,
    Message,
    MessageRevision,
    Question,
    RoundState,
    TimedRound,
)
from bot.text import shorten

MAX_LENGTH = 16_000  # four times the longest contribution of the 2013 e-discussion
MAX_CHOICES = 4
_MESSAGES, _CONTRIBUTIONS = cast(Table, Message.__table__), cast(Table, Contribution.__table__)
_STORE_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)
_STORE_CONTRIBUTIONS = insert(_CONTRIBUTIONS).returning(_CONTRIBUTIONS.c.id, sort_by_parameter_order=True)  # ids in the parts' order
# From this length, a text is linked in a worker thread, so that other chats' updates go on meanwhile: with the model,
# 300 characters take 3 to 5 ms, 4,000 to 16,000 up to 50 ms. A shorter one (most chat answers) holds the loop a few
# ms at most and stays there: the hop (30 µs) and the threads' turns at the interpreter would slow the common case.
LINKED_IN_A_THREAD_FROM = 300
# How the linker tells that a text names its question ("Q2:", "pregunta dos", the question restated): an
# edit that names another than the one an answer was moved to moves it there.
NAMING_METHODS = frozenset({"reference", "mention", "bare number", "restated"})


async def link(
    index: DiscussionIndex,
    text: str,
    *,
    open_round: int | None,
    reply_to: str | None = None,
    in_thread: bool = False,
    participant_language: str | None = None,
) -> Linked:
    """`index.linker.link`, off the event loop for a long text. A thread may call it while the loop does too:
    its questions' vectors are set once (the same by whoever sets them), what it learns from the answers filed
    is kept under its own lock, the model's cache has its lock, and the model computes in buffers of its own."""
    linking = partial(
        index.linker.link, text, open_round=open_round, reply_to=reply_to, in_thread=in_thread, participant_language=participant_language
    )
    return linking() if len(text) < LINKED_IN_A_THREAD_FROM else await asyncio.to_thread(worker.link_long, index.linker, linking)


def _within_opened_rounds(turn: Turn, index: DiscussionIndex, linked: Linked, open_round: int) -> Linked:
    """Nothing is filed under a question participants have not been asked yet (a slip: "2.1" for
    "1.2"), as nothing is moved there: said to the participant, and the part offered the open round's
    questions, unless the same text is filed under another question it names ("1.3 et 2.1 : …")."""
    opened = filing.opened_rounds(turn.rounds)
    unopened = {
        key: question.round_number
        for key in (*(s.question for s in linked.segments), linked.announces)
        if key and (question := index.questions.get(key)) and question.round_number not in opened
    }
    if not unopened:
        return linked
    for key, number in unopened.items():
        turn.reply(_("Question {key} is in round {number}, which has not opened yet.").format(key=key, number=number))
    filed_texts = {s.text for s in linked.segments if s.question and s.question not in unopened}
    open_questions = tuple(q.key for q in index.linker.round_questions(open_round))
    segments = [
        Segment(None, s.text, None, 0.0, open_questions) if s.question in unopened else s
        for s in linked.segments
        if not (s.question in unopened and s.text in filed_texts)
    ]
    return Linked(linked.language, tuple(segments), linked.asks, None if linked.announces in unopened else linked.announces)


async def _question_announced(turn: Turn, index: DiscussionIndex, open_round: int) -> str | None:
    """The question the participant's previous message in this chat announced, within the window."""
    await turn.load_entities()
    previous = await announced.previous_unfiled(turn)
    return (await link(index, previous, open_round=open_round)).announces if previous is not None else None


async def receive(turn: Turn, message: IncomingMessage, text: str) -> None:
    discussion = turn.discussion_row
    assert discussion is not None and turn.venue_row is not None
    participant = await turn.sender_as_participant()
    index = await turn.index()
    rounds = turn.rounds
    stored = None
    if message.edited:
        await turn.load_entities()
        stored = await turn.session.scalar(
            select(Message).where(
                Message.platform == turn.chat.platform,
                Message.chat_id == turn.chat.chat_id,
                Message.message_id == message.message_id,
            )
        )
        if stored is not None and stored.text == text:
            return
    # A message delivered twice is refused by the database's uniqueness when
    # stored; the engine then drops this handling and its replies.
    elif await _resolve_typed_choice(turn, index, rounds, text, message.reply_to):
        return

    round_, _late = store.current_of(rounds)
    # A message read late (Discord's read-back after a restart, Telegram's
    # queued updates) counts from when it was written.
    written_at = min(message.sent_at or turn.now, turn.now)
    if round_ is not None and written_at < turn.now:
        round_ = store.open_when(rounds, written_at) or round_
    if round_ is None:
        # A first round whose date has passed unopened (a rehearsal, a schedule missed) opens when an organiser opens it: no date to give.
        first = rounds[0] if rounds and rounds[0].opens_at > turn.now else None
        turn.reply(
            _("No round is open yet, so nothing was recorded. The first round opens on {opens}.").format(
                opens=format_moment(first.opens_at, discussion.timezone)
            )
            if first
            else _("No round is open yet, so nothing was recorded.")
        )
        return

    # The box under a question (the web page's) names it; one of a round not yet open names nothing.
    boxed = (
        message.question
        if message.question in index.questions and index.questions[message.question].round_number in filing.opened_rounds(rounds)
        else None
    )
    replied_question = boxed or await _question_replied_to(turn, message)
    linked = await link(
        index,
        text,
        open_round=round_.number,
        reply_to=replied_question,
        # A box under a question is that question's thread: what is written there answers it.
        in_thread=boxed is not None or (bool(message.thread_id) and replied_question is not None and not message.reply_to),
        participant_language=participant.language,
    )
    if linked.asks and stored is None:
        await turn.load_entities()
        await organiser_questions.answer(turn, linked.asks, message, text, round_)
        return
    if linked.points_back and stored is None:  # "Sorry, that was for question 2.": the answer before moves there
        await turn.load_entities()
        if len(before := await filing.answers_before(turn)) == 1:  # which of several is meant is not said
            await filing.move_to(turn, index, before[0], linked.points_back)
            return
    linked = _within_opened_rounds(turn, index, linked, round_.number)
    if linked.announces and stored is None:
        await turn.load_entities()
        announced.keep(turn, index, message, text, linked.language, linked.announces, round_)
        return
    # Unsure of an unmarked message: the question announced just before it, if any, is the one.
    unsure = replied_question is None and len(linked.segments) == 1 and linked.segments[0].question is None
    if unsure and (key := await _question_announced(turn, index, round_.number)):
        linked = await link(index, text, open_round=round_.number, reply_to=key, participant_language=participant.language)
    if not linked.segments and boxed is not None and text.strip():
        # A box under a question is explicit: what is written there answers it, however short ("I agree with Ana").
        linked = Linked(linked.language, (Segment(boxed, text.strip(), "chosen", 1.0),))
    if not linked.segments:
        if stored is None:
            if not turn.private:
                return  # "hello everyone" in a group is said to the group, not to the bot
            if linked.declined:  # "Q3: no comment": said, and nothing to file
                turn.reply(
                    ngettext(
                        "Noted: nothing was recorded for question {questions}. You can still answer it while its round is open.",
                        "Noted: nothing was recorded for questions {questions}. You can still answer them while their round is open.",
                        len(linked.declined),
                    ).format(questions=format_list(list(linked.declined), locale=current_language()))
                )
                return
            turn.reply(
                _("Thank you! To answer a question, reply to its message or start with its number, for example «Q2: …».")
                if turn.answers_by_reply
                else _("Thank you! To answer a question, start your message with its number, for example «Q2: …».")
            )
        else:
            await _revise(turn, stored, text, linked.language)
            if stored.contributions:
                stored.contributions.clear()
                turn.reply(
                    _("Your edit leaves no answer, so the earlier one is withdrawn (its text is kept for the record)."),
                    reply_to=message.message_id,
                )
        return

    if stored is None and turn.last_text == text and await _as_last_time(turn, participant.id, index, linked):
        turn.reply(_("You sent this already: it is recorded once."), reply_to=message.message_id)
        return
    round_id: int | None
    if stored is None:
        # Written as rows, not entities: nothing in the turn reads them back but their ids (the ORM's flush would double the cost).
        connection = turn.transaction
        round_id, received_at = round_.id, written_at
        stored_id = await connection.scalar(
            _STORE_MESSAGE,
            {
                "discussion_id": discussion.id,
                "participant_id": participant.id,
                "platform": turn.chat.platform,
                "chat_id": turn.chat.chat_id,
                "message_id": message.message_id,
                "text": text,
                "language": linked.language,
                "round_id": round_id,
                "received_at": received_at,
            },
        )
        parts = _segment_rows(turn, index, rounds, received_at, linked)
        for part in parts:
            part["message_id"], part["hidden"] = stored_id, False
        ids = await inserted_ids(connection, _STORE_CONTRIBUTIONS, parts)
        written = [
            StoredPart(row_id, part["question_id"], part["status"], part["text"], part["candidates"], part["late"])
            for row_id, part in zip(ids, parts, strict=True)
        ]
    else:
        await _revise(turn, stored, text, linked.language)
        round_id = stored.round_id
        written = await _rewrite_contributions(turn, stored, _segment_rows(turn, index, rounds, stored.received_at, linked))
    turn.stored_answers = True
    acknowledge(turn, index, rounds, written, round_id, message.message_id, edited=stored is not None)


async def _rewrite_contributions(turn: Turn, stored: Message, parts: list[dict[str, Any]]) -> list[StoredPart]:
    """An edited message's answers, part by part in place: each keeps its number, its hiding, and the
    question its author or an organiser chose for it (unless the edit names another); its meaning is
    computed again. A part the edit adds is written new (hidden if all the others were), one it drops
    is withdrawn."""
    earlier = sorted(stored.contributions, key=lambda contribution: contribution.position)
    all_hidden = bool(earlier) and all(contribution.hidden for contribution in earlier)
    # Where each was before it was moved: the edit that still names that question leaves the move as it is.
    moved_from: dict[int, set[int | None]] = {}
    moves = select(ContributionMove.contribution_id, ContributionMove.from_question_id).where(
        ContributionMove.contribution_id.in_([contribution.id for contribution in earlier])
    )
    for contribution_id, from_question_id in (await turn.session.execute(moves)).all():
        moved_from.setdefault(contribution_id, set()).add(from_question_id)
    rewritten: list[Contribution] = []
    for position, part in enumerate(parts):
        if position < len(earlier):
            contribution = earlier[position]
            chosen = contribution.method == "chosen" and contribution.status == ContributionStatus.filed
            names_another = part["method"] in NAMING_METHODS and part["question_id"] not in {
                contribution.question_id,
                *moved_from.get(contribution.id, ()),
            }
            if not chosen or names_another:
                for field in ("question_id", "status", "method", "confidence", "candidates", "late", "asked_at"):
                    setattr(contribution, field, part[field])
            contribution.text, contribution.updated_at = part["text"], turn.now
        else:
            contribution = Contribution(
                message_id=stored.id, hidden=all_hidden, **{key: value for key, value in part.items() if key != "message_id"}
            )
            turn.session.add(contribution)
        rewritten.append(contribution)
    for contribution in earlier[len(parts) :]:
        await turn.session.delete(contribution)
    await turn.session.flush()
    kept_ids = [contribution.id for contribution in earlier[: len(parts)]]
    await turn.session.execute(delete(ContributionEmbedding).where(ContributionEmbedding.contribution_id.in_(kept_ids)))
    return [StoredPart(c.id, c.question_id, c.status, c.text, list(c.candidates), c.late) for c in rewritten]


async def _as_last_time(turn: Turn, participant_id: int, index: DiscussionIndex, linked: Linked) -> bool:
    """Whether the sender's latest message in this chat, the same text, went to the same questions
    (sent twice by mistake): the same "yes" replied to two questions is two answers."""
    latest = (
        select(Message.id)
        .where(Message.participant_id == participant_id, Message.platform == turn.chat.platform, Message.chat_id == turn.chat.chat_id)
        .order_by(Message.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    before = sorted(
        question_id or 0
        for question_id in await turn.session.scalars(select(Contribution.question_id).where(Contribution.message_id == latest))
    )
    now = sorted(index.questions[segment.question].id if segment.question in index.questions else 0 for segment in linked.segments)
    return before == now


async def _revise(turn: Turn, stored: Message, text: str, language: str | None) -> None:
    """The message's new text; the earlier one kept as a revision."""
    await turn.session.refresh(stored, ["contributions"])
    turn.session.add(MessageRevision(message_id=stored.id, text=stored.text, replaced_at=turn.now))
    stored.text, stored.language, stored.edited_at = text, language, turn.now


class StoredPart(NamedTuple):
    """A contribution just written, as its acknowledgement reads it."""

    id: int
    question_id: int | None
    status: ContributionStatus
    text: str
    candidates: list[str]
    late: bool


def _segment_rows(
    turn: Turn, index: DiscussionIndex, rounds: Sequence[TimedRound], received_at: dt.datetime, linked: Linked
) -> list[dict[str, Any]]:
    """The message's contributions, as rows (without their message's id and their hiding)."""
    # Late: its round had closed when the message first came (an edit made later changes nothing to that).
    closed = {r.number for r in rounds if r.closed_by(received_at)}
    rows = []
    for position, segment in enumerate(linked.segments, start=1):
        question = index.questions.get(segment.question or "")
        rows.append(
            {
                "position": position,
                "question_id": question.id if question else None,
                "status": ContributionStatus.filed if question else ContributionStatus.pending,
                "text": segment.text,
                "method": segment.method if question else None,
                "confidence": segment.confidence,
                "candidates": [] if question else [k for k in segment.candidates if k in index.questions][:MAX_CHOICES],
                "late": question is not None and question.round_number in closed,
                "created_at": turn.now,
                "updated_at": turn.now,
                # A pending part is asked about in this turn's replies (`acknowledge`): a typed id answers the latest ask.
                "asked_at": None if question else turn.now,
            }
        )
    return rows


def acknowledge(
    turn: Turn,
    index: DiscussionIndex,
    rounds: Sequence[RoundState],
    parts: list[StoredPart],
    round_id: int | None,
    message_id: str,
    edited: bool,
) -> None:
    """Say where each part went, and ask about each part that is pending."""
    filed = [index.by_id[cast(int, c.question_id)] for c in parts if c.status == ContributionStatus.filed]
    if filed:
        keys = [question.key for question in filed]
        if edited:
            text = _("Your edit is saved under {questions}; the earlier text is kept.").format(
                questions=format_list(keys, locale=current_language())
            )
        elif len(filed) == 1:
            text = recorded_under(turn, filed[0])
        else:
            text = _("Thank you! Recorded under questions {questions}.").format(questions=format_list(keys, locale=current_language()))
        if any(c.late for c in parts):
            text += " " + _("That round is closed: the answer is kept, marked as late.")
        turn.reply(text, buttons=filing.wrong_question_buttons(parts, index), reply_to=message_id)
    current = next((r for r in rounds if r.id == round_id), None) or store.current_of(rounds)[0]
    for contribution in parts:
        if contribution.status == ContributionStatus.pending:
            ask_which_question(turn, index, contribution, current.number if current else None, message_id)


def recorded_under(turn: Turn, question: IndexedQuestion) -> str:
    assert turn.discussion_row is not None
    return _("Thank you! Recorded under question {key}: «{question}».").format(
        key=question.key, question=shorten(question_text(question, turn.language, turn.discussion_row), 90)
    )


def ask_which_question(turn: Turn, index: DiscussionIndex, contribution: StoredPart, round_number: int | None, message_id: str) -> None:
    """Ask about this text, and this one only: its buttons carry its id, and a
    question id typed next answers the latest ask (`asked_at`, written with it)."""
    assert turn.discussion_row is not None
    keys = contribution.candidates or index.round_keys(round_number)[:MAX_CHOICES]
    buttons = which_question_buttons(
        contribution.id,
        ((key, question_text(index.questions[key], turn.language, turn.discussion_row)) for key in keys if key in index.questions),
        _("None of them"),
    )
    example = next((key for key in keys if key in index.questions), "1.1")
    turn.asked_which_question = True
    turn.reply(
        # "Choose" rather than "tap": the console and e-mail show choices too.
        _("Which question does this answer? «{excerpt}» Choose one below, or send the question's number, for example {key}.").format(
            excerpt=shorten(contribution.text, 80), key=example
        ),
        buttons=buttons,
        reply_to=message_id,
    )


async def handle_button(turn: Turn, data: str) -> bool:
    pressed = read_button(data)
    kind, contribution_id, key = pressed.kind, pressed.value(0), pressed.value(1)
    if kind not in (FILE, DROP):
        return False
    contribution = await filing.own_contribution(turn, contribution_id)
    if contribution is None or turn.discussion is None:
        turn.reply(_("That choice is not yours to make, or has expired."), private=True)
        return True
    index = await turn.index()
    if contribution.status == ContributionStatus.filed:
        question = index.by_id.get(contribution.question_id) if contribution.question_id is not None else None
        turn.reply(_("This answer is already recorded under question {key}.").format(key=question.key if question else "?"))
        return True
    if kind == DROP:
        await _drop(turn, contribution)
        return True
    await filing.move_to(turn, index, contribution, key)
    return True


async def _drop(turn: Turn, contribution: Contribution) -> None:
    """A text the participant says answers none of the questions offered: not recorded as an answer."""
    await turn.session.delete(contribution)
    turn.reply(_("Understood: «{excerpt}» is not recorded as an answer.").format(excerpt=shorten(contribution.text, 80)))


def typed_question(index: DiscussionIndex, rounds: Sequence[RoundState], text: str) -> str | None:
    """The question a choice typed alone names ("2", "1.2", "Q2", "the second one", "1.2 please"): a key as
    typed, or the current round's second question for "2" (the number as typed when that round has no such
    question). None for "none of them", and for a text that says more than a choice."""
    return _chosen_question(index, rounds, typed_choice(fold(text)))


def _chosen_question(index: DiscussionIndex, rounds: Sequence[RoundState], choice: TypedChoice | None) -> str | None:
    """`typed_question` of a choice already read."""
    if choice is None or choice.position is None:
        return None
    if choice.round_number is not None:
        return f"{choice.round_number}.{choice.position}"
    current, _late = store.current_of(rounds)
    in_round = index.round_keys(current.number if current else None)
    position = len(in_round) if choice.position == LAST else choice.position
    return in_round[position - 1] if 1 <= position <= len(in_round) else str(choice.position)


async def _resolve_typed_choice(turn: Turn, index: DiscussionIndex, rounds: Sequence[RoundState], text: str, reply_to: str | None) -> bool:
    """A choice typed alone ("2", "1.2", "the second one", "none of them") answers a "which question?":
    the one it replies to, else the latest asked in this chat about a text still pending."""
    choice = typed_choice(fold(text))
    if choice is None:
        return False
    await turn.load_entities()
    if turn.participant is None:
        return False
    if reply_to:
        pending = await asked_in_reply(turn.session, turn.participant.id, turn.chat.platform, turn.chat.chat_id, reply_to)
        if pending is None:
            return False  # a reply to a question, or to anything else, is an answer
    else:
        asked_here = select(Ask.contribution_id).where(Ask.platform == turn.chat.platform, Ask.chat_id == turn.chat.chat_id)
        pending = await turn.session.scalar(
            select(Contribution)
            .join(Message)
            .where(
                Message.participant_id == turn.participant.id,
                or_(and_(Message.platform == turn.chat.platform, Message.chat_id == turn.chat.chat_id), Contribution.id.in_(asked_here)),
                Contribution.status == ContributionStatus.pending,
            )
            .order_by(Contribution.asked_at.desc().nulls_last(), Contribution.id.desc())
            .limit(1)
        )
    if pending is None:
        return False
    key = _chosen_question(index, rounds, choice)
    if key is None:  # "none of them", as its button
        await _drop(turn, pending)
    else:
        await filing.move_to(turn, index, pending, key)
    return True


async def _question_replied_to(turn: Turn, message: IncomingMessage) -> str | None:
    """The question whose message this replies to, or whose thread it is posted in;
    none for a message that posted several (a round's whole mail): the text says which."""
    if not (message.reply_to or message.thread_id) or turn.venue_id is None:
        return None
    conditions = []
    if message.reply_to:
        conditions.append(Delivery.message_id == message.reply_to)
    if message.thread_id:
        conditions.append(Delivery.thread_id == message.thread_id)
    keys = (
        await turn.session.scalars(
            select(Question.key)
            .join(Delivery, Delivery.question_id == Question.id)
            .where(Delivery.venue_id == turn.venue_id, or_(*conditions))
            .limit(2)
        )
    ).all()
    return keys[0] if len(keys) == 1 else None
