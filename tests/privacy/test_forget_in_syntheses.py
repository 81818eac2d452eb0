"""/forget reaches the saved syntheses (issue 15): the themes the organisers
reviewed may quote the person forgotten. Their sentences and contribution
numbers leave every saved synthesis with the rest of the forgetting, the
organisers' labels and summaries stay (a theme left with nothing keeps its
place), the review stays a review, and neither the exported report nor a
draft file written before brings them back. /mydata gives the parts of a
saved synthesis about its sender, and only those."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.discussion import store as discussions
from bot.discussion.spec import parse_discussion
from bot.reports.data import gather
from bot.reports.export import report_bytes
from bot.reports.synthesis import store
from bot.reports.synthesis.draft import QuestionThemes, Sentence, Synthesis, Theme
from bot.reports.synthesis.making import make_synthesis, with_key_points
from bot.reports.synthesis.review import draft_file, read_back
from bot.storage.database import session_factory
from bot.storage.models import Contribution, Participant, SavedSynthesis
from facilitator.assembly import make_engine
from tests.conftest import SMALL_DISCUSSION
from tests.helpers import join, open_round, organiser

ANA_SHARED = "Twinning between municipalities works best when migrant associations sit at the table from the start."
ANA_ALONE = "Our town set up a joint fund that the diaspora and the council manage together every year."
BOB = "Regional networks of cities share what worked, so that small towns need not start from nothing."
REVIEWED = dt.datetime(2013, 7, 9, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["anonymise", "delete"])
async def engine(request, database, platform, clock):
    engine = make_engine(session_factory(database), [platform], clock=clock)
    await engine.load(parse_discussion({**SMALL_DISCUSSION, "on_forget": request.param}, "small.yaml"))
    yield engine
    await engine.drain()


async def answered(engine, user):
    """Ana and Bob answer 1.1; the organisers' reviewed synthesis quotes both, and Ana alone in a second theme."""
    boss = await organiser(engine, user)
    ana = await join(engine, user, "ana", "en", "named", "Ana Lima")
    bob = await join(engine, user, "bob", "en", "named", "Bob Stone")
    await open_round(engine, boss)
    for person, texts in ((ana, (ANA_SHARED, ANA_ALONE)), (bob, (BOB,))):
        for text in texts:
            await engine.handle_message(person.message(f"Q1.1: {text}"))
    async with engine.sessions() as session:
        ids = dict((await session.execute(select(Contribution.text, Contribution.id))).all())
        discussion = await discussions.find_discussion(session)
        assert discussion is not None
        shared = Theme(
            id="1.1-A",
            label="Migrants at the table",
            contributions=[ids[ANA_SHARED], ids[BOB]],
            sentences=[Sentence(1, ids[ANA_SHARED], "en", ANA_SHARED), Sentence(2, ids[BOB], "en", BOB)],
            quotes=[1, 2],
            summary="The organisers' own words.",
        )
        alone = Theme(
            id="1.1-B", label="Joint funds", contributions=[ids[ANA_ALONE]], sentences=[Sentence(1, ids[ANA_ALONE], "en", ANA_ALONE)]
        )
        alone.quotes, alone.summary = [1], "Funds, in their words."
        synthesis = Synthesis(
            discussion="small",
            language="en",
            questions=[QuestionThemes("1.1", themes=[shared, alone]), QuestionThemes("1.2")],
            model="test",
            reviewed_at=REVIEWED,
            summary="What the discussion said.",
        )
        await store.keep(session, discussion, synthesis, REVIEWED)
        await session.commit()
    return boss, ana, bob, ids


async def saved(engine) -> tuple[dict, dt.datetime | None]:
    async with engine.sessions() as session:
        row = (await session.scalars(select(SavedSynthesis))).one()
        return row.content, row.reviewed_at


async def forget(engine, person) -> None:
    await engine.handle_message(person.message("/forget"))
    await engine.handle_button(person.press("forget:confirm"))
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.id).where(Participant.name == "Ana Lima")) is None


def numbers_in(content: dict) -> set[int]:
    return {
        number
        for question in content["questions"]
        for number in [
            *question["other"],
            *question["new"],
            *(n for theme in question["themes"] for n in theme["contributions"]),
            *(s["contribution"] for theme in question["themes"] for s in theme["sentences"]),
        ]
    }


async def test_forget_takes_their_quotes_and_numbers_out_of_the_saved_synthesis_and_nothing_brings_them_back(engine, user):
    _boss, ana, _bob, ids = await answered(engine, user)
    async with engine.sessions() as session:
        kept = await store.kept(session, (await discussions.find_discussion(session)), "en")
        assert kept is not None
        # The organisers hold the draft, and rename a theme in it, before Ana is forgotten.
        written = draft_file(kept, "small", "small-synthesis-en.yaml").replace(
            "label: Migrants at the table", "label: Migrants at the table, always"
        )
    await forget(engine, ana)

    content, reviewed_at = await saved(engine)
    assert_without_ana(content, ids)
    shared, alone = content["questions"][0]["themes"]
    assert (shared["label"], shared["summary"], shared["contributions"], shared["quotes"]) == (
        "Migrants at the table",
        "The organisers' own words.",
        [ids[BOB]],
        [2],
    )
    assert [s["text"] for s in shared["sentences"]] == [BOB]
    assert (alone["label"], alone["summary"], alone["contributions"], alone["sentences"], alone["quotes"]) == (
        "Joint funds",
        "Funds, in their words.",
        [],
        [],
        [],
    ), "a theme left with nothing keeps its place"
    assert content["summary"] == "What the discussion said."
    assert reviewed_at is not None and content["reviewed_at"] == REVIEWED.isoformat(), "still the organisers' review"

    async with engine.sessions() as session:
        discussion = await discussions.find_discussion(session)
        assert discussion is not None
        report = await with_key_points(session, discussion, await gather(session, discussion, engine.clock()), "en")
        assert report.synthesis is not None and report.synthesis.reviewed_at is not None
        quoted = [s.text for question in report.synthesis.questions for theme in question.themes for s in theme.quoted()]
        assert quoted == [BOB]
        markdown = report_bytes(report, "md", "en").decode("utf-8")
        assert BOB in markdown and "Migrants at the table" in markdown
        if discussion.on_forget == "delete":  # anonymised, their answers stay in the report, unsigned; never as a quote
            assert ANA_SHARED not in markdown and ANA_ALONE not in markdown

        # `facilitator synthesis` given back the file written before: the edit is saved, Ana is not.
        edits = read_back(written, report, "small", "en", engine.clock())
        assert edits.review is not None and edits.problems == []
        synthesis = await make_synthesis(session, discussion, report, "en", edits.review)
        await store.keep(session, discussion, synthesis, engine.clock())
        await session.commit()
    content, _reviewed_at = await saved(engine)
    assert_without_ana(content, ids)
    [theme] = content["questions"][0]["themes"]
    assert (theme["label"], theme["contributions"], [s["text"] for s in theme["sentences"]]) == (
        "Migrants at the table, always",
        [ids[BOB]],
        [BOB],
    )


async def test_a_draft_file_written_before_and_saved_from_the_desk_does_not_bring_them_back(engine, user):
    boss, ana, _bob, ids = await answered(engine, user)
    async with engine.sessions() as session:
        kept = await store.kept(session, (await discussions.find_discussion(session)), "en")
        assert kept is not None
        written = draft_file(kept, "small", "small-synthesis-en.yaml").replace(
            "label: Migrants at the table", "label: Migrants at the table, always"
        )
    await forget(engine, ana)
    review = await engine.save_synthesis_review((boss.platform.name, boss.user_id), "en", written)
    assert review is not None and review.saved
    content, reviewed_at = await saved(engine)
    assert_without_ana(content, ids)
    # Brought up to date as `facilitator synthesis` does: the theme only Ana made is gone.
    [shared] = content["questions"][0]["themes"]
    assert [s["text"] for s in shared["sentences"]] == [BOB] and shared["quotes"] == [2]
    assert (shared["label"], shared["contributions"]) == ("Migrants at the table, always", [ids[BOB]]), "the edit is saved"
    assert reviewed_at is not None


def assert_without_ana(content: dict, ids: dict[str, int]) -> None:
    text = json.dumps(content, ensure_ascii=False)
    assert ANA_SHARED not in text and ANA_ALONE not in text, "her words"
    assert ids[ANA_SHARED] not in numbers_in(content) and ids[ANA_ALONE] not in numbers_in(content), "her answers' numbers"


async def test_mydata_gives_the_parts_of_a_saved_synthesis_about_them_and_no_one_else(engine, platform, user):
    _boss, ana, _bob, ids = await answered(engine, user)
    await engine.handle_message(ana.message("/mydata"))
    data = json.loads(platform.last(ana.dm).attachment[1])
    [synthesis] = data["syntheses"]
    assert synthesis["language"] == "en"
    assert synthesis["themes"] == [
        {
            "question": "1.1",
            "theme": "Migrants at the table",
            "contributions": [ids[ANA_SHARED]],
            "sentences": [{"contribution": ids[ANA_SHARED], "text": ANA_SHARED, "quoted": True}],
        },
        {
            "question": "1.1",
            "theme": "Joint funds",
            "contributions": [ids[ANA_ALONE]],
            "sentences": [{"contribution": ids[ANA_ALONE], "text": ANA_ALONE, "quoted": True}],
        },
    ]
    assert BOB not in json.dumps(data, ensure_ascii=False)
    await forget(engine, ana)
    await engine.handle_message(ana.message("/mydata"))
    assert platform.last(ana.dm).attachment is None
