"""The consolidated report and the data exports, generated from a discussion
filled through the engine (subscriptions, consent, multi-question messages,
edits, late answers, a hidden contribution) and in bulk through the models,
then read back with the libraries organisers' tools use."""

from __future__ import annotations

import asyncio
import base64
import csv
import datetime as dt
import io
import json
import random
import zipfile
from html.parser import HTMLParser

import docx
import openpyxl
import pytest
from sqlalchemy import select

from bot.discussion import store
from bot.reports.data import gather
from bot.reports.export import FORMATS, report_bytes
from bot.reports.synthesis.making import with_key_points
from bot.storage.models import Contribution, ContributionMove, ContributionStatus, Message, Participant, Question, Role, Round
from tests.helpers import join, organiser

PNG = b"\x89PNG\r\n\x1a\n"
LANGUAGES = ("fr", "en", "es")

# Who must never be named anywhere: they answered, but did not agree to be named.
SECRETS = (
    "Pierre Secretin",
    "Mairie de Cachéville",
    "Liechtenstein",
    "John Hiddenfield",
    "Hidden Org Ltd",
    "Malta",
    "Bulk Secret",
    "Bulk Hidden Org",
    "Secretin",  # Pierre signs with his name; he asked to be anonymous
)
HIDDEN_TEXT = "BUY CHEAP WATCHES spam-7f3a"


SENTENCES = {
    "fr": "Les autorités locales coordonnent les associations de la diaspora pour le développement territorial.",
    "en": "Local authorities coordinate diaspora associations for territorial development.",
    "es": "Las autoridades locales coordinan las asociaciones de la diáspora para el desarrollo territorial.",
}


async def add_in_bulk(engine, count: int, seed: int = 7) -> None:
    """`count` contributions from 30 more participants, straight through the models."""
    rng = random.Random(seed)
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        questions = (await session.execute(select(Question, Round).join(Round).where(Question.position > 0))).all()
        people = []
        for n in range(30):
            named = n % 3 == 0
            people.append(
                Participant(
                    display_name=f"bulk{n}",
                    name=f"Bulk Named {n}" if named else f"Bulk Secret {n}",
                    organisation=f"Bulk Public Org {n}" if named else f"Bulk Hidden Org {n}",
                    country=rng.choice(["Senegal", "Ecuador", "Morocco"]) if named else "Malta",
                    role=Role.local_authority if n % 2 else Role.participant,
                    language=LANGUAGES[n % 3],
                    consent=True if named else (None, False, True)[n % 3],
                    anonymous=not named,
                    created_at=engine.clock(),
                )
            )
        session.add_all(people)
        await session.flush()
        for i in range(count):
            person = people[i % len(people)]
            question, round_ = questions[rng.randrange(len(questions))]
            received = round_.opens_at + dt.timedelta(minutes=rng.randrange(60 * 24 * 6))
            text = f"{SENTENCES[person.language]} ({i})"
            session.add(
                Message(
                    discussion_id=discussion.id,
                    participant_id=person.id,
                    platform=rng.choice(["telegram", "discord", "memory"]),
                    chat_id=f"bulk-chat-{person.id}",
                    message_id=f"bulk-{i}",
                    text=text,
                    language=person.language,
                    round_id=round_.id,
                    received_at=received,
                    contributions=[
                        Contribution(
                            position=1,
                            question_id=question.id,
                            status=ContributionStatus.filed,
                            text=text,
                            method="reply",
                            created_at=received,
                            updated_at=received,
                        )
                    ],
                )
            )
        await session.commit()


@pytest.fixture
async def filled(engine, platform, user, clock):
    """The example discussion with four people who took part through the
    engine, 300 contributions in bulk, and one contribution hidden."""
    boss = await organiser(engine, user)
    gabriela = await join(
        engine, user, "gabriela", "es", "named", "Gabriela Quispe", "Municipalidad de Cochabamba", "Bolivia", "local_authority"
    )
    marie = await join(engine, user, "marie", "fr", "named", "Marie Dupont", "EUNOMAD", "France")
    pierre = await join(
        engine, user, "pierre", "fr", "anonymous", "Pierre Secretin", "Mairie de Cachéville", "Liechtenstein", "local_authority"
    )
    john = await join(engine, user, "john", "en", None, "John Hiddenfield", "Hidden Org Ltd", "Malta")

    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    await engine.handle_message(
        gabriela.message(
            "Pregunta 1: los convenios de hermanamiento entre municipios.\nPregunta 2: mesas de concertación con el gobierno nacional."
        )
    )
    await engine.handle_message(
        pierre.message("Question 3 : un réseau de villes qui partage ses expériences. Pierre SECRETIN, Mairie de  Cachéville")
    )
    await engine.handle_message(john.message("Q4: our regional plan includes migration since 2010."))
    await engine.handle_message(marie.message("Question 1 : première version.", message_id="marie-edit"))
    clock.advance(minutes=5)
    await engine.handle_message(
        marie.message("Question 1 : la coopération décentralisée, version corrigée.", message_id="marie-edit", edited=True)
    )
    await engine.handle_message(john.message(f"Q2: {HIDDEN_TEXT}"))
    await engine.handle_message(boss.message("/close_round 1"))
    clock.advance(hours=2)
    await engine.handle_message(marie.message("Question 4 : une réponse arrivée après la clôture."))

    await add_in_bulk(engine, 300)
    async with engine.sessions() as session:
        spam = await session.scalar(select(Contribution.id).where(Contribution.text.contains("CHEAP WATCHES")))
    await engine.handle_message(boss.message(f"/hide {spam}"))
    platform.clear()
    return {"boss": boss, "gabriela": gabriela, "marie": marie, "pierre": pierre, "john": john, "spam": spam}


async def report_data(engine):
    async with engine.sessions() as session:
        return await gather(session, await store.find_discussion(session), engine.clock())


class Page(HTMLParser):
    """What a browser would show of an HTML report, and its images."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.attributes: list[str] = []
        self.contributions = 0
        self.language = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.attributes += [value for value in attrs.values() if value and not value.startswith("data:")]
        if tag == "html":
            self.language = attrs.get("lang")
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "article" and "contribution" in (attrs.get("class") or ""):
            self.contributions += 1

    def handle_data(self, data):
        self.text.append(data)


def readable_text(format: str, content: bytes) -> str:
    """Every piece of text a reader of the file could come across."""
    if format in ("docx", "xlsx"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist() if not name.endswith(".png"))
    return content.decode("utf-8-sig")


# --- each format, read back --------------------------------------------------


async def test_html_report_is_self_contained_with_charts_and_every_contribution(engine, filled):
    data = await report_data(engine)
    page = Page()
    page.feed(report_bytes(data, "html", "fr").decode("utf-8"))
    text = "".join(page.text)
    assert page.language == "fr"
    assert "Promouvoir une approche territoriale de la migration et du développement" in text
    assert "8 juil. – 4 août 2013" in text or "juillet" in text
    assert page.contributions == data.figures.contributions == 300 + 6
    assert len(page.images) == 3
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    assert not any(a.startswith(("http:", "https:")) for a in page.attributes), "self-contained: nothing fetched"
    # The question in the report's language, contributions in their own.
    assert "Comment les autorités locales et régionales peuvent-elles mettre à profit" in text
    assert "los convenios de hermanamiento entre municipios." in text
    assert "Gabriela Quispe, Municipalidad de Cochabamba, Bolivia" in text
    assert "anonyme" in text


async def test_docx_report_reads_back_with_python_docx(engine, filled):
    data = await report_data(engine)
    document = docx.Document(io.BytesIO(report_bytes(data, "docx", "es")))
    paragraphs = [p.text for p in document.paragraphs]
    text = "\n".join(paragraphs)
    assert paragraphs[0] == "Promover un enfoque territorial de la migración y el desarrollo"
    assert len(document.inline_shapes) == 3, "three charts"
    assert "Pregunta 1.1" in paragraphs and "Pregunta 4.4" in paragraphs
    assert "mesas de concertación con el gobierno nacional." in paragraphs
    assert sum(1 for p in document.paragraphs if p.style.name == "Contribution") == data.figures.contributions
    assert "anónimo" in text
    tables = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["Bolivia", "1"] in tables


async def test_markdown_report_has_headings_and_tags(engine, filled):
    data = await report_data(engine)
    text = report_bytes(data, "md", "en").decode("utf-8")
    assert text.startswith("# Promoting a territorial approach to migration and development\n")
    assert "### Question 1.2" in text
    assert "**Marie Dupont, EUNOMAD, France** · FR ·" in text
    assert "> los convenios de hermanamiento entre municipios." in text


async def test_json_export_has_discussion_questions_and_contributions(engine, filled):
    data = await report_data(engine)
    exported = json.loads(report_bytes(data, "json", "en"))
    assert exported["discussion"]["id"] == "m4d-2013"
    assert len(exported["questions"]) == 15
    assert set(exported["questions"][0]["texts"]) == {"fr", "en", "es"}
    assert len(exported["contributions"]) == 306
    first = next(c for c in exported["contributions"] if c["text"] == "mesas de concertación con el gobierno nacional.")
    assert first["question"] == "1.2" and first["participant"] == "Gabriela Quispe"
    assert first["language"] == "es" and first["platform"] == "memory"
    assert dt.datetime.fromisoformat(first["created_at"]).utcoffset() == dt.timedelta(hours=2)  # Brussels, summer
    pierre = next(c for c in exported["contributions"] if "réseau de villes" in c["text"])
    assert (pierre["participant"], pierre["organisation"], pierre["country"]) == ("anonymous", None, None)
    assert {p["name"] for p in exported["participants"]} >= {"Gabriela Quispe", "Marie Dupont", "Bulk Named 0"}


async def test_csv_and_xlsx_have_one_row_per_contribution(engine, filled):
    data = await report_data(engine)
    rows = list(csv.reader(io.StringIO(report_bytes(data, "csv", "fr").decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["N°", "Tour", "Question", "Thème", "Participant"]
    assert len(rows) == 1 + 306
    workbook = openpyxl.load_workbook(io.BytesIO(report_bytes(data, "xlsx", "fr")))
    sheet = workbook.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + 306
    assert values[0] == tuple(rows[0])
    gabriela = next(row for row in values if row[-1] == "mesas de concertación con el gobierno nacional.")
    assert gabriela[1:9] == (1, "1.2", None, "Gabriela Quispe", "Municipalidad de Cochabamba", "Bolivia", "es", "memory")
    assert isinstance(gabriela[9], dt.datetime)
    assert [row[1] for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)][:2] == ["1.1", "1.2"]
    assert workbook.sheetnames[:3] == ["Contributions", "Questions", "Actes des organisateurs"]


# --- what the report must and must not say ---------------------------------------


async def test_participants_who_did_not_agree_are_named_in_no_format(engine, filled):
    data = await report_data(engine)
    for language in LANGUAGES:
        for format in FORMATS:
            text = readable_text(format, report_bytes(data, format, language)).casefold()
            for secret in SECRETS:
                assert secret.casefold() not in text, f"{secret!r} appears in the {format} report ({language})"
            assert "gabriela quispe" in text, f"the named participant is missing from the {format} report"


async def test_charts_count_only_countries_people_agreed_to_publish(engine, filled):
    data = await report_data(engine)
    countries = data.figures.by_country
    assert "MT" not in countries and "LI" not in countries
    assert countries["BO"] == 1 and countries["FR"] == 1
    assert countries[None] == data.figures.unpublished_profiles == 2 + 20  # pierre, john, 20 bulk participants
    assert sum(data.figures.by_language.values()) >= data.figures.participants == 4 + 30
    assert None in data.figures.by_role and Role.local_authority in data.figures.by_role


async def test_a_country_however_it_is_written_is_counted_once_and_named_in_the_reports_language(engine, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/open_round 1"))
    for person, country in (("ana", "España"), ("bob", "Spain"), ("chloe", "france"), ("dede", "France"), ("emi", "Ville de Lyon")):
        someone = await join(engine, user, person, "en", "named", person.title(), "", country)
        await engine.handle_message(someone.message(f"Q1: twinning, says {person}."))
    data = await report_data(engine)
    assert data.figures.by_country == {"ES": 2, "FR": 2, "Ville de Lyon": 1}
    exported = json.loads(report_bytes(data, "json", "fr"))["summary"]["participants_by_country"]
    assert {row["country"]: row["participants"] for row in exported} == {"Espagne": 2, "France": 2, "Ville de Lyon": 1}


async def test_a_hidden_contribution_is_in_no_report_but_kept(engine, filled):
    data = await report_data(engine)
    for format in FORMATS:
        assert HIDDEN_TEXT.casefold() not in readable_text(format, report_bytes(data, format, "fr")).casefold()
    async with engine.sessions() as session:
        kept = await session.get(Contribution, filled["spam"])
        assert kept.hidden and HIDDEN_TEXT in kept.text


async def test_unhide_brings_a_contribution_back(engine, platform, filled):
    await engine.handle_message(filled["boss"].message(f"/unhide {filled['spam']}"))
    assert f"#{filled['spam']}" in platform.last(filled["boss"].dm).text
    exported = json.loads(report_bytes(await report_data(engine), "json", "en"))
    assert any(HIDDEN_TEXT in c["text"] for c in exported["contributions"])


async def test_a_message_answering_two_questions_appears_under_each_with_its_part(engine, filled):
    data = await report_data(engine)
    by_key = {q.key: [e.text for e in q.entries if e.author.name == "Gabriela Quispe"] for q in data.questions}
    assert by_key["1.1"] == ["los convenios de hermanamiento entre municipios."]
    assert by_key["1.2"] == ["mesas de concertación con el gobierno nacional."]


async def test_edited_contributions_show_their_latest_text_and_late_ones_are_marked(engine, filled):
    data = await report_data(engine)
    marie = [e for q in data.questions for e in q.entries if e.author.name == "Marie Dupont"]
    texts = {e.text: e for e in marie}
    assert "première version." not in texts
    edited = texts["la coopération décentralisée, version corrigée."]
    assert edited.edited_at is not None and not edited.late
    late = texts["une réponse arrivée après la clôture."]
    assert late.late
    html = report_bytes(data, "html", "fr").decode("utf-8")
    assert "première version" not in html
    assert "en retard" in html and "modifiée" in html


async def test_contributions_follow_round_and_question_order(engine, filled):
    data = await report_data(engine)
    keys = [q.key for q in data.questions]
    assert keys[:5] == ["1.1", "1.2", "1.3", "1.4", "1.5"] and keys[-1] == "4.4"
    for question in data.questions:
        times = [e.created_at for e in question.entries]
        assert times == sorted(times)


async def test_an_empty_discussion_still_makes_every_format(engine):
    data = await report_data(engine)
    assert data.figures.contributions == 0
    for format in FORMATS:
        assert report_bytes(data, format, "es")


async def test_text_that_looks_like_a_formula_stays_text_in_spreadsheets(engine, user, filled):
    async with engine.sessions() as session:
        contribution = await session.scalar(select(Contribution).where(Contribution.text.contains("(0)")))
        contribution.text = '=HYPERLINK("http://evil.example","click")'
        await session.commit()
    data = await report_data(engine)
    rows = list(csv.reader(io.StringIO(report_bytes(data, "csv", "en").decode("utf-8-sig"))))
    assert '\'=HYPERLINK("http://evil.example","click")' in [row[-1] for row in rows]
    sheet = openpyxl.load_workbook(io.BytesIO(report_bytes(data, "xlsx", "en"))).worksheets[0]
    cell = next(row[-1] for row in sheet.iter_rows(min_row=2) if str(row[-1].value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


# --- /report in chat -------------------------------------------------------------


async def test_organiser_receives_the_report_as_a_file_in_the_chat(engine, platform, filled):
    boss = filled["boss"]
    await engine.handle_message(boss.message("/report es"))
    sent = platform.last(boss.dm)
    name, content = sent.attachment
    assert name == "m4d-2013-report-es.docx"
    assert "306" in sent.text and "Spanish" in sent.text  # said in the organiser's language
    assert docx.Document(io.BytesIO(content)).paragraphs[0].text.startswith("Promover un enfoque territorial")
    await engine.handle_message(boss.message("/report html fr"))
    name, content = platform.last(boss.dm).attachment
    assert name == "m4d-2013-report-fr.html" and content.startswith(b"<!DOCTYPE html>")


async def test_a_participant_cannot_get_the_report(engine, platform, filled):
    john = filled["john"]
    await engine.handle_message(john.message("/report en"))
    refusal = platform.last(john.dm)
    assert refusal.attachment is None
    assert "organisers" in refusal.text


async def test_report_with_an_unknown_argument_explains_its_use(engine, platform, filled):
    boss = filled["boss"]
    await engine.handle_message(boss.message("/report de"))
    answer = platform.last(boss.dm)
    assert answer.attachment is None and "/report fr docx" in answer.text


# --- facilitator export --------------------------------------------------------


def test_facilitator_export_writes_each_format(tmp_path, monkeypatch, example):
    from bot.storage.database import create_engine, migrate, session_factory
    from facilitator.assembly import make_engine
    from facilitator.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'export.db'}"

    async def fill():
        database = create_engine(url)
        await migrate(database)
        engine = make_engine(session_factory(database), clock=lambda: dt.datetime(2013, 8, 5, tzinfo=dt.UTC))
        await engine.load(example)
        await add_in_bulk(engine, 40)
        await database.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("FACILITATOR_DATABASE_URL", url)
    for format in FORMATS:
        output = tmp_path / f"report.{format}"
        assert main(["export", "--discussion", "m4d-2013", "--format", format, "--lang", "es", "-o", str(output)]) == 0
        assert output.stat().st_size > 0
    assert len(json.loads((tmp_path / "report.json").read_text("utf-8"))["contributions"]) == 40
    assert main(["export", "--lang", "fr", "-o", str(tmp_path / "by-extension.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "by-extension.xlsx").worksheets[0].max_row == 41
    assert main(["export", "--lang", "de", "-o", str(tmp_path / "x.md")]) == 2
    assert main(["export", "-o", str(tmp_path / "x.pdf")]) == 2


async def test_an_organiser_who_subscribed_gets_the_report_too(engine, platform, filled):
    """/report in a chat the bot follows (the organiser's own subscription, an attached group)."""
    boss = filled["boss"]
    await engine.handle_message(boss.message("/start"))
    await engine.handle_button(boss.press("lang:en"))
    await engine.handle_message(boss.message("/report en md"))
    name, content = platform.last(boss.dm).attachment
    assert name == "m4d-2013-report-en.md" and b"## Participation" in content


async def test_a_texts_own_markup_stays_text_and_its_lines_stay_lines_in_markdown(engine, filled):
    async with engine.sessions() as session:
        contribution = await session.scalar(select(Contribution).where(Contribution.text.contains("(0)")))
        contribution.text = "- not a list\n1. not a numbered list\n===\n&lt; ~~not struck~~"
        await session.commit()
    markdown = report_bytes(await report_data(engine), "md", "en").decode()
    assert "> \\- not a list\\\n> 1\\. not a numbered list\\\n> \\===\\\n> \\&lt; \\~\\~not struck\\~\\~\n" in markdown


async def test_the_word_file_says_who_made_it_and_describes_its_charts(engine, filled):
    document = docx.Document(io.BytesIO(report_bytes(await report_data(engine), "docx", "en")))
    properties = document.core_properties
    assert (properties.author, properties.comments) == ("facilitator", "")
    assert properties.created.year == 2013  # the report's own date, not python-docx's template's
    descriptions = [shape._inline.docPr.get("descr") for shape in document.inline_shapes]
    assert len(descriptions) == 3 and all(descriptions)


async def test_html_lets_each_text_read_in_its_own_direction(engine, filled):
    html = report_bytes(await report_data(engine), "html", "en").decode()
    assert html.count('dir="auto"') == 306 and '<bdi class="author">' in html


async def test_a_published_author_who_gave_no_name_is_not_called_anonymous(engine, user):
    boss = await organiser(engine, user)
    frank = await join(engine, user, "frank", "en", "named", None, "Frank's Cooperative", "Chile")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.drain()
    await engine.handle_message(frank.message("Q1: cooperatives of returnees."))
    [contribution] = json.loads(report_bytes(await report_data(engine), "json", "en"))["contributions"]
    assert (contribution["participant"], contribution["organisation"]) == (None, "Frank's Cooperative")


async def test_the_organisers_acts_are_exported_and_a_hidden_text_is_not(engine, platform, clock, filled):
    """The audit log: who hid, showed again or moved which contribution, when
    and why, in JSON and in a sheet of its own; the name of an unpublished
    author taken out of a reason, as it is from their texts."""
    boss, spam = filled["boss"], filled["spam"]
    async with engine.sessions() as session:
        regional = await session.scalar(select(Contribution.id).where(Contribution.text.contains("our regional plan")))
        twinning = await session.scalar(select(Contribution.id).where(Contribution.text.contains("convenios de hermanamiento")))
    clock.advance(minutes=1)
    await engine.handle_message(boss.message(f"/hide {regional} off topic, sent by John Hiddenfield"))
    clock.advance(minutes=1)
    await engine.handle_message(boss.message(f"/unhide {regional} a mistake"))
    clock.advance(minutes=1)
    await engine.handle_message(boss.message(f"/file {twinning} 1.3"))
    data = await report_data(engine)

    acts = json.loads(report_bytes(data, "json", "en"))["organisers_acts"]
    assert [(act["contribution"], act["act"]) for act in acts] == [
        (spam, "hidden"),
        (regional, "hidden"),
        (regional, "shown"),
        (twinning, "moved"),
    ]
    assert {act["by"] for act in acts} == {f"{boss.platform.name}:{boss.user_id}"}  # who filed it too
    assert [act["reason"] for act in acts[1:3]] == ["off topic, sent by […]", "a mistake"]
    assert (acts[3]["from_question"], acts[3]["to_question"]) == ("1.1", "1.3")
    assert dt.datetime.fromisoformat(acts[1]["at"]) < dt.datetime.fromisoformat(acts[2]["at"])

    sheet = openpyxl.load_workbook(io.BytesIO(report_bytes(data, "xlsx", "fr"))).worksheets[2]
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Actes des organisateurs" and rows[0][:5] == ("N°", "Acte", "Heure", "Par", "Motif")
    assert [row[:2] for row in rows[1:]] == [
        (spam, "masquée"),
        (regional, "masquée"),
        (regional, "affichée à nouveau"),
        (twinning, "déplacée"),
    ]
    assert rows[-1][5:] == ("1.1", "1.3") and isinstance(rows[1][2], dt.datetime)
    for format in ("json", "xlsx"):
        text = readable_text(format, report_bytes(data, format, "en")).casefold()
        assert HIDDEN_TEXT.casefold() not in text and "hiddenfield" not in text


async def published_texts(engine) -> list[str]:
    """The contributions' texts as the report's JSON export publishes them, sorted."""
    return sorted(c["text"] for c in json.loads(report_bytes(await report_data(engine), "json", "en"))["contributions"])


async def test_a_name_is_taken_out_however_its_letters_are_cased(engine, user):
    """Redaction first looks for each name's longest word in the casefolded
    text, then runs its pattern: neither step may miss a name written in
    capitals, with Turkish dotted and dotless i, or across two spaces."""
    boss = await organiser(engine, user)
    ilkay = await join(engine, user, "ilkay", "en", "anonymous", "İlkay Yıldız", "Kadıköy Belediyesi", "Türkiye")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.handle_message(ilkay.message("Q1: twinning between towns. ILKAY  YILDIZ, kadıköy belediyesi"))
    await engine.handle_message(ilkay.message("Q2: a network of cities, says yildiz."))
    texts = await published_texts(engine)
    assert texts == ["a network of cities, says […].", "twinning between towns. […], […]"]


async def test_a_name_is_taken_out_written_without_its_accents_or_its_hyphen(engine, user):
    boss = await organiser(engine, user)
    antonio = await join(engine, user, "antonio", "fr", "anonymous", "Antonio García-Nieto", "Región de Murcia", "España")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.handle_message(antonio.message("Q1: dans les projets de M&D. Garcia-Nieto"))
    await engine.handle_message(antonio.message("Q2: GARCIA NIETO pour la Region de Murcia."))
    texts = await published_texts(engine)
    assert texts == ["[…] pour la […].", "dans les projets de M&D. […]"]


async def test_a_name_in_letters_outside_ascii_is_taken_out(engine, user):
    """The quick test before the pattern drops what is not ASCII: a name with letters that
    have no accent to take off ("Ø"), or with no Latin letter at all, is still found."""
    boss = await organiser(engine, user)
    soren = await join(engine, user, "soren", "en", "anonymous", "Søren Østergård", "Мэрия Казани", "Danmark")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.handle_message(soren.message("Q1: ØSTERGÅRD here, for the twinning."))
    await engine.handle_message(soren.message("Q2: the Мэрия Казани pays for the bus."))
    texts = await published_texts(engine)
    assert texts == ["[…] here, for the twinning.", "the […] pays for the bus."]


async def test_an_anonymous_authors_organisation_is_taken_out_in_its_short_forms_too(engine, user):
    boss = await organiser(engine, user)
    organisation = "Fondo Andaluz de Municipios para la Solidaridad Internacional (FAMSI)"
    lucia = await join(engine, user, "lucia", "es", "anonymous", "Lucía Pérez", organisation, "España")
    await engine.handle_message(boss.message("/open_round 1"))
    await engine.handle_message(lucia.message("Q1: en el FAMSI apoyamos a los municipios; la famsilia no es un nombre."))
    await engine.handle_message(lucia.message("Q2: el Fondo Andaluz de Municipios para la Solidaridad Internacional coordina."))
    texts = await published_texts(engine)
    assert texts == ["el […] coordina.", "en el […] apoyamos a los municipios; la famsilia no es un nombre."]


def opened(content: bytes, format: str) -> object:
    """What a reader gets from a report file: the bytes, or for DOCX and XLSX each part of
    the package (the zip's own times aside, and XLSX's creation time, which openpyxl stamps)."""
    if format not in ("docx", "xlsx"):
        return content
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return {name: package.read(name) for name in package.namelist() if name != "docProps/core.xml" or format == "docx"}


async def test_the_report_sent_in_chat_reads_each_question_when_written_and_is_the_same_file(engine, filled):
    """/report (each question's contributions read from the database as it is written, in a
    worker thread) sends what the export writes, in every format, with the key points; also
    the answers not yet tied to a question and one moved from another question."""
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        first, second = (await session.scalars(select(Question).where(Question.position > 0).order_by(Question.id).limit(2))).all()
        moved = await session.scalar(select(Contribution).where(Contribution.text.contains("(1)")))
        moved.question_id = second.id
        session.add(
            ContributionMove(contribution_id=moved.id, from_question_id=first.id, to_question_id=second.id, moved_at=engine.clock())
        )
        waiting = await session.scalar(select(Contribution).where(Contribution.text.contains("(2)")))
        waiting.status = ContributionStatus.pending
        await session.commit()
    await engine.drain()  # the answers' embeddings stored first: both reports group the same vectors
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        held = await with_key_points(session, discussion, await gather(session, discussion, engine.clock()), "fr")
        streamed = await with_key_points(session, discussion, await gather(session, discussion, engine.clock(), streamed=True), "fr")
        assert len(held.unfiled) == 1 and any(entry.moved_from == first.key for q in held.questions for entry in q.entries)
        assert streamed.figures == held.figures
        for format in FORMATS:
            sent = await asyncio.to_thread(report_bytes, streamed, format, "fr")
            assert opened(sent, format) == opened(report_bytes(held, format, "fr"), format), format
