"""The key points as readers meet them in each report format: an overview at the top, each
question's themes before its contributions, quotes with their language and their author as
consented, the JSON export carrying every theme's members, and the spreadsheets naming each
contribution's theme, the XLSX file with a sheet of the themes."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from html.parser import HTMLParser

import docx
import openpyxl
import pytest

from bot.discussion import store
from bot.reports.data import ReportData, gather
from bot.reports.export import report_bytes
from bot.reports.synthesis.making import for_report
from tests.reports.synthesis.corpus import LABELLED, embed, read, store_contributions

ROWS = read(LABELLED)


@pytest.fixture
async def report(engine) -> ReportData:
    named = [row | {"author": f"Autora {number}", "country": "Ecuador"} if number % 2 else row for number, row in enumerate(ROWS)]
    await store_contributions(engine.sessions, named, embed([row["text"] for row in named]), engine.clock())
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        data = await gather(session, discussion, engine.clock())
        return dataclasses.replace(data, synthesis=await for_report(session, discussion, data, "en"))


def first_theme(report: ReportData):
    question = next(q for q in report.synthesis.questions if q.themes)
    return question.key, question.themes[0]


def test_markdown_has_the_overview_first_and_each_questions_key_points_before_its_contributions(report):
    text = report_bytes(report, "md", "en").decode("utf-8").replace("\\", "")  # Markdown's escapes
    key, theme = first_theme(report)
    assert text.index("## Key points at a glance") < text.index("## Participation")
    block = text[text.index(f"### Question {key}") :]
    assert block.index("#### Key points") < block.index(" · EN · ") or block.index("#### Key points") < block.index(" · ES · ")
    quote = theme.quoted()[0]
    assert f"[{quote.language.upper()}] {quote.text}" in block
    assert "Draft: the themes were grouped automatically" in text


class _Sections(HTMLParser):
    """The order of the key-point sections, quotes and contributions in the page."""

    def __init__(self):
        super().__init__()
        self.order: list[str] = []
        self.quote_languages: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id") in ("key-points", "participation"):
            self.order.append(attributes["id"])
        if "key-points" in (attributes.get("class") or "").split():
            self.order.append("question-key-points")
        if tag == "article":
            self.order.append("contribution")
        if tag == "blockquote" and self.order and self.order[-1] == "question-key-points":
            self.quote_languages.append(attributes.get("lang", ""))


def test_the_web_page_report_puts_key_points_before_contributions_and_tags_each_quote(report):
    page = _Sections()
    page.feed(report_bytes(report, "html", "en").decode("utf-8"))
    assert page.order[:2] == ["key-points", "participation"]
    first = page.order.index("question-key-points")
    assert "contribution" not in page.order[:first]
    assert page.quote_languages and set(page.quote_languages) <= {"fr", "en", "es"}


def test_the_word_report_has_key_points_with_quotes_and_authors(report):
    document = docx.Document(io.BytesIO(report_bytes(report, "docx", "en")))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    key, theme = first_theme(report)
    assert "Key points at a glance" in paragraphs
    question_at = paragraphs.index(next(p for p in paragraphs if p.startswith(f"Question {key}")))
    points_at = paragraphs.index("Key points", question_at)
    quote = theme.quoted()[0]
    assert any(quote.text in paragraph for paragraph in paragraphs[points_at:])
    assert any(paragraph.endswith(f"#{quote.contribution}") and paragraph.startswith("—") for paragraph in paragraphs[points_at:])


def test_the_json_export_carries_every_theme_with_its_contribution_numbers(report):
    data = json.loads(report_bytes(report, "json", "en"))
    exported = {(q["question"], t["theme"]): t["contributions"] for q in data["key_points"]["questions"] for t in q["themes"]}
    expected = {(q.key, t.id): t.contributions for q in report.synthesis.questions for t in q.themes}
    assert exported == expected
    assert data["key_points"]["reviewed_at"] is None


def shown_label(theme) -> str:
    return f"[{theme.label_language.upper()}] {theme.label}" if theme.label_language else theme.label


def one_moved_to_other_points(report: ReportData) -> int:
    """As organisers do in the draft: a contribution taken out of its theme, into "other"."""
    question = next(q for q in report.synthesis.questions if q.themes)
    moved = question.themes[0].contributions.pop()
    question.other.append(moved)
    return moved


def test_each_contributions_row_in_the_csv_and_the_xlsx_names_its_theme(report):
    moved = one_moved_to_other_points(report)
    expected = {}
    for question in report.synthesis.questions:
        for theme in question.themes:
            expected.update(dict.fromkeys(theme.contributions, shown_label(theme)))
        expected.update(dict.fromkeys(question.other, "Other points"))
    assert len(expected) == len(ROWS) and expected[moved] == "Other points"
    rows = list(csv.reader(io.StringIO(report_bytes(report, "csv", "en").decode("utf-8-sig"))))
    assert rows[0][2:5] == ["Question", "Theme", "Participant"]
    assert {int(row[0]): row[3] for row in rows[1:]} == expected
    sheet = openpyxl.load_workbook(io.BytesIO(report_bytes(report, "xlsx", "en"))).worksheets[0]
    assert {row[0]: row[3] for row in sheet.iter_rows(min_row=2, values_only=True)} == expected


def test_the_xlsx_has_a_sheet_of_the_themes_with_counts_quotes_and_members(report):
    one_moved_to_other_points(report)
    workbook = openpyxl.load_workbook(io.BytesIO(report_bytes(report, "xlsx", "fr")))
    rows = list(workbook["Points clés"].iter_rows(values_only=True))
    assert rows[0][0].startswith("Brouillon : les thèmes ont été regroupés automatiquement")
    assert rows[1][:3] == ("Question", "Thème", "Contributions") and rows[1][6:8] == ("Citations", "Numéros des contributions")
    listed = {(row[0], row[1]): row for row in rows[2:]}
    for question in report.synthesis.questions:
        for theme in question.themes:
            row = listed[question.key, shown_label(theme)]
            assert row[2:6] == (
                theme.counts.contributions,
                theme.counts.participants,
                theme.counts.countries,
                ", ".join(c.upper() for c in theme.counts.languages),
            )
            assert row[7] == ", ".join(f"#{number}" for number in theme.contributions)
            for quote in theme.quoted():
                assert f"[{quote.language.upper()}] {quote.text}\n— " in row[6] and f"· #{quote.contribution}" in row[6]
    with_other_points = [question for question in report.synthesis.questions if question.other]
    assert with_other_points
    for question in with_other_points:
        assert listed[question.key, "Autres points"][7] == ", ".join(f"#{number}" for number in question.other)


def test_a_quote_names_its_author_only_as_they_agreed(report):
    words = report_bytes(report, "md", "en").decode("utf-8")
    for question in report.synthesis.questions:
        for theme in question.themes:
            for quote in theme.quoted():
                number = quote.contribution
                author = f"Autora {number - 1}, Ecuador" if (number - 1) % 2 else "anonymous"  # ids follow the rows
                assert f"— {author} · #{number}" in words.replace("\\", "")


def test_a_french_report_writes_its_colons_as_french_does(report):
    one_moved_to_other_points(report)
    markdown = report_bytes(report, "md", "fr").decode("utf-8")
    assert "*Autres points :* " in markdown and "*Autres points:*" not in markdown
    assert "*Other points:* " in report_bytes(report, "md", "en").decode("utf-8")


async def test_an_overview_with_no_theme_yet_says_why_in_every_format(engine):
    """One contribution to a question makes no theme: the overview says so rather than stand empty."""
    (row,) = ROWS[:1]
    await store_contributions(engine.sessions, [row], embed([row["text"]]), engine.clock())
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        data = await gather(session, discussion, engine.clock())
        report = dataclasses.replace(data, synthesis=await for_report(session, discussion, data, "fr"))
    said = "Aucune question n’a encore de thème : un thème réunit au moins 2 contributions qui font le même point."
    assert said in report_bytes(report, "md", "fr").decode("utf-8")
    assert said in report_bytes(report, "html", "fr").decode("utf-8")
    assert said in "\n".join(p.text for p in docx.Document(io.BytesIO(report_bytes(report, "docx", "fr"))).paragraphs)
