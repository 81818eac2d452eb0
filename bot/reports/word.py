"""The consolidated report as a Word document (python-docx), the format
organisers circulate."""

from __future__ import annotations

import contextlib
import io
import itertools
import struct
import zipfile
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm, Inches, Length, Pt
from lxml import etree

from bot.reports.charts import charts
from bot.reports.data import Entry, QuestionData, ReportData
from bot.reports.synthesis.wording import KeyPointsWording
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


# The body is streamed: python-docx lays out the front matter (title,
# figures, tables, charts) and the styles; `document.xml` is then written
# again into the package with lxml's `xmlfile`, each round, question and
# contribution as it comes, so that the document is never one tree in memory
# (python-docx's took 12 KB per contribution, and scanned the whole body for
# each paragraph it added).
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NAMESPACES = {"w": _W}
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_DOCUMENT = "word/document.xml"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


class _Styles(NamedTuple):
    """The style ids of the streamed paragraphs."""

    heading_1: str
    heading_2: str
    heading_3: str
    contribution: str


def _paragraph(style: str | None = None, keep_with_next: bool = False) -> etree._Element:
    paragraph = etree.Element(_w("p"), nsmap=_NAMESPACES)
    if style or keep_with_next:
        properties = etree.SubElement(paragraph, _w("pPr"))
        if style:
            etree.SubElement(properties, _w("pStyle")).set(_w("val"), style)
        if keep_with_next:
            etree.SubElement(properties, _w("keepNext"))
            etree.SubElement(properties, _w("spacing")).set(_w("after"), "0")
    return paragraph


def _run(
    paragraph: etree._Element, text: str, bold: bool = False, italic: bool = False, colour: str | None = None, language: str | None = None
) -> etree._Element:
    """A run of text added to `paragraph` (returned), its line breaks kept;
    `language` lets Word check the spelling in the right one."""
    run = etree.SubElement(paragraph, _w("r"))
    if bold or italic or colour or language:
        properties = etree.SubElement(run, _w("rPr"))  # children in the schema's order
        if bold:
            etree.SubElement(properties, _w("b"))
        if italic:
            etree.SubElement(properties, _w("i"))
        if colour:
            etree.SubElement(properties, _w("color")).set(_w("val"), colour)
        if language:
            etree.SubElement(properties, _w("lang")).set(_w("val"), language)
    for number, line in enumerate(xml_safe(text).split("\n")):
        if number:
            etree.SubElement(run, _w("br"))
        piece = etree.SubElement(run, _w("t"))
        piece.text = line
        piece.set(_XML_SPACE, "preserve")
    return paragraph


def _text(text: str, style: str | None = None, *, bold: bool = False, italic: bool = False) -> etree._Element:
    """A paragraph of one run."""
    return _run(_paragraph(style), text, bold=bold, italic=italic)


def _front_matter(report: ReportData, words: Wording, points: KeyPointsWording | None) -> tuple[DocxDocument, _Styles]:
    """Everything before the contributions, laid out by python-docx, and the styles the rest uses."""
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
    if points is not None:
        _overview(document, points)

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
    document.add_paragraph(words.original_languages_note)
    styles = _Styles(
        document.styles["Heading 1"].style_id,
        document.styles["Heading 2"].style_id,
        document.styles["Heading 3"].style_id,
        _contribution_style(document),
    )
    return document, styles


def _contribution(words: Wording, entry: Entry, styles: _Styles) -> Iterator[etree._Element]:
    described = words.describe(entry)
    heading = _run(_paragraph(keep_with_next=True), described.author, bold=True)
    yield _run(heading, " · " + described.meta, colour=GREY)
    yield _run(_paragraph(styles.contribution), entry.text, language=entry.language)


def _overview(document: DocxDocument, points: KeyPointsWording) -> None:
    """The key points at a glance, at the top of the report."""
    document.add_heading(points.overview_heading, level=1)
    document.add_paragraph().add_run(xml_safe(points.how_made)).italic = True
    if points.summary:
        document.add_paragraph(xml_safe(points.summary))
    for heading, lines in points.overview():
        document.add_paragraph().add_run(heading).bold = True
        for line in lines:
            document.add_paragraph(xml_safe(line), style="List Bullet")
    if top := points.top():
        document.add_paragraph().add_run(points.top_heading).bold = True
        for line in top:
            document.add_paragraph(xml_safe(line), style="List Number")


def _key_points(points: KeyPointsWording, key: str, styles: _Styles) -> Iterator[etree._Element]:
    """A question's themes, before its contributions."""
    question = points.question(key)
    if question is None or not (question.themes or question.other or question.new):
        return
    yield _text(points.heading, styles.heading_3)
    if question.summary.strip():
        yield _text(question.summary.strip())
    for theme in question.themes:
        said = points.theme(theme)
        yield _run(_run(_paragraph(keep_with_next=True), said.label, bold=True), " · " + said.counts, colour=GREY)
        if said.summary:
            yield _text(said.summary)
        for quote in said.quotes:
            quoted = _run(_paragraph(styles.contribution, keep_with_next=True), f"[{quote.tag}] ", bold=True)
            yield _run(quoted, quote.text, language=quote.language)
            yield _run(_paragraph(styles.contribution), "— " + quote.attribution, colour=GREY)
    for heading, numbers in ((points.other_heading, question.other), (points.new_heading, question.new)):
        if numbers:
            yield _run(_run(_paragraph(), points.introducing(heading) + " ", italic=True), points.references(numbers))


def _question(words: Wording, question: QuestionData, styles: _Styles, points: KeyPointsWording | None) -> Iterator[etree._Element]:
    """One question's block: its heading, its text, its key points, its contributions."""
    yield _text(words.question_heading(question), styles.heading_2)
    yield _text(words.question_text(question), bold=True)
    if points is not None:
        yield from _key_points(points, question.key, styles)
    if not question.entries:
        yield _text(words.no_contributions, italic=True)
    for entry in question.entries:
        yield from _contribution(words, entry, styles)


def _body(report: ReportData, words: Wording, styles: _Styles, points: KeyPointsWording | None) -> Iterator[etree._Element]:
    """What follows the front matter: each round and its questions, the answers not yet tied to one, the footer."""
    for round_ in report.rounds:
        yield _text(words.round_heading(round_), styles.heading_1)
        for question in round_.questions:
            yield from _question(words, question, styles, points)
    if report.unfiled:
        yield _text(words.unfiled_heading, styles.heading_1)
        yield _text(words.unfiled_note)
        for _round_number, entry in report.unfiled:
            yield from _contribution(words, entry, styles)
    yield _text(words.generated, italic=True)


def write_docx(report: ReportData, out: BinaryIO) -> None:
    words = Wording(report)
    points = KeyPointsWording(report, report.synthesis, words) if report.synthesis is not None else None
    document, styles = _front_matter(report, words, points)
    laid_out = io.BytesIO()
    document.save(laid_out)
    with zipfile.ZipFile(laid_out) as parts, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for part in parts.infolist():  # in their order, [Content_Types].xml first
            if part.filename != _DOCUMENT:
                package.writestr(part, parts.read(part))
                continue
            front = etree.fromstring(parts.read(part))
            body = front.find(_w("body"))
            assert body is not None
            *front_matter, section = body  # the section's properties (page size, margins) come last
            with package.open(_DOCUMENT, "w") as stream, etree.xmlfile(stream, encoding="UTF-8") as xml:
                xml.write_declaration(standalone=True)
                with xml.element(front.tag, attrib=dict(front.attrib), nsmap=front.nsmap), xml.element(body.tag):
                    for element in itertools.chain(front_matter, _body(report, words, styles, points), [section]):  # one at a time
                        xml.write(element)
