"""The consolidated report as Markdown. Its charts are image files beside
it, linked by name (Markdown viewers and converters do not all show data-URI
images, and base64 would make the text unreadable); without a place to put
them (a chat attachment is one file), they are left out."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import BinaryIO

from bot.reports.charts import Chart, charts
from bot.reports.data import Entry, ReportData
from bot.reports.synthesis.wording import KeyPointsWording
from bot.reports.wording import Wording

# Characters Markdown would read as formatting (or raw HTML, or an entity) in people's texts.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|&~!])")
# What starts a list, a heading underline or a rule at the beginning of a line: "- ", "1. ", "2) ", "===".
_LINE_START = re.compile(r"^([-+=]|\d+(?=[.)]))")


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def quoted(text: str) -> str:
    """A contribution as a block quote, its line breaks kept (a backslash at
    the end of a line is Markdown's line break) and nothing in it read as a
    list, a heading or code."""
    lines = [_LINE_START.sub(_escape_line_start, escape(line.strip())) for line in text.split("\n")]
    return "\n".join(
        "> " + line + ("\\" if line and i + 1 < len(lines) and lines[i + 1] else "") if line else ">" for i, line in enumerate(lines)
    )


def _escape_line_start(match: re.Match) -> str:
    start = match.group(1)
    return start + "\\" if start[0].isdigit() else "\\" + start


def _table(headers: tuple[str, ...], rows) -> str:
    lines = ["| " + " | ".join(escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(escape(str(cell)) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n"


def _contribution(words: Wording, entry: Entry) -> str:
    described = words.describe(entry)
    return f"**{escape(described.author)}** · {described.meta}\n\n" + quoted(entry.text) + "\n\n"  # meta: our own words only


def _overview(points: KeyPointsWording) -> str:
    parts = [f"## {escape(points.overview_heading)}\n\n*{escape(points.how_made)}*\n\n"]
    if points.summary:
        parts.append(escape(points.summary) + "\n\n")
    for heading, lines in points.overview():
        parts.append(f"**{escape(heading)}**\n\n" + "".join(f"- {escape(line)}\n" for line in lines) + "\n")
    if top := points.top():
        parts.append(f"**{escape(points.top_heading)}**\n\n" + "".join(f"{n}. {escape(line)}\n" for n, line in enumerate(top, 1)) + "\n")
    return "".join(parts)


def _key_points(points: KeyPointsWording, key: str) -> str:
    question = points.question(key)
    if question is None or not (question.themes or question.other or question.new):
        return ""
    parts = [f"#### {escape(points.heading)}\n\n"]
    if question.summary.strip():
        parts.append(escape(question.summary.strip()) + "\n\n")
    for theme in question.themes:
        said = points.theme(theme)
        parts.append(f"**{escape(said.label)}** · {escape(said.counts)}\n\n")
        if said.summary:
            parts.append(escape(said.summary) + "\n\n")
        for quote in said.quotes:
            parts.append(quoted(f"[{quote.tag}] {quote.text}") + f"\n>\n> — {escape(quote.attribution)}\n\n")
    for heading, numbers in ((points.other_heading, question.other), (points.new_heading, question.new)):
        if numbers:
            parts.append(f"*{escape(points.introducing(heading))}* {escape(points.references(numbers))}\n\n")
    return "".join(parts)


def write_markdown(report: ReportData, out: BinaryIO, save_chart: Callable[[Chart], str] | None = None) -> None:
    """`save_chart` stores a chart's image and gives the link to it."""
    words = Wording(report)
    points = KeyPointsWording(report, report.synthesis, words) if report.synthesis is not None else None
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    try:
        write = text.write
        write(f"# {escape(words.title)}\n\n")
        write(f"*{escape(words.document_kind)} · {escape(words.dates)}*\n\n")
        write(escape(words.invitation.strip()) + "\n\n")
        if points is not None:
            write(_overview(points))
        write(f"## {escape(words.summary_heading)}\n\n{escape(words.totals)}\n\n")
        if words.unpublished_note:
            write(escape(words.unpublished_note) + "\n\n")
        write(_table((words.language_label, words.participants_label), words.by_language()))
        write(_table((words.language_label, words.contributions_heading), words.contributions_by_language()))
        write(_table((words.country_label, words.participants_label), words.by_country()))
        write(_table((words.role_label, words.participants_label), words.by_role()))
        write(_table((words.round_label, words.question_label, words.contributions_heading), words.per_question()))
        if save_chart is not None:
            write(f"## {escape(words.charts_heading)}\n\n")
            for chart in charts(words):
                write(f"![{escape(chart.title)}](<{save_chart(chart)}>)\n\n")
        write(f"## {escape(words.contributions_heading)}\n\n{escape(words.original_languages_note)}\n\n")
        for round_ in report.rounds:
            write(f"## {escape(words.round_heading(round_))}\n\n")
            for question in round_.questions:
                write(f"### {escape(words.question_heading(question))}\n\n**{escape(words.question_text(question))}**\n\n")
                if points is not None:
                    write(_key_points(points, question.key))
                if not question.entries:
                    write(f"*{escape(words.no_contributions)}*\n\n")
                for entry in question.entries:
                    write(_contribution(words, entry))
        if report.unfiled:
            write(f"## {escape(words.unfiled_heading)}\n\n{escape(words.unfiled_note)}\n\n")
            for _round_number, entry in report.unfiled:
                write(_contribution(words, entry))
        write(f"---\n\n*{escape(words.generated)}*\n")
    finally:
        text.flush()
        text.detach()
