"""The report's data for other tools: JSON with everything publishable, and
CSV and XLSX with one row per contribution for spreadsheets. JSON and XLSX
(a sheet of its own) also carry the organisers' acts on contributions, the
audit log the desk shows; CSV stays one table, of contributions. With the key
points, every contribution's row names its theme, and XLSX has a sheet of
the themes (counts, quotes, members); JSON carries them whole."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import BinaryIO

from babel.numbers import get_decimal_symbol
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from bot.i18n import _
from bot.reports.data import Act, Author, Entry, ReportData
from bot.reports.synthesis.wording import KeyPointsWording
from bot.reports.wording import Wording
from bot.reports.xml_text import xml_safe

# What a spreadsheet would run as a formula ("=HYPERLINK(…)") rather than show.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _participant(words: Wording, author: Author) -> str | None:
    """Their name; nothing for a published author who gave none (their
    organisation and country beside it are theirs to publish); "anonymous" otherwise."""
    if author.public:
        return author.name or None
    return words.anonymous


def _iso(moment: dt.datetime | None, words: Wording) -> str | None:
    return moment.astimezone(words.zone).isoformat(timespec="seconds") if moment else None


def _contributions(report: ReportData) -> Iterator[tuple[int | None, str | None, Entry]]:
    """(round number, question key, entry) for every contribution; the key is
    None for those not yet tied to a question, which come last."""
    for question in report.questions:
        for entry in question.entries:
            yield question.round_number, question.key, entry
    for round_number, entry in report.unfiled:
        yield round_number, None, entry


def _act_name(act: Act) -> str:
    return {"hidden": _("hidden"), "shown": _("shown again"), "filed": _("filed"), "moved": _("moved")}[act.kind]


def write_json(report: ReportData, out: BinaryIO) -> None:
    words = Wording(report)
    figures = report.figures
    document = {
        "discussion": {
            "id": report.slug,
            "title": report.title,
            "invitation": report.invitation,
            "languages": report.languages,
            "timezone": report.timezone,
            "rounds": [
                {"number": r.number, "opens_at": _iso(r.opens_at, words), "closes_at": _iso(r.closes_at, words)} for r in report.rounds
            ],
        },
        "report_language": words.language,
        "generated_at": _iso(report.generated_at, words),
        "summary": {
            "participants": figures.participants,
            "contributions": figures.contributions,
            "participants_by_language": dict(figures.by_language),
            "contributions_by_language": dict(figures.contributions_by_language),
            "participants_by_country": [{"country": label, "participants": n} for label, n in words.by_country()],
            "participants_by_role": [{"role": label, "participants": n} for label, n in words.by_role()],
        },
        "questions": [{"key": q.key, "round": q.round_number, "texts": q.texts, "contributions": len(q.entries)} for q in report.questions],
        "participants": [
            {"name": a.name, "organisation": a.organisation, "country": a.country, "role": words.role_name(a.role)}
            for a in report.public_authors
        ],
        "contributions": [
            {
                "id": entry.id,
                "round": round_number,
                "question": key,
                "participant": _participant(words, entry.author),
                "organisation": entry.author.organisation,
                "country": entry.author.country,
                "language": entry.language,
                "platform": entry.platform,
                "text": entry.text,
                "created_at": _iso(entry.created_at, words),
                "edited_at": _iso(entry.edited_at, words),
                "moved_from": entry.moved_from,
                "late": entry.late,
            }
            for round_number, key, entry in _contributions(report)
        ],
        "organisers_acts": [
            {
                "contribution": act.contribution_id,
                "act": act.kind,
                "at": _iso(act.at, words),
                "by": act.by,
                "reason": act.reason,
                "from_question": act.from_question,
                "to_question": act.to_question,
            }
            for act in report.acts
        ],
    }
    if report.synthesis is not None:  # the key points: themes with their members' contribution ids, labels, quotes
        document["key_points"] = {name: value for name, value in report.synthesis.as_dict().items() if name != "digest"}
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        json.dump(document, text, ensure_ascii=False, indent=1)
    finally:
        text.flush()
        text.detach()


def _headers() -> tuple[str, ...]:
    return (
        _("ID"),
        _("Round"),
        _("Question"),
        _("Theme"),
        _("Participant"),
        _("Organisation"),
        _("Country"),
        _("Language"),
        _("Platform"),
        _("Time"),
        _("Edited"),
        _("Late"),
        _("Text"),
    )


def _key_points(report: ReportData, words: Wording) -> KeyPointsWording | None:
    return KeyPointsWording(report, report.synthesis, words) if report.synthesis is not None else None


def _rows(report: ReportData, words: Wording) -> Iterator[tuple]:
    """One row per contribution, in the order of `_headers`; times as local
    times of the discussion's zone."""
    yes, no = _("yes"), _("no")
    points = _key_points(report, words)
    themes: dict[str | None, dict[int, str]] = {}  # one question's at a time: its contributions come together
    for round_number, key, entry in _contributions(report):
        if key not in themes:
            themes = {key: points.placement(key) if points is not None and key is not None else {}}
        author = entry.author
        yield (
            entry.id,
            round_number,
            key,
            themes[key].get(entry.id, ""),
            _participant(words, author),
            author.organisation or "",
            author.country or "",
            entry.language or "",
            entry.platform,
            entry.created_at.astimezone(words.zone).replace(tzinfo=None),
            entry.edited_at.astimezone(words.zone).replace(tzinfo=None) if entry.edited_at else None,
            yes if entry.late else no,
            entry.text,
        )


def _csv_safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text by spreadsheets, as OWASP advises
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return "" if value is None else value


def write_csv(report: ReportData, out: BinaryIO) -> None:
    words = Wording(report)
    # With a byte-order mark, so that Excel reads the accents right, and the
    # separator Excel expects where the decimal mark is a comma (French,
    # Spanish): ";", else it opens the file as one column.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text, delimiter=";" if get_decimal_symbol(words.language) == "," else ",")
        writer.writerow(_headers())
        writer.writerows([_csv_safe(value) for value in row] for row in _rows(report, words))
    finally:
        text.flush()
        text.detach()


def write_xlsx(report: ReportData, out: BinaryIO) -> None:
    words = Wording(report)
    workbook = Workbook(write_only=True)  # streamed: rows are not kept as cell objects
    sheet = workbook.create_sheet(_sheet_title(words.contributions_heading))
    for column, width in zip("ABCDEFGHIJKLM", (8, 7, 9, 30, 24, 28, 16, 9, 10, 17, 17, 7, 100), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_styled(sheet, header, bold) for header in _headers()])
    for row in _rows(report, words):
        sheet.append([_xlsx_cell(sheet, value) for value in row])

    questions = workbook.create_sheet(_sheet_title(_("Questions")))
    questions.column_dimensions["C"].width = 100
    questions.append([_styled(questions, h, bold) for h in (words.round_label, words.question_label, _("Text"))])
    for question in report.questions:
        questions.append([question.round_number, question.key, xml_safe(words.question_text(question))])

    acts = workbook.create_sheet(_sheet_title(_("Organisers' acts")))
    for column, width in zip("ABCDEFG", (8, 12, 17, 24, 60, 9, 9), strict=True):
        acts.column_dimensions[column].width = width
    headers = (_("ID"), _("Act"), _("Time"), _("By"), _("Reason"), _("From question"), _("To question"))
    acts.append([_styled(acts, header, bold) for header in headers])
    for act in report.acts:
        row = (act.contribution_id, _act_name(act), act.at.astimezone(words.zone).replace(tzinfo=None), act.by, act.reason)
        acts.append([_xlsx_cell(acts, value) for value in (*row, act.from_question, act.to_question)])

    points = _key_points(report, words)
    if points is not None:
        _key_points_sheet(workbook.create_sheet(_sheet_title(points.heading)), points, bold)
    workbook.save(out)


def _key_points_sheet(sheet, points: KeyPointsWording, bold: Font) -> None:
    """How the themes were made, then a row per theme: its counts, its quotes (each with its
    language tag and author), its contributions' numbers; then each question's other and new points."""
    for column, width in zip("ABCDEFGHI", (9, 40, 13, 13, 10, 12, 90, 40, 60), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    sheet.append([_styled(sheet, xml_safe(points.how_made), Font(italic=True))])
    headers = (
        points.words.question_label,
        _("Theme"),
        points.words.contributions_heading,
        points.words.participants_label,
        _("Countries"),
        _("Languages"),
        _("Quotes"),
        _("Contribution numbers"),
        _("Summary"),
    )
    sheet.append([_styled(sheet, header, bold) for header in headers])
    wrapped = Alignment(wrap_text=True, vertical="top")
    for question in points.synthesis.questions:
        for theme in question.themes:
            said = points.theme(theme)
            quotes = "\n\n".join(f"[{quote.tag}] {quote.text}\n— {quote.attribution}" for quote in said.quotes)
            counts = theme.counts
            row = (question.key, said.label, counts.contributions, counts.participants, counts.countries)
            sheet.append(
                [
                    *(_xlsx_cell(sheet, value) for value in row),
                    ", ".join(code.upper() for code in counts.languages),
                    _wrapped(sheet, quotes, wrapped),
                    points.references(theme.contributions),
                    _wrapped(sheet, said.summary, wrapped),
                ]
            )
        for heading, numbers in ((points.other_heading, question.other), (points.new_heading, question.new)):
            if numbers:
                sheet.append([question.key, heading, len(numbers), None, None, None, None, points.references(numbers)])


def _sheet_title(title: str) -> str:
    return "".join(c for c in title if c not in "[]:*?/\\")[:31]


def _styled(sheet, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell


def _wrapped(sheet, text: str, alignment: Alignment) -> WriteOnlyCell | None:
    """Text of several lines, shown whole in its cell; never read as a formula."""
    if not text:
        return None
    cell = WriteOnlyCell(sheet, value=xml_safe(text))
    cell.data_type = "s"
    cell.alignment = alignment
    return cell


def _xlsx_cell(sheet, value):
    if not isinstance(value, str):
        return value
    value = xml_safe(value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value
