"""The organisers' chat commands: rounds, status, participants, organiser rights, group chats."""

from __future__ import annotations

import re

from babel.lists import format_list
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import filing, organiser_questions
from bot.discussion import store
from bot.handling.command import N_, Command
from bot.handling.turn import Turn
from bot.handling.unfiled import waiting_per_round
from bot.i18n import _, current_language, format_period, language_name, ngettext, reading_in
from bot.ports import ChatKind
from bot.ports.identity import example_identity, identity_parts
from bot.privacy import hiding
from bot.storage.models import Discussion, Participant, RoundStatus, Venue
from schedules import rounds, timetable


def _round_number(turn: Turn, args: list[str], count: int) -> int | None:
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= count:
        return int(args[0])
    return None


async def _set_round(turn: Turn, args: list[str], opening: bool) -> None:
    assert turn.discussion is not None
    all_rounds = await store.rounds_of(turn.session, turn.discussion)
    number = _round_number(turn, args, len(all_rounds))
    open_now = [r.number for r in all_rounds if r.status == RoundStatus.open]
    if number is None and not args and not opening and len(open_now) == 1:
        number = open_now[0]  # "/close_round" alone: the round that is open
    if number is None:
        turn.reply(
            _("Give a round number from 1 to {count}, for example /{command} 1.").format(
                count=len(all_rounds), command="open_round" if opening else "close_round"
            )
        )
        return
    round_ = all_rounds[number - 1]
    if opening:
        changed = await timetable.open_by_hand(turn.session, turn.discussion, round_, turn.now)
        turn.reply(
            _("Round {number} is open; its questions are being posted.").format(number=number)
            if changed
            else _("Round {number} is already open.").format(number=number)
        )
        turn.post_everywhere = True
    else:
        changed = await rounds.close_round(turn.session, round_, turn.now)
        turn.reply(
            _("Round {number} is closed. Late answers are still recorded, marked as late.").format(number=number)
            if changed
            else _("Round {number} is not open.").format(number=number)
        )


async def open_round(turn: Turn, args: list[str]) -> None:
    await _set_round(turn, args, opening=True)


async def close_round(turn: Turn, args: list[str]) -> None:
    await _set_round(turn, args, opening=False)


async def status(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    turn.reply(await status_text(turn.session, turn.discussion))


STATUS_NAMES = {RoundStatus.scheduled: N_("scheduled"), RoundStatus.open: N_("open"), RoundStatus.closed: N_("closed")}


async def status_text(session: AsyncSession, discussion: Discussion) -> str:
    """Participation per round and question, in the reader's language."""
    figures = await rounds.participation(session, discussion)
    lines = [discussion.title.get(current_language()) or discussion.slug]
    for round_ in figures:
        lines.append("")
        lines.append(
            _("Round {number} ({status}): {period},").format(
                number=round_.number,
                status=_(STATUS_NAMES[round_.status]),
                period=format_period(round_.opens_at, round_.closes_at, discussion.timezone),
            )
            + " "
            + ngettext("{count} participant", "{count} participants", round_.participants).format(count=round_.participants)
        )
        for question in round_.questions:
            languages = (
                format_list([language_name(code, current_language()) for code in question.languages], locale=current_language()) or "—"
            )
            lines.append(
                "  "
                + question.key
                + ": "
                + ngettext("{count} contribution", "{count} contributions", question.contributions).format(count=question.contributions)
                + ", "
                + ngettext("{count} participant", "{count} participants", question.participants).format(count=question.participants)
                + f" ({languages})"
            )
        if round_.waiting:
            lines.append("  " + filing.waiting_line(round_.waiting))
    waiting = sum((await waiting_per_round(session, discussion.id)).values())
    if waiting:
        lines += ["", filing.waiting_line(waiting) + " " + _("/pending lists them; /file ties one to its question.")]
    if asked := await organiser_questions.status_lines(session, discussion):
        lines += ["", *asked]
    if hidden := await hiding.status_lines(session, discussion):
        lines += ["", *hidden]
    return "\n".join(lines)


ROLE_NAMES = {"participant": N_("participant"), "local_authority": N_("local authority staff"), "organiser": N_("organiser")}


async def participants(turn: Turn, args: list[str]) -> None:
    assert turn.discussion is not None
    if not turn.private:  # names, organisations and countries are not the group's to read
        turn.reply(_("Write to me in a private chat: I list the participants only there."))
        return
    rows = await turn.session.execute(
        select(Participant, Venue.platform)
        .join(Venue, Venue.participant_id == Participant.id)
        .where(Venue.discussion_id == turn.discussion.id)
        .order_by(Participant.id)
    )
    people = rows.all()
    lines = [ngettext("{count} participant subscribed:", "{count} participants subscribed:", len(people)).format(count=len(people))]
    for person, platform in people:
        details = ", ".join(
            part for part in (person.organisation, person.country, _(ROLE_NAMES[person.role.value]), person.language, platform) if part
        )
        anonymous = " · " + _("anonymous in reports") if person.anonymous or not person.consent else ""
        lines.append(f"- {person.name or person.display_name or '—'} ({details}){anonymous}")
    turn.reply("\n".join(lines))


_IDENTITY = re.compile(r"^([a-z]+):(\S+)$")


async def _organiser_change(turn: Turn, args: list[str], granting: bool) -> None:
    assert turn.discussion is not None
    match = _IDENTITY.match(args[0]) if len(args) == 1 else None
    if not match:
        turn.reply(_("Give the person as PLATFORM:USER_ID, for example telegram:123456."))
        return
    platform, user_id = match.groups()
    if granting and identity_parts(args[0], turn.platform_names) is None:
        turn.reply(
            _("«{who}» is not a person's id on {platform}. Give it as, for example, {example}.").format(
                who=args[0], platform=platform, example=example_identity(args[0])
            )
        )
        return
    if granting:
        changed = await store.grant_organiser(turn.session, turn.discussion, platform, user_id, turn.now)
        turn.reply(
            _("{who} now organises this discussion.").format(who=args[0])
            if changed
            else _("{who} already organises this discussion.").format(who=args[0])
        )
    else:
        revoked = await store.revoke_organiser(turn.session, turn.discussion, platform, user_id)
        if revoked is None:
            turn.reply(_("{who} was not an organiser of this discussion.").format(who=args[0]))
        elif revoked.from_file:
            turn.reply(
                _(
                    "{who} no longer organises this discussion. They are listed in the discussion file: "
                    "take them out there too, or they organise again at the bot's next start."
                ).format(who=args[0])
            )
        else:
            turn.reply(_("{who} no longer organises this discussion.").format(who=args[0]))


async def organiser_add(turn: Turn, args: list[str]) -> None:
    await _organiser_change(turn, args, granting=True)


async def organiser_remove(turn: Turn, args: list[str]) -> None:
    await _organiser_change(turn, args, granting=False)


async def attach(turn: Turn, args: list[str]) -> None:
    """Post the discussion in this group or channel, in the given language."""
    assert turn.discussion is not None
    if turn.private:
        turn.reply(_("Use /attach in a group or channel, to post the discussion there."))
        return
    code = args[0].lower() if len(args) == 1 else ""
    if code not in turn.discussion.languages:
        turn.reply(
            _("Give the language of this group, one of {languages}, for example /attach {example}.").format(
                languages=", ".join(turn.discussion.languages), example=turn.discussion.languages[0]
            )
        )
        return
    if turn.venue is None:
        turn.venue = Venue(
            discussion_id=turn.discussion.id,
            platform=turn.chat.platform,
            chat_id=turn.chat.chat_id,
            kind=turn.chat.kind if turn.chat.kind != ChatKind.private else ChatKind.group,
            created_at=turn.now,
        )
        turn.session.add(turn.venue)
    turn.venue.discussion_id = turn.discussion.id
    turn.venue.language, turn.venue.active, turn.venue.unreachable = code, True, False
    await turn.session.flush()
    with reading_in(code):
        turn.reply(
            _("This chat now follows «{title}», in {language}. The questions of each round will be posted here.").format(
                title=turn.discussion.title.get(code, turn.discussion.slug), language=language_name(code)
            )
        )
    turn.post_questions = True


async def detach(turn: Turn, args: list[str]) -> None:
    if turn.venue is None or turn.private:
        turn.reply(_("This chat does not follow a discussion."))
        return
    turn.venue.active = False
    turn.reply(_("No more questions will be posted in this chat."))


COMMANDS: tuple[Command, ...] = (
    Command("open_round", N_("open a round and post its questions"), open_round, organiser_only=True, arguments="N"),
    Command("close_round", N_("close a round"), close_round, organiser_only=True, arguments="[N]"),
    Command("status", N_("contributions per round and question"), status, organiser_only=True),
    Command("participants", N_("who has subscribed"), participants, organiser_only=True),
    Command("organiser_add", N_("let someone organise the discussion"), organiser_add, organiser_only=True, arguments="PLATFORM:USER_ID"),
    Command(
        "organiser_remove",
        N_("stop someone organising the discussion"),
        organiser_remove,
        organiser_only=True,
        arguments="PLATFORM:USER_ID",
    ),
    Command("attach", N_("post the discussion in this group, in its language"), attach, organiser_only=True, arguments="LANG"),
    Command("detach", N_("stop posting the discussion in this group"), detach, organiser_only=True),
)
