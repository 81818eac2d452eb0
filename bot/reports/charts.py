"""The report's charts, as PNG images.

matplotlib's object interface with the Agg canvas, never pyplot: no global
figure state and no display, so charts can be drawn in a worker thread while
the bot goes on serving.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.i18n import _
from bot.reports.wording import Wording

BAR_COLOUR = "#2f6f9f"
MAX_BARS = 20  # countries beyond these are summed as "others"


@dataclass(frozen=True)
class Chart:
    name: str  # a file-name-like identifier: "contributions-per-question"
    title: str
    png: bytes


def charts(words: Wording) -> list[Chart]:
    per_question = [(question.key, len(question.entries)) for question in words.report.questions]
    return [
        Chart("contributions-per-question", words.per_question_chart, _bar_chart(words.per_question_chart, per_question)),
        Chart("participants-per-language", words.per_language_chart, _bar_chart(words.per_language_chart, words.by_language())),
        Chart("participants-per-country", words.per_country_chart, _bar_chart(words.per_country_chart, _top(words.by_country()))),
    ]


def _top(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if len(rows) <= MAX_BARS:
        return rows
    rest = sum(count for _label, count in rows[MAX_BARS - 1 :])
    return [*rows[: MAX_BARS - 1], (_("others"), rest)]


def _bar_chart(title: str, rows: list[tuple[str, int]]) -> bytes:
    labels = [label for label, _count in rows]
    counts = [count for _label, count in rows]
    horizontal = len(rows) > 8 or any(len(label) > 12 for label in labels)
    height = max(2.5, 0.32 * len(rows) + 1.2) if horizontal else 3.2
    figure = Figure(figsize=(7.5, height), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if horizontal:
        positions = list(range(len(rows)))[::-1]  # the first row on top
        bars = axes.barh(positions, counts, color=BAR_COLOUR)
        axes.set_yticks(positions, labels)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # people and contributions come whole
    else:
        bars = axes.bar(range(len(rows)), counts, color=BAR_COLOUR)
        axes.set_xticks(range(len(rows)), labels)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.bar_label(bars, padding=2, fontsize=8)
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    if not rows:
        axes.set_axis_off()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
