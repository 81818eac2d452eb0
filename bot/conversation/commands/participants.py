"""The participants' chat commands: joining, help, language, profile, questions, reading
what others published, reminders."""

from __future__ import annotations

from babel.lists import format_list
from sqlalchemy import select

from bot.conversation import contributions, onboarding, organiser_questions, web_access
from bot.discussion import store
from bot.handling.command import N_, Command
from bot.handling.turn import Turn
from bot.i18n import _, current_language, language_name, language_named, reading_in
from bot.storage.models import Contribution, ContributionStatus, Message
from bot.text import shorten
from schedules.reminders import wants_reminders

READ_AT_MOST = 10  # others' answers one chat message shows, the latest; the web page (/web) shows more
READ_EXCERPT = 400  # characters of each


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
        usage = f"/{command.name}" + (f" {_(command.arguments)}" if command.arguments else "")
        lines.append(f"{usage}: {_(command.description)}")
    lines += ["", organiser_questions.how_to_answer(turn)]
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
    code = language_named(" ".join(args), turn.discussion.languages)
    if code is None:
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
    turn.reply("\n".join(await organiser_questions.round_questions(turn, round_, timezone=turn.discussion.timezone)))


async def read(turn: Turn, args: list[str]) -> None:
    """/read 1.2: what the others published under a question, as the report publishes it; once
    one's own answer to it is in, unless the discussion shows them at once (`others_answers`)."""
    discussion = turn.discussion
    if discussion is None:
        turn.reply(_("No discussion is running here yet."))
        return
    index = await turn.index()
    key = contributions.typed_question(index, turn.rounds, args[0]) if args else None
    question = index.questions.get(key) if key else None
    if question is None:
        round_, _late = store.current_of(turn.rounds)
        example = next((q.key for q in index.questions.values() if round_ and q.round_number == round_.number), "1.1")
        usage = _("Send /read and a question's number to read what others answered, for example /read {key}.").format(key=example)
        # "/read 1.9": the number is said back, so that the sender sees what was not found.
        turn.reply(_("There is no question {key}.").format(key=" ".join(args)[:20]) + " " + usage if args else usage)
        return
    own = set()
    if turn.participant is not None:
        own = set(
            await turn.session.scalars(
                select(Contribution.id)
                .join(Message, Contribution.message_id == Message.id)
                .where(Message.participant_id == turn.participant.id, Contribution.question_id == question.id)
                .where(Contribution.status == ContributionStatus.filed)
            )
        )
    if not own and discussion.others_answers != "at_once":
        turn.reply(_("You will see the others' answers to {key} once you have sent yours.").format(key=question.key))
        return
    published = await web_access.published_answers(turn.session, discussion, question.id, question.key, own, READ_AT_MOST)
    if not published:
        turn.reply(_("Nobody else has answered {key} yet.").format(key=question.key))
        return
    lines = [
        _("The latest answers to {key}, «{question}»:").format(
            key=question.key, question=shorten(store.question_text(question, turn.language, discussion), 90)
        )
    ]
    anonymous = _("anonymous")
    for answer in published:
        language = f" ({language_name(answer.language, current_language())})" if answer.language else ""
        lines.append(f"\n«{shorten(answer.text, READ_EXCERPT)}»\n— {answer.author or anonymous}{language}")
    turn.reply("\n".join(lines))


async def reminders(turn: Turn, args: list[str]) -> None:
    participant = await turn.ensure_participant()
    choice = args[0].lower() if args else ""
    if choice not in ("on", "off"):  # where they stand, and how to change it
        on = wants_reminders(participant.reminders, participant.role)
        turn.reply(
            _("Reminders are on.") + " " + _("Send /reminders off to stop them.")
            if on
            else _("Reminders are off.") + " " + _("Send /reminders on to be reminded before a round closes.")
        )
        return
    participant.reminders = choice == "on"
    turn.reply(_("Reminders are on.") if participant.reminders else _("Reminders are off."))


COMMANDS: tuple[Command, ...] = (
    Command("start", N_("join the discussion"), start),
    Command("help", N_("what you can do"), help_),
    Command("questions", N_("the open round's questions"), questions),
    Command("read", N_("what others answered to a question"), read, arguments="Q"),
    Command("language", N_("change your language"), language, arguments="fr|en|es"),
    Command("profile", N_("your name, organisation, country and role"), profile),
    Command("skip", N_("skip the current question about you"), skip),
    Command("reminders", N_("turn reminders on or off"), reminders, arguments="on|off"),
)
