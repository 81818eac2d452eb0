"""Subscribing a participant: language, consent, then the profile the seed's
organisers had to ask for by hand (name, organisation, country, role).

Every prompt can be skipped (a button, or /skip), and a participant who
answers a question instead of a prompt is not trapped: a reply to a question,
or anything long, is taken as a contribution and the prompt waits.
"""

from __future__ import annotations

from bot.handling.turn import Turn
from bot.i18n import _, language_name, reading_in
from bot.ports import Button, ChatKind, IncomingMessage
from bot.storage.models import Role, Venue

# The order prompts come in; text steps take the next short message as their answer.
STEPS = ("language", "consent", "name", "organisation", "country", "role")
TEXT_STEPS = ("name", "organisation", "country")
PROFILE_FIELD_LIMIT = 200


def skip_button() -> Button:
    return Button(_("Skip"), "skip")


def language_buttons(languages: list[str]) -> tuple[Button, ...]:
    """Each language named in itself, as a label: "Français", "English", "Español"."""
    return tuple(Button(language_name(code)[:1].upper() + language_name(code)[1:], f"lang:{code}") for code in languages)


def prompt(turn: Turn, step: str) -> None:
    """Ask the participant the given step's question, in their language."""
    assert turn.participant is not None and turn.discussion is not None
    if step == "language":
        turn.reply(
            _("I will write to you in {language}. Choose another language, or skip.").format(language=language_name(turn.language)),
            buttons=(*language_buttons(turn.discussion.languages), skip_button()),
        )
    elif step == "consent":
        turn.reply(
            _(
                "What is stored: your answers, the name, organisation, country and role you give, your language, "
                "and your account on this chat platform. When the discussion ends, the organisers publish a "
                "consolidated report of the answers. How may your answers appear in it?"
            )
            + " "
            + _("You can see everything stored about you with /mydata, and erase it with /forget."),
            buttons=(
                Button(_("With my name, organisation and country"), "consent:named"),
                Button(_("Anonymously"), "consent:anonymous"),
                skip_button(),
            ),
        )
    elif step == "name":
        turn.reply(_("What is your name? (or /skip)"), buttons=(skip_button(),))
    elif step == "organisation":
        turn.reply(_("Which organisation do you work for? (or /skip)"), buttons=(skip_button(),))
    elif step == "country":
        turn.reply(_("In which country? (or /skip)"), buttons=(skip_button(),))
    elif step == "role":
        turn.reply(
            _("Do you work for a local or regional authority?"),
            buttons=(
                Button(_("Yes, local or regional authority staff"), f"role:{Role.local_authority.value}"),
                Button(_("No"), f"role:{Role.participant.value}"),
                skip_button(),
            ),
        )


def advance(turn: Turn, step: str | None) -> None:
    """Move past `step` to the next prompt (or finish)."""
    participant = turn.participant
    assert participant is not None
    following = STEPS[STEPS.index(step) + 1] if step in STEPS and step != STEPS[-1] else None
    participant.onboarding_step = following
    if step == "language":
        # The open round's questions come once the language is settled.
        turn.post_questions = True
    if following is not None:
        prompt(turn, following)
    elif step is not None:
        turn.reply(
            _(
                "Thank you, that is all. Answer the questions as they come: reply to a question's message, "
                "or start your message with its number (for example «Q2: …»). /help lists what you can do."
            )
        )


async def subscribe(turn: Turn) -> None:
    """/start in a private chat: follow the discussion here and begin the prompts."""
    assert turn.discussion is not None
    participant = await turn.ensure_participant()
    if turn.venue is None:
        turn.venue = Venue(
            discussion_id=turn.discussion.id,
            platform=turn.chat.platform,
            chat_id=turn.chat.chat_id,
            kind=ChatKind.private,
            participant_id=participant.id,
            created_at=turn.now,
        )
        turn.session.add(turn.venue)
    elif turn.venue.discussion_id != turn.discussion.id:
        turn.venue.discussion_id = turn.discussion.id
    turn.venue.active = True
    turn.venue.unreachable = False
    if participant.language is None or participant.language not in turn.discussion.languages:
        participant.language = turn.language if turn.language in turn.discussion.languages else turn.discussion.languages[0]
    participant.onboarding_step = "language"
    await turn.session.flush()
    with reading_in(participant.language):
        title = turn.discussion.title.get(participant.language, "")
        invitation = turn.discussion.invitation.get(participant.language, "")
        turn.reply(_("Welcome to the e-discussion «{title}».").format(title=title) + "\n\n" + invitation)
        prompt(turn, "language")


async def handle_button(turn: Turn, data: str) -> bool:
    """Returns False when the button is not an onboarding one."""
    participant = turn.participant
    kind, _sep, value = data.partition(":")
    if kind not in ("lang", "consent", "role", "skip") or participant is None or turn.discussion is None:
        return False
    step = participant.onboarding_step
    if kind == "lang":
        if value not in turn.discussion.languages:
            return False
        participant.language = value
        with reading_in(value):
            turn.reply(_("From now on I will write to you in {language}.").format(language=language_name(value)))
            if step == "language":
                advance(turn, step)
        return True
    if kind == "skip":
        with reading_in(turn.language):
            if step is None:
                turn.reply(_("There is nothing to skip."))
            else:
                advance(turn, step)
        return True
    if kind == "consent" and value in ("named", "anonymous"):
        participant.consent = True
        participant.anonymous = value == "anonymous"
        turn.reply(
            _("Your answers will be published with your name, organisation and country.")
            if value == "named"
            else _("Your answers will be published without your name or organisation.")
        )
        if step == "consent":
            advance(turn, step)
        return True
    if kind == "role" and value in (Role.participant.value, Role.local_authority.value):
        if participant.role != Role.organiser:
            participant.role = Role(value)
        if step == "role":
            advance(turn, step)
        else:
            turn.reply(_("Your profile is updated."))
        return True
    return False


async def handle_text(turn: Turn, text: str, message: IncomingMessage) -> bool:
    """A short message while a profile prompt waits is its answer. Returns
    False when the message is not one (it is then taken as a contribution)."""
    participant = turn.participant
    if participant is None or not turn.private:
        return False
    step = participant.onboarding_step
    if step not in TEXT_STEPS:
        return False
    if message.reply_to or message.edited or "\n" in text or len(text) > PROFILE_FIELD_LIMIT:
        return False
    setattr(participant, step, text)
    advance(turn, step)
    return True


async def skip(turn: Turn) -> None:
    """/skip"""
    if turn.participant is None or turn.participant.onboarding_step is None:
        turn.reply(_("There is nothing to skip."))
    else:
        advance(turn, turn.participant.onboarding_step)


async def restart_profile(turn: Turn) -> None:
    """/profile: the profile prompts again, each skippable."""
    participant = await turn.ensure_participant()
    summary = _("Your profile: name: {name}; organisation: {organisation}; country: {country}.").format(
        name=participant.name or "—", organisation=participant.organisation or "—", country=participant.country or "—"
    )
    turn.reply(summary)
    participant.onboarding_step = "name"
    prompt(turn, "name")
