"""A closed round's wrap-up: posted in every chat that received the round's
questions, in that chat's language: contributions per question, how many
participants, in which languages, and when the next round opens.

Posting is resumable like the questions': each wrap-up is recorded (`WrapUp`,
unique per chat and round) right after the platform accepts it, and
`post_missing_wrap_ups` posts only what is not recorded, so a closing that is
interrupted, or run again, posts each wrap-up exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging

from babel.lists import format_list
from sqlalchemy import and_, exists, select

from bot.discussion import store
from bot.discussion.store import venue_language
from bot.i18n import _, current_language, format_moment, language_name, ngettext, reading_in
from bot.ports import ChatKind, ChatRef, Outbox, OutgoingMessage, RecipientUnreachable
from bot.storage.models import Delivery, Discussion, Participant, Question, Round, RoundStatus, Venue, WrapUp
from schedules.reminders import zone_named
from schedules.rounds import RoundFigures, participation

log = logging.getLogger(__name__)


def wrap_up_text(figures: RoundFigures, following: Round | None, last: bool, zone: str) -> str:
    """Call inside `reading_in` the chat's language. `following`: the round
    open now, or else the next one scheduled; `last`: no round comes after this one."""
    language = current_language()
    contributions = sum(question.contributions for question in figures.questions)
    languages = sorted({code for question in figures.questions for code in question.languages})
    lines = [_("Round {number} is closed. Thank you!").format(number=figures.number)]
    if contributions:
        lines.append(
            ngettext("{count} contribution", "{count} contributions", contributions).format(count=contributions)
            + ", "
            + ngettext("{count} participant", "{count} participants", figures.participants).format(count=figures.participants)
            + ", "
            + _("in {languages}").format(languages=format_list([language_name(code, language) for code in languages], locale=language))
            + ":"
        )
        for question in figures.questions:
            lines.append(
                f"  {question.key}: "
                + ngettext("{count} contribution", "{count} contributions", question.contributions).format(count=question.contributions)
            )
    elif not figures.waiting:
        lines.append(_("No contributions were received in this round."))
    if figures.waiting:
        lines.append(
            ngettext(
                "{count} more answer waits for its question: its author can still choose it.",
                "{count} more answers wait for their question: their authors can still choose it.",
                figures.waiting,
            ).format(count=figures.waiting)
        )
    lines.append("")
    if following is not None and following.status == RoundStatus.open:
        lines.append(_("Round {number} is open now.").format(number=following.number))
    elif following is not None:
        lines.append(_("Round {number} opens on {opens}.").format(number=following.number, opens=format_moment(following.opens_at, zone)))
    elif last:
        lines.append(_("This was the last round. The organisers will share a summary of all contributions."))
    else:
        lines.append(_("No other round is open or scheduled at the moment."))
    lines.append(_("Answers to round {number} are still recorded, marked as late.").format(number=figures.number))
    return "\n".join(lines)


async def post_missing_wrap_ups(outbox: Outbox, now: dt.datetime, discussion_id: int | None = None) -> int:
    """Post every closed round's wrap-up that a chat which received its
    questions has not received yet. Returns how many were posted."""
    posted = 0
    async with outbox.sessions() as session:
        received = exists().where(Delivery.venue_id == Venue.id, Delivery.question_id == Question.id, Question.round_id == Round.id)
        rows = await session.execute(
            select(Venue, Round, Discussion, Participant)
            .join(Discussion, Venue.discussion_id == Discussion.id)
            .join(Round, and_(Round.discussion_id == Discussion.id, Round.status == RoundStatus.closed))
            .outerjoin(Participant, Venue.participant_id == Participant.id)
            .outerjoin(WrapUp, and_(WrapUp.venue_id == Venue.id, WrapUp.round_id == Round.id))
            .where(
                WrapUp.id.is_(None),
                received,
                Venue.active.is_(True),
                Venue.unreachable.is_(False),
                Venue.platform.in_(list(outbox.platform_names)),
                Discussion.paused.is_(False),
                *([Discussion.id == discussion_id] if discussion_id is not None else []),
            )
            .order_by(Round.number, Venue.id)
        )
        figures: dict[int, dict[int, RoundFigures]] = {}
        for venue, round_, discussion, participant in rows.all():
            if venue.unreachable:  # refused an earlier round's wrap-up in this loop
                continue
            if discussion.id not in figures:
                figures[discussion.id] = {f.number: f for f in await participation(session, discussion)}
            all_rounds = await store.rounds_of(session, discussion)
            following = next((r for r in all_rounds if r.status == RoundStatus.open), None) or next(
                (r for r in all_rounds if r.number > round_.number and r.status == RoundStatus.scheduled), None
            )
            last = round_.number == max(r.number for r in all_rounds)
            private_zone = participant.timezone if venue.kind == ChatKind.private and participant is not None else None
            zone = private_zone if private_zone and zone_named(private_zone) else discussion.timezone
            with reading_in(venue_language(venue, participant, discussion)):
                text = wrap_up_text(figures[discussion.id][round_.number], following, last, zone)
            chat = ChatRef(platform=venue.platform, chat_id=venue.chat_id, kind=venue.kind)
            try:
                sent = await outbox.send(OutgoingMessage(chat=chat, text=text))
            except RecipientUnreachable:
                log.info("venue %s is unreachable; no more messages are posted there", venue.id)
                venue.unreachable = True
                await session.commit()
                continue
            session.add(WrapUp(venue_id=venue.id, round_id=round_.id, message_id=sent.message_id, posted_at=now))
            await session.commit()
            posted += 1
    return posted
