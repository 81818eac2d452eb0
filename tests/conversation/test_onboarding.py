"""Subscribing when people type instead of tapping: the prompt comes back, and
an answer to a question is recorded as one, never taken as a profile field
(issues 13 and 15)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.models import Contribution, ContributionStatus, Participant, Question
from tests.helpers import open_round, organiser, stored_contributions

LANGUAGE_BUTTONS = ["lang:fr", "lang:en", "lang:es", "skip"]


async def profile(engine) -> tuple:
    async with engine.sessions() as session:
        person = await session.scalar(select(Participant).where(Participant.display_name == "John"))
        return person.onboarding_step, person.name, person.organisation, person.country


async def test_text_typed_while_a_button_prompt_waits_gets_the_prompt_again(engine, platform, user):
    john = user("john", "en")
    await engine.handle_message(john.message("/start"))
    await engine.handle_message(john.message("hello, what do I do?"))
    again = platform.last(john.dm)
    assert again.text.startswith("Please answer with the buttons below, or send /skip")
    assert [b.data for b in again.buttons] == LANGUAGE_BUTTONS
    await engine.handle_message(john.message("3"))
    assert "No round is open" not in platform.last(john.dm).text
    assert [b.data for b in platform.last(john.dm).buttons] == LANGUAGE_BUTTONS
    await engine.handle_button(john.press("lang:en"))
    await engine.handle_message(john.message("ok"))
    assert [b.data for b in platform.last(john.dm).buttons] == ["consent:named", "consent:anonymous", "skip"]
    assert (await profile(engine))[0] == "consent", "nothing was skipped"
    assert await stored_contributions(engine.sessions, Contribution.text) == []


async def test_start_again_resumes_where_the_participant_was(engine, platform, user):
    john = user("john", "en")
    await engine.handle_message(john.message("/start"))
    await engine.handle_button(john.press("skip"))
    await engine.handle_button(john.press("consent:named"))
    await engine.handle_message(john.message("/start"))
    assert platform.last(john.dm).text.endswith("What is your name? (or /skip)")
    assert (await profile(engine))[0] == "name"
    for step in ("John Smith", "/skip", "/skip"):
        await engine.handle_message(john.message(step))
    await engine.handle_button(john.press("skip"))
    await engine.handle_message(john.message("/start"))
    assert platform.last(john.dm).text.startswith("You are already subscribed.")
    assert await profile(engine) == (None, "John Smith", None, None)


async def at_the_name_prompt(engine, user):
    """John, subscribing while round 1 is open, asked his name."""
    boss = await organiser(engine, user)
    await open_round(engine, boss)
    john = user("john", "en")
    await engine.handle_message(john.message("/start"))
    await engine.handle_button(john.press("skip"))
    await engine.handle_button(john.press("consent:named"))
    return john


@pytest.mark.parametrize(
    "declined", ["I'd rather not say", "I would prefer not to say.", "prefiero no decirlo", "Je préfère ne pas le dire", "I don't know"]
)
async def test_a_profile_prompt_declined_in_words_is_skipped_and_nothing_is_stored(engine, platform, user, declined):
    john = await at_the_name_prompt(engine, user)
    await engine.handle_message(john.message(declined))
    assert await profile(engine) == ("organisation", None, None, None)
    await engine.handle_message(john.message(declined))
    assert await profile(engine) == ("country", None, None, None)
    assert await stored_contributions(engine.sessions, Contribution.text) == []


@pytest.mark.parametrize(
    "said, stored",
    [
        (("my name is John Smith", "I work for the city of Lyon.", "I'm from France"), ("John Smith", "the city of Lyon", "France")),
        (
            ("Je m'appelle Fatou Ndiaye.", "Je travaille à la mairie de Thiès", "Je viens du Sénégal"),
            ("Fatou Ndiaye", "la mairie de Thiès", "Sénégal"),
        ),
        (("Soy Lucía Pérez", "Trabajo en la Diputación de Málaga", "Soy de España"), ("Lucía Pérez", "la Diputación de Málaga", "España")),
    ],
)
async def test_a_profile_field_introduced_in_words_is_stored_without_them(engine, platform, user, said, stored):
    john = await at_the_name_prompt(engine, user)
    for line in said:
        await engine.handle_message(john.message(line))
    assert await profile(engine) == ("role", *stored)


@pytest.mark.parametrize("country, zone", [("Sénégal", "Africa/Dakar"), ("Italy", "Europe/Rome"), ("Spain", None), ("USA", None)])
async def test_a_country_of_one_time_zone_gives_the_reminders_theirs(engine, platform, user, country, zone):
    john = await at_the_name_prompt(engine, user)
    for line in ("/skip", "/skip", country):
        await engine.handle_message(john.message(line))
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.timezone).where(Participant.display_name == "John")) == zone
    told = [m.text for m, _chat in platform.sent if m.text.startswith("Your time zone is now")]
    assert told == ([f"Your time zone is now {zone}, for your reminders. /timezone changes it."] if zone else [])
    several = [m.text for m, _chat in platform.sent if "has several time zones" in m.text]
    assert several == (
        ["Spain has several time zones: send /timezone and your city (for example /timezone Lima), for your reminders."]
        if country == "Spain"
        else []
    )


async def test_a_time_zone_chosen_before_stays_whatever_the_country(engine, platform, user):
    john = await at_the_name_prompt(engine, user)
    for line in ("/timezone America/Guatemala", "/skip", "/skip", "Sénégal"):
        await engine.handle_message(john.message(line))
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.timezone).where(Participant.display_name == "John")) == "America/Guatemala"


async def test_an_answer_sent_during_the_profile_questions_is_an_answer_not_a_name(engine, platform, user):
    john = await at_the_name_prompt(engine, user)
    await engine.handle_message(john.message("Q1: twinning with migrants as experts"))
    assert await stored_contributions(engine.sessions, Question.key, Contribution.text, Contribution.status) == [
        ("1.1", "twinning with migrants as experts", ContributionStatus.filed)
    ]
    assert await profile(engine) == ("name", None, None, None)
    assert platform.last(john.dm).text.endswith("What is your name? (or /skip)")
    await engine.handle_message(john.message("John Smith"))
    await engine.handle_message(john.message("Pregunta 3: compartir lecciones en redes de municipios."))
    assert await profile(engine) == ("organisation", "John Smith", None, None)
    assert len(await stored_contributions(engine.sessions, Contribution.id)) == 2


async def test_an_unmarked_answer_during_the_profile_questions_is_asked_about_last_and_is_no_organisation(engine, platform, user):
    john = await at_the_name_prompt(engine, user)
    await engine.handle_message(john.message("John Smith"))
    platform.clear()
    await engine.handle_message(john.message("We run radio programmes for the diaspora in three languages."))
    assert await profile(engine) == ("organisation", "John Smith", None, None)
    assert await stored_contributions(engine.sessions, Contribution.text) == [
        ("We run radio programmes for the diaspora in three languages.",)
    ]
    prompt, ask = platform.texts(john.dm)
    assert prompt.endswith("Which organisation do you work for? (or /skip)")
    assert ask.startswith("Which question does this answer?"), "last: its choices are the ones typed next"
    await engine.handle_message(john.message("c"))
    assert platform.last(john.dm).text.startswith("Please answer with at least two letters, or send /skip.")
    await engine.handle_message(john.message("Leeds City Council, International Relations"))
    assert await profile(engine) == ("country", "John Smith", "Leeds City Council, International Relations", None)


async def test_a_profile_value_longer_than_its_field_is_asked_again(engine, platform, user):
    john = user("john", "en")
    await engine.handle_message(john.message("/start"))
    await engine.handle_button(john.press("skip"))
    await engine.handle_button(john.press("skip"))
    for _step in ("name", "organisation"):
        await engine.handle_message(john.message("/skip"))
    await engine.handle_message(john.message("x" * 150))
    assert "at most 100 characters" in platform.last(john.dm).text
    assert await profile(engine) == ("country", None, None, None)


async def test_a_buttons_label_or_a_languages_name_typed_is_that_choice(engine, platform, user):
    ana = user("ana", "en")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_message(ana.message("Espanol"))
    assert platform.last(ana.dm).buttons[0].data == "consent:named"
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.language)) == "es"
    await engine.handle_message(ana.message("anónima"))
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.anonymous)) is True
    await engine.handle_message(ana.message("omitir"))
    assert (await profile_of(engine, "ana"))[0] == "organisation", "«Omitir» typed skips the name, it is no name"
    await engine.handle_message(ana.message("/language English"))
    assert platform.last(ana.dm).text == "From now on I will write to you in English."


async def test_a_choice_typed_in_a_few_words_or_in_another_of_the_discussions_languages_is_that_choice(engine, platform, user):
    """The prompts come in the language guessed for the person (French here): what they type in their own is understood."""
    juan = user("juan", "fr")
    await engine.handle_message(juan.message("/start"))
    await engine.handle_message(juan.message("hablo español"))
    assert platform.last(juan.dm).buttons[0].data == "consent:named"
    await engine.handle_message(juan.message("/language fr"))  # back to French prompts, answered in Spanish
    await engine.handle_message(juan.message("anónimo"))
    for _field in ("name", "organisation", "country"):
        await engine.handle_message(juan.message("/skip"))
    await engine.handle_message(juan.message("sí"))
    async with engine.sessions() as session:
        person = await session.scalar(select(Participant))
        assert (person.anonymous, person.role.value, person.onboarding_step) == (True, "local_authority", None)


async def test_a_language_named_among_others_or_a_choices_letter_chooses_nothing(engine, platform, user):
    john = user("john", "en")
    await engine.handle_message(john.message("/start"))
    for typed in ("English or French, I do not mind", "c"):
        await engine.handle_message(john.message(typed))
        assert platform.last(john.dm).text.startswith("Please answer with the buttons below"), typed
    assert (await profile(engine))[0] == "language"


async def profile_of(engine, display_name: str) -> tuple:
    async with engine.sessions() as session:
        person = await session.scalar(select(Participant).where(Participant.display_name == display_name.title()))
        return person.onboarding_step, person.name


async def test_thanks_or_a_question_at_the_name_prompt_is_no_name_and_the_prompt_comes_again(engine, platform, user):
    john = await at_the_name_prompt(engine, user)
    for remark in ("Thanks Daniel, very useful", "Hola a todos", "Why do you need my name?", "👍"):
        platform.clear()
        await engine.handle_message(john.message(remark))
        assert any(text.endswith("What is your name? (or /skip)") for text in platform.texts(john.dm)), remark
        assert await profile(engine) == ("name", None, None, None), remark
    await engine.handle_message(john.message("Daniel Thanks"))  # a surname that is a word of thanks elsewhere
    assert await profile(engine) == ("organisation", "Daniel Thanks", None, None)
    await engine.handle_message(john.message("Мэрия Казани"))  # an organisation in another script is no remark
    assert await profile(engine) == ("country", "Daniel Thanks", "Мэрия Казани", None)
    assert await stored_contributions(engine.sessions, Contribution.text) == [], "no remark became an answer"
