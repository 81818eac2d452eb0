"""Subscribing a participant: language, consent, then the profile the seed's
organisers had to ask for by hand (name, organisation, country, role).

Every prompt can be skipped (a button, or /skip), and a participant who
answers a question instead of a prompt is not trapped: a reply to a question,
a text that names its question ("Q1: …"), or anything long, is taken as a
contribution, and the prompt is asked again. Other text typed while a button
prompt waits gets the prompt again, with a line saying why. /start again
resumes at the prompt that waits.
"""

from __future__ import annotations

import re
from typing import cast

from sqlalchemy import String

from bot.conversation import contributions
from bot.discussion import store
from bot.handling.buttons import button_data, read_button
from bot.handling.turn import Turn
from bot.i18n import _, language_name, language_named, reading_in, typed_key
from bot.linking.text import fold, is_phatic_sentence
from bot.ports import Button, ChatKind, IncomingMessage
from bot.storage.models import LANGUAGE_STEP, Participant, Role, Venue
from schedules import zones

# The order prompts come in; text steps take the next short message as their answer.
STEPS = (LANGUAGE_STEP, "consent", "name", "organisation", "country", "role")
TEXT_STEPS = ("name", "organisation", "country")
TYPED_LABEL_WORDS = 3  # at most this many words of a button's label, typed, choose it
PROFILE_FIELD_LIMIT = 200  # longer is taken as an answer to a question, not a profile field
# A name, an organisation or a country is no sentence: this many words ending with a full stop
# ("We run radio programmes for the diaspora."), or twice as many, is what someone says.
SENTENCE_WORDS = 6
SHORTEST_PROFILE_VALUE = 2
# What each profile column holds (a longer value is refused with a clear answer, not a database error).
PROFILE_COLUMNS: dict[str, int] = {
    step: cast(String, Participant.__table__.c[step].type).length or PROFILE_FIELD_LIMIT for step in TEXT_STEPS
}
# What the linker says when a text names its question ("Q1: …", "Pregunta 2", a restated question):
# such a text is an answer even while a profile prompt waits. A match on content alone is not
# ("Ville de Paris, coopération décentralisée" is an organisation that shares a question's words).
_NAMED_QUESTION = ("reference", "restated", "mention", "bare number")


def skip_button() -> Button:
    return Button(_("Skip"), "skip")


def language_buttons(languages: list[str]) -> tuple[Button, ...]:
    """Each language named in itself, as a label: "Français", "English", "Español"."""
    return tuple(Button(language_name(code)[:1].upper() + language_name(code)[1:], button_data("lang", code)) for code in languages)


def consent_buttons() -> tuple[Button, ...]:
    """How a participant's answers may be published: named, or anonymous."""
    return (
        Button(_("With my name, organisation and country"), button_data("consent", "named")),
        Button(_("Anonymously"), button_data("consent", "anonymous")),
    )


def prompt(turn: Turn, step: str, note: str = "") -> None:
    """Ask the participant the given step's question, in their language,
    after `note` (why it is asked again) if given."""
    text, buttons = _step_prompt(turn, step)
    turn.reply(f"{note}\n\n{text}" if note else text, buttons=buttons)


def _step_prompt(turn: Turn, step: str) -> tuple[str, tuple[Button, ...]]:
    """The step's question and its buttons, in the reader's language."""
    assert turn.participant is not None and turn.discussion is not None
    if step == LANGUAGE_STEP:
        return (
            _("I will write to you in {language}. Choose another language, or skip.").format(language=language_name(turn.language)),
            (*language_buttons(turn.discussion.languages), skip_button()),
        )
    if step == "consent":
        return (
            _(
                "What is stored: your answers, the name, organisation, country and role you give, your language, "
                "and your account on this chat platform. When the discussion ends, the organisers publish a "
                "consolidated report of the answers. How may your answers appear in it?"
            )
            + " "
            + _("You can see everything stored about you with /mydata, and erase it with /forget."),
            (*consent_buttons(), skip_button()),
        )
    if step == "name":
        return _("What is your name? (or /skip)"), (skip_button(),)
    if step == "organisation":
        return _("Which organisation do you work for? (or /skip)"), (skip_button(),)
    if step == "country":
        return _("In which country? (or /skip)"), (skip_button(),)
    assert step == "role"
    return (
        _("Do you work for a local or regional authority?"),
        (
            Button(_("Yes, local or regional authority staff"), button_data("role", Role.local_authority.value)),
            Button(_("No"), button_data("role", Role.participant.value)),
            skip_button(),
        ),
    )


def _typed_choice(turn: Turn, step: str, text: str) -> str | None:
    """The button of the step's prompt that a typed text names, in any of the discussion's
    languages (the prompt may not be in the reader's own yet): its label ("Anonymously", "no",
    "skip"), a few of its words ("anónimo" for "De forma anónima"), or for the language a
    language's name or code, alone or in a few words ("español", "hablo español", "English please")."""
    assert turn.discussion is not None
    languages = turn.discussion.languages
    typed = typed_key(text)
    words = typed.split()
    if step == LANGUAGE_STEP and len(words) <= TYPED_LABEL_WORDS:
        named = {code for code in (language_named(typed, languages), *(language_named(word, languages) for word in words)) if code}
        if len(named) == 1:
            return button_data("lang", named.pop())
    labels: list[tuple[str, str]] = []  # (data, label typed), the reader's language first
    for language in dict.fromkeys((turn.language, *languages)):
        with reading_in(language):
            labels += [(button.data, typed_key(button.label)) for button in _step_prompt(turn, step)[1]]
    if exact := [data for data, label in labels if typed and label == typed]:
        return exact[0]
    # A few words found in one button's labels only: "anónima" for "De forma anónima", "yes" for "Yes, local or regional authority staff".
    if not words or len(words) > TYPED_LABEL_WORDS:
        return None
    if len(typed) < 3:  # "sí" opens its label; "c" alone is a choice's letter, typed for another message
        within = {data for data, label in labels if label.split()[:1] == [typed]}
    else:
        within = {data for data, label in labels if all(_word_in(word, label.split()) for word in words)}
    return within.pop() if len(within) == 1 else None


SAME_STEM = 6  # letters two words share from their start to be one word typed otherwise ("anónimo", "anónima", "anonymously")


def _word_in(word: str, label_words: list[str]) -> bool:
    return any(word == other or (len(word) >= SAME_STEM and word[:SAME_STEM] == other[:SAME_STEM]) for other in label_words)


def advance(turn: Turn, step: str | None) -> None:
    """Move past `step` to the next prompt (or finish)."""
    participant = turn.participant
    assert participant is not None
    following = STEPS[STEPS.index(step) + 1] if step in STEPS and step != STEPS[-1] else None
    participant.onboarding_step = following
    if step == LANGUAGE_STEP:
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
            if turn.answers_by_reply
            else _(
                "Thank you, that is all. Answer the questions as they come: start your message with the "
                "question's number (for example «Q2: …»). /help lists what you can do."
            )
        )


async def subscribe(turn: Turn) -> None:
    """/start in a private chat: follow the discussion here and begin the
    prompts; again, resume at the prompt that waits."""
    assert turn.discussion is not None
    participant = await turn.ensure_participant()
    subscribed = turn.venue is not None and turn.venue.active and turn.venue.discussion_id == turn.discussion.id
    if subscribed and participant.onboarding_step is None:
        turn.reply(_("You are already subscribed. /profile changes what you told me about yourself, /language the language I write in."))
        turn.post_questions = True
        return
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
    step = participant.onboarding_step if subscribed and participant.onboarding_step in STEPS else LANGUAGE_STEP
    participant.onboarding_step = step
    await turn.session.flush()
    with reading_in(participant.language):
        title = turn.discussion.title.get(participant.language, "")
        invitation = turn.discussion.invitation.get(participant.language, "")
        turn.reply(_("Welcome to the e-discussion «{title}».").format(title=title) + "\n\n" + invitation)
        prompt(turn, step)
    if step != LANGUAGE_STEP:
        turn.post_questions = True  # the language was settled: the open round's questions may be missing here


async def handle_button(turn: Turn, data: str) -> bool:
    """Returns False when the button is not an onboarding one."""
    participant = turn.participant
    pressed = read_button(data)
    kind, value = pressed.kind, pressed.value()
    if kind not in ("lang", "consent", "role", "skip") or participant is None or turn.discussion is None:
        return False
    step = participant.onboarding_step
    if kind == "lang":
        if value not in turn.discussion.languages:
            return False
        participant.language = value
        with reading_in(value):
            turn.reply(_("From now on I will write to you in {language}.").format(language=language_name(value)))
            if step == LANGUAGE_STEP:
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
        # Invited (`facilitator invite`: a venue waiting, the profile from the organisers' list): consenting is joining.
        waiting = turn.venue if turn.venue is not None and not turn.venue.active and turn.private else None
        if waiting is not None:
            waiting.active, waiting.unreachable = True, False
            turn.post_questions = True
        participant.consent = True
        participant.anonymous = value == "anonymous"
        turn.reply(
            _("Your answers will be published with your name, organisation and country.")
            if value == "named"
            else _("Your answers will be published without your name or organisation.")
        )
        if step == "consent" or waiting is not None:
            advance(turn, step if step == "consent" else STEPS[-1])
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
    """Text typed while a prompt waits. A button's label typed is that button. A short line that names no question
    answers a profile prompt; an answer to a question is recorded as one, and
    the prompt asked again; other text gets the prompt again. Returns False
    when no prompt waits (the text is then a contribution)."""
    waiting = turn.participant_row.onboarding_step if turn.participant_row else None
    if waiting not in STEPS or not turn.private or message.edited:
        return False
    await turn.load_entities()
    participant = turn.participant
    assert participant is not None
    step = participant.onboarding_step
    if step not in STEPS:
        return False
    tied = bool(message.reply_to or message.question)
    if not tied and (choice := _typed_choice(turn, step, text)) is not None:
        return await handle_button(turn, choice)  # a button's label typed ("Anonymously", "skip", "Español")
    if not tied and step in TEXT_STEPS and _DECLINED.fullmatch(fold(text)):
        advance(turn, step)  # "I'd rather not say": as /skip
        return True
    profile_line = (
        step in TEXT_STEPS
        and not tied
        and "\n" not in text
        and len(text) <= PROFILE_FIELD_LIMIT
        and (not _said(text) or _INTRODUCING[step].match(fold(text)) is not None)  # "I work for the city of Lyon."
        and not _remarked(text)
    )
    answer = tied or await _reads_as_an_answer(turn, participant, text, names_its_question=profile_line)
    if profile_line and not answer:
        limit = PROFILE_COLUMNS[step]
        if len(text) > limit:
            prompt(turn, step, _("That is too long: at most {limit} characters, please.").format(limit=limit))
            return True
        # "c": a choice typed for another message, no name (a name written in one character, "李", is kept).
        if len(text.strip()) < SHORTEST_PROFILE_VALUE and text.isascii():
            prompt(turn, step, _("Please answer with at least two letters, or send /skip."))
            return True
        setattr(participant, step, _introduced(step, text))
        if step == "country":
            _zone_of_the_country(turn, participant)
        advance(turn, step)
        return True
    if answer or step in TEXT_STEPS:  # what it became, the acknowledgement (or the refusal) says
        before = len(turn.replies)
        await contributions.receive(turn, message, text)
        answered = turn.replies[before:]
        del turn.replies[before:]
        prompt(turn, step, _("One more thing about you first (or send /skip):"))
        if turn.asked_which_question:  # an ask goes last: its choices are what is typed next (the console's letters)
            turn.replies.extend(answered)
        else:  # an acknowledgement goes first
            turn.replies[before:before] = answered
        return True
    prompt(turn, step, _("Please answer with the buttons below, or send /skip: what you wrote was not recorded."))
    return True


# A profile prompt declined in words: "I'd rather not say", "prefiero no decirlo", "je préfère ne pas".
_DECLINED = re.compile(
    r"\W*(?:(?:i'?d |i would |i )?(?:rather|prefer) not(?: to)?(?: say| tell| share| answer| give it)?|not telling|no thanks?(?: you)?"
    r"|n/?a|none|nothing|-+|je (?:prefere|prefererais) ne pas(?: (?:le )?dire| repondre)?|(?:je ne )?(?:veux|souhaite) pas(?: le dire)?"
    r"|pas envie|aucune?|rien|prefiero no(?: decirlo| decir| responder| contestar)?|no quiero(?: decirlo| responder)?|ningun[oa]?|nada"
    r"|prefiro nao(?: dizer| responder)?|nenhum[a]?|preferisco (?:di )?no(?:n dirlo|n rispondere)?|nessun[oa]?"
    r"|(?:i )?(?:don'?t|do not) know|je ne sais pas|no (?:lo )?se|nao sei|non (?:lo )?so)\W*"
)
# Words before a profile field's value that introduce it: "my name is …", "je travaille pour …", "soy de …".
_INTRODUCING = {
    "name": re.compile(
        r"(?:(?:hi|hello|bonjour|hola|ola|ciao)\W+)?(?:my name is|my name's|i am|i'm|this is|je m'appelle|je suis|moi c'est|me llamo"
        r"|mi nombre es|soy|o meu nome e|meu nome e|eu sou|chamo-me|mi chiamo|sono|il mio nome e)\s+"
    ),
    "organisation": re.compile(
        r"(?:i work (?:for|at|in|with)|je travaille (?:pour|a|au|chez|dans)|trabajo (?:para|en|con)|trabalho (?:para|na|no|em)"
        r"|lavoro (?:per|a|al|alla|presso))\s+"
    ),
    "country": re.compile(
        r"(?:i'm from|i am from|we are from|je viens d[eu']|je suis (?:de|du|en|au)|soy de|vengo de|sou d[eoa]|vengo da)\s*"
    ),
}


def _introduced(step: str, text: str) -> str:
    """The value in "my name is Fatou Ndiaye", "I work for the city of Lyon" (the text itself when nothing introduces it)."""
    introducing = _INTRODUCING[step].match(fold(text))  # folding keeps each character where it was
    value = text[introducing.end() :].strip().rstrip(".!") if introducing else ""
    return value or text


def _zone_of_the_country(turn: Turn, participant: Participant) -> None:
    """Reminders at a decent hour where the participant lives: a country of one time zone gives it
    ("Sénégal", "Italy"), unless one was chosen with /timezone; a country of several gives none, and
    the participant is told to send /timezone and their city."""
    if participant.timezone is not None or participant.country is None:
        return
    found = zones.find_zone(participant.country, turn.language)
    if found.zone is not None:
        participant.timezone = found.zone.key
        turn.reply(_("Your time zone is now {zone}, for your reminders. /timezone changes it.").format(zone=found.zone.key))
    elif found.fits_several:
        turn.reply(
            _("{country} has several time zones: send /timezone and your city (for example /timezone Lima), for your reminders.").format(
                country=participant.country
            )
        )


def _remarked(text: str) -> bool:
    """A remark, not a profile field: thanks or a greeting ("Thanks Daniel, very useful"), a
    question ("what now?"). It is then handled as any message, and the prompt comes again."""
    return text.rstrip().endswith(("?", "？")) or is_phatic_sentence(fold(text))


def _said(text: str) -> bool:
    """A sentence, not a profile field (`SENTENCE_WORDS`)."""
    count = len(text.split())
    return count >= 2 * SENTENCE_WORDS or (count >= SENTENCE_WORDS and text.rstrip()[-1:] in ".!?…")


async def _reads_as_an_answer(turn: Turn, participant: Participant, text: str, names_its_question: bool) -> bool:
    """Whether the text answers a question of the open round: any part of it,
    or, with `names_its_question`, a part that names its question."""
    round_, _late = store.current_of(turn.rounds)
    if round_ is None:
        return False
    linked = await contributions.link(await turn.index(), text, open_round=round_.number, participant_language=participant.language)
    if names_its_question:
        return any(segment.question is not None and segment.method in _NAMED_QUESTION for segment in linked.segments)
    return bool(linked.segments)


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
