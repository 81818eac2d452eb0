"""The key points' words in the report's language, read by every renderer: headings, each
theme's label, counts and quotes (with their author as the report names them), the
overview, and how the themes were made. Call inside `reading_in(language)`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from babel.dates import format_date

from bot.i18n import _, format_number, ngettext
from bot.reports.data import Entry, ReportData
from bot.reports.synthesis.draft import QuestionThemes, Synthesis, Theme
from bot.reports.synthesis.grouping import SMALLEST_THEME
from bot.reports.wording import Wording


@dataclass(frozen=True)
class QuoteWords:
    tag: str  # the quote's language, "ES"
    language: str | None
    text: str  # exactly as its author wrote it
    attribution: str  # "Name, Organisation, Country · #12", or "anonymous · #12"


@dataclass(frozen=True)
class ThemeWords:
    label: str  # with its language tag when it is not the report's: "[ES] remesas · …"
    counts: str  # "5 contributions · 4 participants · 3 countries · FR, ES"
    summary: str  # the organisers' own words, or ""
    quotes: list[QuoteWords]


class KeyPointsWording:
    def __init__(self, report: ReportData, synthesis: Synthesis, words: Wording):
        self.report = report
        self.synthesis = synthesis
        self.words = words

    @cached_property
    def _entries(self) -> dict[int, Entry]:
        """The quoted contributions by their number, for their authors: made when a quote is
        first said, and only of those (a few per theme, of a discussion's many)."""
        quoted = {
            sentence.contribution for question in self.synthesis.questions for theme in question.themes for sentence in theme.quoted()
        }
        return self.report.entries_with_ids(quoted)

    heading = property(lambda self: _("Key points"))
    overview_heading = property(lambda self: _("Key points at a glance"))
    top_heading = property(lambda self: _("The themes with the most participants"))
    other_heading = property(lambda self: _("Other points"))
    new_heading = property(lambda self: _("New since the organisers' review"))

    @cached_property
    def reviewed(self) -> bool:
        return self.synthesis.reviewed_at is not None

    @cached_property
    def how_made(self) -> str:
        """How the themes were made, said in every report; and, while there is none, why."""
        if self.synthesis.reviewed_at is None:
            made = _(
                "Draft: the themes were grouped automatically by meaning, across languages, and are not yet reviewed by the "
                "organisers. Quotes are sentences exactly as their authors wrote them."
            )
        else:
            made = _(
                "The themes were grouped automatically by meaning, across languages, then reviewed by the organisers on {date}. "
                "Quotes are sentences exactly as their authors wrote them."
            ).format(date=format_date(self.synthesis.reviewed_at.date(), "long", locale=self.words.language))
        if any(question.themes for question in self.synthesis.questions):
            return made
        # An empty overview would read as key points lost.
        return (
            made
            + " "
            + _("No question has a theme yet: a theme needs at least {count} contributions that make the same point.").format(
                count=format_number(SMALLEST_THEME)
            )
        )

    @cached_property
    def summary(self) -> str:
        return self.synthesis.summary.strip()

    def question(self, key: str) -> QuestionThemes | None:
        return self.synthesis.question(key)

    def theme(self, theme: Theme) -> ThemeWords:
        counts = theme.counts
        parts = [
            ngettext("{count} contribution", "{count} contributions", counts.contributions).format(
                count=format_number(counts.contributions)
            ),
            ngettext("{count} participant", "{count} participants", counts.participants).format(count=format_number(counts.participants)),
        ]
        if counts.countries:
            parts.append(ngettext("{count} country", "{count} countries", counts.countries).format(count=format_number(counts.countries)))
        parts.append(", ".join(code.upper() for code in counts.languages))
        return ThemeWords(
            label=self.label(theme),
            counts=" · ".join(part for part in parts if part),
            summary=theme.summary.strip(),
            quotes=[self._quote(sentence.contribution, sentence.language, sentence.text) for sentence in theme.quoted()],
        )

    def label(self, theme: Theme) -> str:
        return f"[{theme.label_language.upper()}] {theme.label}" if theme.label_language else theme.label

    def placement(self, key: str) -> dict[int, str]:
        """Where each contribution to question `key` stands, by its number: its theme's label,
        "other points", or "new since the organisers' review"."""
        question = self.synthesis.question(key)
        if question is None:
            return {}
        placed: dict[int, str] = {}
        for theme in question.themes:
            placed.update(dict.fromkeys(theme.contributions, self.label(theme)))
        placed.update(dict.fromkeys(question.other, self.other_heading))
        placed.update(dict.fromkeys(question.new, self.new_heading))
        return placed

    def references(self, numbers: list[int]) -> str:
        """ "#12, #45": the contributions, by the number under which the report shows them."""
        return ", ".join(f"#{number}" for number in numbers)

    @staticmethod
    def introducing(heading: str) -> str:
        """A heading before what it introduces, with the colon the reader's language writes ("Autres points :")."""
        return _("{heading}:").format(heading=heading)

    def overview(self) -> list[tuple[str, list[str]]]:
        """Per question with themes: its heading, and a line per theme."""
        rows = []
        for question in self.synthesis.questions:
            if question.themes:
                lines = [f"{self.label(theme)} ({self.participants(theme)})" for theme in question.themes]
                rows.append((_("Question {key}").format(key=question.key), lines))
        return rows

    def top(self) -> list[str]:
        return [
            self.introducing(_("Question {key}").format(key=key)) + f" {self.label(theme)} ({self.participants(theme)})"
            for key, theme in self.synthesis.top_themes()
            if theme.counts.participants
        ]

    def participants(self, theme: Theme) -> str:
        count = theme.counts.participants
        return ngettext("{count} participant", "{count} participants", count).format(count=format_number(count))

    def _quote(self, contribution: int, language: str | None, text: str) -> QuoteWords:
        entry = self._entries.get(contribution)
        author = self.words.author(entry.author) if entry is not None else self.words.anonymous
        return QuoteWords((language or "?").upper(), language, text, f"{author} · #{contribution}")
