"""The participants' chat commands: joining, help, language, profile, questions, reminders."""

from __future__ import annotations

from babel.lists import format_list

from bot.conversation import onboarding
from bot.discussion import store
from bot.handling.command import N_, Command
from bot.handling.turn import Turn
from bot.i18n import _, current_language, format_moment, language_name, reading_in


async def start(turn: Turn, args: list[str]) -> None:
    if args:
        discussion = await store.find_discussion(turn.session, args[0])
        if discussion is None:
            turn.reply(_("There is no discussion called {name}.").format(name=args[0]))
            return
        turn.discussion = discussion
    if turn.discussion is None:
        turn.reply(_("No discussion is running here yet."))
        return
    if not turn.private:
        turn.reply(_("Write to me in a private chat to subscribe. Here, simply answer the questions when they are posted."))
        return
    await onboarding.subscribe(turn)


async def help_(turn: Turn, args: list[str]) -> None:
    organiser = await turn.is_organiser()
    lines = [_("What you can do:")]
    for command in turn.commands:
        if command.organiser_only and not organiser:
            continue
        usage = f"/{command.name}" + (f" {command.arguments}" if command.arguments else "")
        lines.append(f"{usage}: {_(command.description)}")
    lines.append("")
    lines.append(
        _("To answer a question, reply to its message, or start your message with its number, for example «Q2: …».")
        if turn.answers_by_reply
        else _("To answer a question, start your message with its number, for example «Q2: …».")
    )
    turn.reply("\n".join(lines))


async def language(turn: Turn, args: list[str]) -> None:
    if turn.discussion is None:
        turn.reply(_("No discussion is running here yet."))
        return
    participant = await turn.ensure_participant()
    if not args:
        turn.reply(
            _("Which language shall I write to you in?"),
            buttons=onboarding.language_buttons(turn.discussion.languages),
        )
        return
    code = args[0].lower()
    if code not in turn.discussion.languages:
        turn.reply(
            _("This discussion is held in {languages}. Send, for example, /language {example}.").format(
                languages=format_list([language_name(c, current_language()) for c in turn.discussion.languages], locale=current_language()),
                example=turn.discussion.languages[0],
            )
        )
        return
    participant.language = code
    with reading_in(code):
        turn.reply(_("From now on I will write to you in {language}.").format(language=language_name(code)))


async def profile(turn: Turn, args: list[str]) -> None:
    if not turn.private:
        turn.reply(_("Write to me in a private chat to change your profile."))
        return
    await onboarding.restart_profile(turn)


async def skip(turn: Turn, args: list[str]) -> None:
    await onboarding.skip(turn)


async def questions(turn: Turn, args: list[str]) -> None:
    """The open round's questions again, as text (their first posting keeps the reply links)."""
    if turn.discussion is None:
        turn.reply(_("No discussion is running here yet."))
        return
    round_, late = await store.current_round(turn.session, turn.discussion)
    if round_ is None or late:
        turn.reply(_("No round is open at the moment."))
        return
    rows = await store.questions_of_round(turn.session, round_)
    lines = [
        _("Round {number}, open until {closes}:").format(
            number=round_.number, closes=format_moment(round_.closes_at, turn.discussion.timezone)
        )
    ]
    lines += [f"\n{q.key}. {store.question_text(q, turn.language, turn.discussion)}" for q in rows]
    turn.reply("\n".join(lines))


async def reminders(turn: Turn, args: list[str]) -> None:
    participant = await turn.ensure_participant()
    choice = args[0].lower() if args else ""
    if choice not in ("on", "off"):
        turn.reply(_("Send /reminders on or /reminders off."))
        return
    participant.reminders = choice == "on"
    turn.reply(_("Reminders are on.") if participant.reminders else _("Reminders are off."))


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("join the discussion"), start),
    Command("help", N_("what you can do"), help_),
    Command("questions", N_("the open round's questions"), questions),
    Command("language", N_("change your language"), language, arguments="fr|en|es"),
    Command("profile", N_("your name, organisation, country and role"), profile),
    Command("skip", N_("skip the current question about you"), skip),
    Command("reminders", N_("turn reminders on or off"), reminders, arguments="on|off"),
)
