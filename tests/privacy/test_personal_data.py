"""/mydata, /forget and hiding contributions, through the engine."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.discussion.spec import parse_discussion
from bot.storage.database import session_factory
from bot.storage.models import Base, Contribution, Message, MessageRevision, Participant
from facilitator.assembly import make_engine
from tests.conftest import SMALL_DISCUSSION
from tests.helpers import join, organiser

NAME = "Gabriela Quispe-Mamani"
ORGANISATION = "Municipalidad de Cochabamba"
USER_ID = "u-7731-gq"
DISPLAY_NAME = "GabyQM"


async def gabriela_answers(engine, user):
    """Gabriela subscribes with her name, answers two questions in one
    message (signing it), edits another, and answers in a group too."""
    boss = await organiser(engine, user)
    gabriela = await join(engine, user, USER_ID, "es", "named", NAME, ORGANISATION, "Bolivia", "local_authority", display_name=DISPLAY_NAME)
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    await engine.handle_message(
        gabriela.message(
            f"Pregunta 1: hermanamientos entre municipios.\nPregunta 2: mesas de concertación, que {NAME} coordina en {ORGANISATION}."
        )
    )
    await engine.handle_message(gabriela.message("Pregunta 3: una primera idea.", message_id="edit-me"))
    await engine.handle_message(gabriela.message("Pregunta 3: redes de ciudades.", message_id="edit-me", edited=True))
    await engine.handle_message(boss.message("/attach es", group="grupo-m4d"))
    await engine.handle_message(gabriela.message("Pregunta 4: planes territoriales.", group="grupo-m4d"))
    return boss, gabriela


async def everything_stored(engine) -> str:
    """Every value of every row of every table, as one text to search."""
    values = []
    async with engine.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for row in await session.execute(select(table)):
                values += [str(value) for value in row]
    return "\n".join(values).casefold()


async def test_mydata_sends_everything_stored_as_json(engine, platform, user):
    _boss, gabriela = await gabriela_answers(engine, user)
    await engine.handle_message(gabriela.message("/mydata"))
    sent = platform.last(gabriela.dm)
    name, content = sent.attachment
    assert name == "my-data.json" and "/forget" in sent.text
    data = json.loads(content)
    [profile] = data["participants"]
    assert (profile["name"], profile["organisation"], profile["country"], profile["consent"]) == (NAME, ORGANISATION, "Bolivia", True)
    assert data["platform_identities"][0]["external_id"] == USER_ID
    assert {m["text"] for m in data["messages"]} >= {"Pregunta 3: redes de ciudades.", "Pregunta 4: planes territoriales."}
    assert [r["text"] for r in data["message_revisions"]] == ["Pregunta 3: una primera idea."]
    assert {(c["question"], c["text"]) for c in data["contributions"]} >= {
        ("1.1", "hermanamientos entre municipios."),
        ("1.4", "planes territoriales."),
    }
    assert data["venues"][0]["chat_id"] == gabriela.dm


async def test_mydata_is_sent_only_in_private(engine, platform, user):
    _boss, gabriela = await gabriela_answers(engine, user)
    await engine.handle_message(gabriela.message("/mydata", group="grupo-m4d"))
    answer = platform.last("grupo-m4d")
    assert answer.attachment is None and "privado" in answer.text


async def test_mydata_of_a_stranger_is_empty(engine, platform, user):
    stranger = user("stranger", "en")
    await engine.handle_message(stranger.message("/mydata"))
    assert platform.last(stranger.dm).text == "Nothing is stored about you."


async def test_forget_asks_first_and_cancel_keeps_everything(engine, platform, user):
    _boss, gabriela = await gabriela_answers(engine, user)
    await engine.handle_message(gabriela.message("/forget"))
    question = platform.last(gabriela.dm)
    assert [b.data for b in question.buttons] == ["forget:confirm", "forget:cancel"]
    assert "No se puede deshacer" in question.text
    await engine.handle_button(gabriela.press("forget:cancel"))
    assert platform.last(gabriela.dm).text == "No se ha borrado nada."
    assert NAME.casefold() in await everything_stored(engine)


async def test_forget_anonymises_contributions_and_leaves_nothing_identifying(engine, platform, user):
    boss, gabriela = await gabriela_answers(engine, user)
    async with engine.sessions() as session:
        contributions_before = await session.scalar(select(func.count(Contribution.id)))
    await engine.handle_message(gabriela.message("/forget"))
    await engine.handle_button(gabriela.press("forget:confirm"))
    assert "ya no están vinculadas a usted" in platform.last(gabriela.dm).text

    stored = await everything_stored(engine)
    for identifying in (NAME, ORGANISATION, USER_ID, DISPLAY_NAME, gabriela.dm):
        assert identifying.casefold() not in stored, f"{identifying!r} is still stored"
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Contribution.id))) == contributions_before
        assert await session.scalar(select(func.count(Message.id)).where(Message.participant_id.is_not(None))) == 0
        assert await session.scalar(select(func.count(MessageRevision.id))) == 0
        signed = await session.scalar(select(Contribution.text).where(Contribution.text.contains("mesas de concertación")))
        assert signed == "mesas de concertación, que […] coordina en […]."
    # The anonymised answers are still in the report, as anonymous.
    await engine.handle_message(boss.message("/report json es"))
    exported = json.loads(platform.last(boss.dm).attachment[1])
    redes = next(c for c in exported["contributions"] if c["text"] == "redes de ciudades.")
    assert redes["participant"] == "anónimo"
    # Coming back is starting afresh.
    await engine.handle_message(gabriela.message("/mydata"))
    assert platform.last(gabriela.dm).attachment is None


@pytest.fixture
async def deleting_engine(database, platform, clock):
    engine = make_engine(session_factory(database), [platform], clock=clock)
    await engine.load(parse_discussion({**SMALL_DISCUSSION, "on_forget": "delete"}, "small.yaml"))
    yield engine
    await engine.drain()


async def test_forget_deletes_contributions_when_the_file_says_so(deleting_engine, platform, user):
    engine = deleting_engine
    boss, gabriela = await gabriela_answers(engine, user)
    await engine.handle_message(user("other", "fr").message("/start"))
    await engine.handle_message(gabriela.message("/forget"))
    assert "todas sus respuestas" in platform.last(gabriela.dm).text
    await engine.handle_button(gabriela.press("forget:confirm"))
    assert "sus respuestas están borrados" in platform.last(gabriela.dm).text
    stored = await everything_stored(engine)
    for identifying in (NAME, ORGANISATION, USER_ID, DISPLAY_NAME, "hermanamientos", "redes de ciudades"):
        assert identifying.casefold() not in stored
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(Contribution.id))) == 0
        assert await session.scalar(select(func.count(Message.id))) == 0
        assert await session.scalar(select(func.count(Participant.id)).where(Participant.name == NAME)) == 0


async def test_an_organiser_who_is_forgotten_loses_the_grant_naming_them(engine, platform, user):
    boss = await organiser(engine, user, "boss-9931")
    await engine.handle_message(boss.message("/start"))
    await engine.handle_message(boss.message("/forget"))
    await engine.handle_button(boss.press("forget:confirm"))
    assert "boss-9931" not in await everything_stored(engine)


async def test_hide_needs_an_organiser_and_a_contribution_of_the_discussion(engine, platform, user):
    boss, gabriela = await gabriela_answers(engine, user)
    async with engine.sessions() as session:
        contribution_id = await session.scalar(select(func.min(Contribution.id)))
    await engine.handle_message(gabriela.message(f"/hide {contribution_id}"))
    assert "organiz" in platform.last(gabriela.dm).text
    await engine.handle_message(boss.message("/hide 999999"))
    assert "/hide 123" in platform.last(boss.dm).text
    await engine.handle_message(boss.message(f"/hide #{contribution_id}"))
    assert "hidden" in platform.last(boss.dm).text
    await engine.handle_message(boss.message(f"/hide {contribution_id}"))
    assert "already hidden" in platform.last(boss.dm).text
    async with engine.sessions() as session:
        assert (await session.get(Contribution, contribution_id)).hidden
    await engine.handle_message(boss.message("/status"))
    assert f"1 contribution is hidden from the reports: #{contribution_id}. /unhide N shows one again." in platform.last(boss.dm).text
    await engine.handle_message(boss.message(f"/unhide {contribution_id}"))
    await engine.handle_message(boss.message("/status"))
    assert "hidden" not in platform.last(boss.dm).text


async def test_an_edit_does_not_bring_a_hidden_contribution_back(engine, platform, user):
    boss, gabriela = await gabriela_answers(engine, user)
    async with engine.sessions() as session:
        edited = await session.scalar(select(Message).where(Message.message_id == "edit-me"))
        [part] = await session.scalars(select(Contribution).where(Contribution.message_id == edited.id))
    await engine.handle_message(boss.message(f"/hide {part.id}"))
    await engine.handle_message(gabriela.message("Pregunta 3: redes de ciudades, y algo más.", message_id="edit-me", edited=True))
    async with engine.sessions() as session:
        [part] = await session.scalars(select(Contribution).where(Contribution.message_id == edited.id))
    assert part.text == "redes de ciudades, y algo más." and part.hidden


async def test_forget_finds_a_first_name_and_names_written_loosely(engine, platform, user):
    boss, gabriela = await gabriela_answers(engine, user)
    await engine.handle_message(gabriela.message("Pregunta 5: Soy Gabriela; la Municipalidad  de\nCochabamba apoya. (GabyQM)"))
    await engine.handle_message(gabriela.message("/forget"))
    await engine.handle_button(gabriela.press("forget:confirm"))
    async with engine.sessions() as session:
        text = await session.scalar(select(Contribution.text).where(Contribution.text.contains("apoya")))
    assert text == "Soy […]; la […] apoya. ([…])"


async def test_forget_takes_the_name_out_of_what_others_wrote_about_them(engine, platform, user):
    boss, gabriela = await gabriela_answers(engine, user)
    daniel = await join(engine, user, "daniel", "en", "named", "Daniel Ortiz")
    await engine.handle_message(
        daniel.message(
            "Q5: I disagree with Gabriela Quispe Mamani's contribution; Daniel Ortiz, on behalf of the Municipalidad de Cochabamba."
        )
    )
    await engine.handle_message(gabriela.message("/forget"))
    await engine.handle_button(gabriela.press("forget:confirm"))
    async with engine.sessions() as session:
        text = await session.scalar(select(Contribution.text).where(Contribution.text.contains("disagree")))
    assert text == "I disagree with […]'s contribution; Daniel Ortiz, on behalf of the Municipalidad de Cochabamba."
    await engine.handle_message(boss.message("/status"))
    # As in the report: her answers count, and no one is counted for them any more.
    assert "1.1: 1 contribution, 0 participants (Spanish)" in platform.last(boss.dm).text
    assert "1.5: 1 contribution, 1 participant (English)" in platform.last(boss.dm).text


async def test_the_participant_list_is_for_organisers_in_private_and_marks_who_is_anonymous(engine, platform, user):
    boss, gabriela = await gabriela_answers(engine, user)
    await join(engine, user, "anon", "fr", "anonymous", "Anne Onyme", "Mairie de Lyon", "France", "local_authority")
    await engine.handle_message(boss.message("/participants", group="grupo-m4d"))
    assert "Anne Onyme" not in platform.last("grupo-m4d").text
    await engine.handle_message(boss.message("/participants"))
    listing = platform.last(boss.dm).text
    assert f"- {NAME} ({ORGANISATION}" in listing
    assert "- Anne Onyme (Mairie de Lyon, France, local authority staff, fr, memory) · anonymous in reports" in listing
