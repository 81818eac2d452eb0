"""The report's words in its language: headings, labels, dates, and how an
author or a contribution is described. The Markdown, HTML and DOCX renderers
all read these, so the three documents say the same thing.

Call inside `reading_in(language)` (`bot.reports.export` does).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval

from bot.discussion.store import question_text
from bot.i18n import _, country_name, current_language, format_number, language_name, ngettext
from bot.reports.data import Author, Entry, QuestionData, ReportData, RoundData
from bot.storage.models import Role


class EntryWords(NamedTuple):
    author: str  # "Name, Organisation, Country", or "anonymous"
    tag: str  # the language tag shown: "ES"
    language_name: str
    moment: str
    marks: list[str]  # "late", "edited"
    reference: str  # "#123", the number organisers give to /hide

    @property
    def meta(self) -> str:
        """Everything but the author, on one line."""
        return " · ".join([self.tag, self.moment, *self.marks, self.reference])


class Wording:
    def __init__(self, report: ReportData):
        self.report = report
        self.language = current_language()
        self.zone = ZoneInfo(report.timezone)
        self._authors: dict[Author, str] = {}
        self._tags: dict[str | None, tuple[str, str]] = {}
        self._language_names: dict[str | None, str] = {}

    # --- the document's own texts ------------------------------------------

    @cached_property
    def title(self) -> str:
        return self._in_language(self.report.title) or self.report.slug

    @cached_property
    def invitation(self) -> str:
        return self._in_language(self.report.invitation)

    @cached_property
    def document_kind(self) -> str:
        return _("Consolidated report of the e-discussion")

    @cached_property
    def dates(self) -> str:
        if self.report.opens_at is None or self.report.closes_at is None:
            return ""
        return self._interval(self.report.opens_at, self.report.closes_at, "yMMMMd")

    @cached_property
    def generated(self) -> str:
        return _("Generated on {date}. Times are in {timezone}.").format(
            date=format_date(self.report.generated_at.astimezone(self.zone).date(), "long", locale=self.language),
            timezone=self.report.timezone,
        )

    @cached_property
    def original_languages_note(self) -> str:
        return _(
            "Contributions are shown in the language they were written in, with their author as they agreed to "
            "appear. A message that answered several questions appears under each, with the part that answers it."
        )

    # --- participation summary -------------------------------------------

    summary_heading = property(lambda self: _("Participation"))
    charts_heading = property(lambda self: _("Charts"))
    contributions_heading = property(lambda self: _("Contributions"))
    participants_label = property(lambda self: _("Participants"))
    language_label = property(lambda self: _("Language"))
    country_label = property(lambda self: _("Country"))
    role_label = property(lambda self: _("Organisation type or role"))
    round_label = property(lambda self: _("Round"))
    question_label = property(lambda self: _("Question"))
    no_contributions = property(lambda self: _("No contributions."))
    unfiled_heading = property(lambda self: _("Not yet tied to a question"))
    unfiled_note = property(
        lambda self: _("Answers whose author has not yet said which question they answer, nor an organiser (/file)."),
    )
    anonymous = property(lambda self: _("anonymous"))

    @cached_property
    def totals(self) -> str:
        figures = self.report.figures
        return (
            ngettext("{count} contribution", "{count} contributions", figures.contributions).format(
                count=format_number(figures.contributions)
            )
            + ", "
            + ngettext("{count} participant", "{count} participants", figures.participants).format(
                count=format_number(figures.participants)
            )
            + "."
        )

    @cached_property
    def unpublished_note(self) -> str:
        count = self.report.figures.unpublished_profiles
        if not count:
            return ""
        return ngettext(
            "{count} participant did not agree to be named: their country and role are not counted.",
            "{count} participants did not agree to be named: their country and role are not counted.",
            count,
        ).format(count=format_number(count))

    def by_language(self) -> list[tuple[str, int]]:
        """Participants, each once, by the language they chose."""
        return [(self.language_name(code), count) for code, count in self.report.figures.by_language.items()]

    def contributions_by_language(self) -> list[tuple[str, int]]:
        return [(self.language_name(code), count) for code, count in self.report.figures.contributions_by_language.items()]

    def by_country(self) -> list[tuple[str, int]]:
        return [(self.country_name(country), count) for country, count in self.report.figures.by_country.items()]

    def by_role(self) -> list[tuple[str, int]]:
        return [(self.role_name(role), count) for role, count in self.report.figures.by_role.items()]

    def per_question(self) -> list[tuple[str, str, int]]:
        """(round, question, contributions) rows, a total row per round."""
        rows = []
        for round_ in self.report.rounds:
            for question in round_.questions:
                rows.append((str(round_.number), question.key, len(question.entries)))
            rows.append((str(round_.number), _("all questions of the round"), round_.contributions))
        if self.report.unfiled:
            rows.append(("—", self.unfiled_heading, len(self.report.unfiled)))
        return rows

    def country_name(self, country: str | None) -> str:
        if country is None:
            return _("not published")
        return country_name(country, current_language()) if country else _("not given")

    def role_name(self, role: Role | None) -> str:
        if role is None:
            return _("not published")
        if role == Role.local_authority:
            return _("local or regional authority")
        if role == Role.organiser:
            return _("organiser")
        return _("other, or not said")  # "No" and a skipped question are one answer

    def language_name(self, code: str | None) -> str:
        name = self._language_names.get(code)
        if name is None:
            name = self._language_names[code] = language_name(code, self.language) if code else _("unknown language")
        return name

    # --- chart titles ------------------------------------------------------

    per_question_chart = property(lambda self: _("Contributions per question"))
    per_language_chart = property(lambda self: _("Participants per language"))
    per_country_chart = property(lambda self: _("Participants per country"))

    # --- rounds, questions, contributions ----------------------------------

    def round_heading(self, round_: RoundData) -> str:
        return _("Round {number}").format(number=round_.number) + f" · {self._interval(round_.opens_at, round_.closes_at, 'yMMMd')}"

    def question_heading(self, question: QuestionData) -> str:
        return _("Question {key}").format(key=question.key)

    def question_text(self, question: QuestionData) -> str:
        return question_text(question, self.language, self.report)

    def author(self, author: Author) -> str:
        """ "Name, Organisation, Country", or "anonymous"."""
        line = self._authors.get(author)
        if line is None:
            parts = [part for part in (author.name, author.organisation, author.country) if part] if author.public else []
            line = self._authors[author] = ", ".join(parts) or self.anonymous
        return line

    def describe(self, entry: Entry) -> EntryWords:
        """Everything said about a contribution besides its text, in one call
        (a template calls it 100,000 times)."""
        language = entry.language
        tag = self._tags.get(language)
        if tag is None:
            tag = self._tags[language] = (language.upper() if language else "?", self.language_name(language))
        marks = ([self.late] if entry.late else []) + ([self.edited] if entry.edited_at is not None else [])
        if entry.moved_from is not None:
            marks.append(_("moved from question {key}").format(key=entry.moved_from))
        return EntryWords(self.author(entry.author), tag[0], tag[1], self.moment(entry.created_at), marks, f"#{entry.id}")

    def moment(self, moment: dt.datetime) -> str:
        # Not Babel's formatter: it is far too slow for 100,000 contributions,
        # and an ISO-like time reads the same in every language.
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    @cached_property
    def late(self) -> str:
        return _("late (after the round closed)")

    @cached_property
    def edited(self) -> str:
        return _("edited")

    # --- helpers -----------------------------------------------------------

    def _in_language(self, texts: dict[str, str]) -> str:
        return texts.get(self.language) or next((texts[code] for code in self.report.languages if texts.get(code)), "")

    def _interval(self, start: dt.datetime, end: dt.datetime, skeleton: str) -> str:
        return format_interval(start.astimezone(self.zone).date(), end.astimezone(self.zone).date(), skeleton, locale=self.language)
