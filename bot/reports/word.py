"""The consolidated report as a Word document (python-docx), the format
organisers circulate."""

from __future__ import annotations

import contextlib
import io
import struct
from typing import BinaryIO

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm, Inches, Length, Pt
from lxml import etree

from bot.reports.charts import charts
from bot.reports.data import Entry, ReportData
from bot.reports.wording import Wording
from bot.reports.xml_text import xml_safe

GREY = "55606C"
# A chart takes at most a quarter of a page, so that one that does not fit at
# the foot of a page leaves little blank there.
CHART_WIDTH, CHART_MAX_HEIGHT = Cm(15), Cm(6.5)


def _page(section, report: ReportData, language: str) -> None:
    """A4, except for a discussion held in the United States (its time zone's
    country, or a report language such as en_US): Letter."""
    territory = get_global("zone_territories").get(report.timezone)
    with contextlib.suppress(ValueError, UnknownLocaleError):
        territory = Locale.parse(language.replace("-", "_")).territory or territory
    if territory == "US":
        section.page_width, section.page_height = Inches(8.5), Inches(11)
    else:
        section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = Cm(2.5)


def _chart_size(png: bytes) -> dict[str, Length]:
    width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR
    if CHART_WIDTH * height / width <= CHART_MAX_HEIGHT:
        return {"width": CHART_WIDTH}
    return {"height": CHART_MAX_HEIGHT}


def _contribution_style(document) -> str:
    """Contributions as indented upright text: the template's Quote style is
    italic, hard to read at length and wrong for people's own words."""
    style = document.styles.add_style("Contribution", WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.italic = False
    style.paragraph_format.left_indent = Cm(0.6)
    style.paragraph_format.space_after = Pt(8)
    return style.style_id


def _table(document, headers: tuple[str, ...], rows) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, headers, strict=True):
        cell.text = header
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = xml_safe(str(value))
    document.add_paragraph()


# Contributions are written as raw WordprocessingML: python-docx looks the
# style up and scans the whole body for each paragraph it adds, which makes a
# document of 100,000 contributions take hours; these take seconds.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _paragraph(before: etree._Element, style: str | None = None, keep_with_next: bool = False) -> etree._Element:
    paragraph = etree.Element(_W + "p")
    if style or keep_with_next:
        properties = etree.SubElement(paragraph, _W + "pPr")
        if style:
            etree.SubElement(properties, _W + "pStyle").set(_W + "val", style)
        if keep_with_next:
            etree.SubElement(properties, _W + "keepNext")
            etree.SubElement(properties, _W + "spacing").set(_W + "after", "0")
    before.addprevious(paragraph)
    return paragraph


def _run(paragraph: etree._Element, text: str, bold: bool = False, colour: str | None = None, language: str | None = None) -> None:
    """A run of text, its line breaks kept; `language` lets Word check the spelling in the right one."""
    run = etree.SubElement(paragraph, _W + "r")
    if bold or colour or language:
        properties = etree.SubElement(run, _W + "rPr")  # children in the schema's order
        if bold:
            etree.SubElement(properties, _W + "b")
        if colour:
            etree.SubElement(properties, _W + "color").set(_W + "val", colour)
        if language:
            etree.SubElement(properties, _W + "lang").set(_W + "val", language)
    for number, line in enumerate(text.split("\n")):
        if number:
            etree.SubElement(run, _W + "br")
        piece = etree.SubElement(run, _W + "t")
        piece.text = line
        piece.set(_XML_SPACE, "preserve")


def write_docx(report: ReportData, out: BinaryIO) -> None:
    words = Wording(report)
    document = Document()
    properties = document.core_properties
    properties.title = xml_safe(words.title)
    properties.language = words.language
    # Not python-docx's template's author, comment and 2013 dates.
    properties.author = properties.last_modified_by = "facilitator"
    properties.comments = ""
    properties.created = properties.modified = report.generated_at.replace(tzinfo=None)
    document.styles["Normal"].font.size = Pt(10.5)
    _page(document.sections[0], report, words.language)

    document.add_heading(xml_safe(words.title), level=0)
    kind = document.add_paragraph().add_run(f"{words.document_kind} · {words.dates}")
    kind.italic = True
    for paragraph in words.invitation.strip().split("\n\n"):
        document.add_paragraph(xml_safe(paragraph.strip()))

    document.add_heading(words.summary_heading, level=1)
    document.add_paragraph(words.totals)
    if words.unpublished_note:
        document.add_paragraph(words.unpublished_note)
    _table(document, (words.language_label, words.participants_label), words.by_language())
    _table(document, (words.language_label, words.contributions_heading), words.contributions_by_language())
    _table(document, (words.country_label, words.participants_label), words.by_country())
    _table(document, (words.role_label, words.participants_label), words.by_role())
    _table(document, (words.round_label, words.question_label, words.contributions_heading), words.per_question())

    document.add_heading(words.charts_heading, level=1)
    for chart in charts(words):
        document.add_picture(io.BytesIO(chart.png), **_chart_size(chart.png))
        document.inline_shapes[-1]._inline.docPr.set("descr", xml_safe(chart.title))  # read out by screen readers

    document.add_heading(words.contributions_heading, level=1)
    quote = _contribution_style(document)
    document.add_paragraph(words.original_languages_note)
    for round_ in report.rounds:
        document.add_heading(words.round_heading(round_), level=1)
        for question in round_.questions:
            document.add_heading(words.question_heading(question), level=2)
            document.add_paragraph().add_run(xml_safe(words.question_text(question))).bold = True
            if not question.entries:
                document.add_paragraph().add_run(words.no_contributions).italic = True
            for entry in question.entries:
                _contribution(document, words, entry, quote)
    if report.unfiled:
        document.add_heading(words.unfiled_heading, level=1)
        document.add_paragraph(words.unfiled_note)
        for _round_number, entry in report.unfiled:
            _contribution(document, words, entry, quote)
    footer = document.add_paragraph().add_run(words.generated)
    footer.italic = True
    document.save(out)


def _contribution(document, words: Wording, entry: Entry, quote: str) -> None:
    end = document.element.body.sectPr  # paragraphs go before the section properties
    described = words.describe(entry)
    heading = _paragraph(end, keep_with_next=True)
    _run(heading, xml_safe(described.author), bold=True)
    _run(heading, " · " + described.meta, colour=GREY)
    _run(_paragraph(end, style=quote), xml_safe(entry.text), language=entry.language)
