"""The organisers' review of a draft: whether a file was edited, and what in it cannot be
saved, checked against the discussion's published contributions."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from bot.i18n import _, language_name, reading_in
from bot.reports.data import ReportData
from bot.reports.synthesis.draft import DraftError, Synthesis, from_yaml, to_yaml


def editing_help() -> str:
    return _(
        "Draft of the key points per question, in {language}. Edit it, then run the same command again to save your edits:\n"
        "  {command}\n"
        "You can rename a theme (label), write summaries (summary), move contribution numbers between themes or into "
        "`other` to merge or split themes (a new theme needs only a new `theme` name), and choose the quotes by the "
        "number (n) of a theme's sentences. Counts and sentences are the bot's: they are recomputed at every run."
    )


def draft_file(synthesis: Synthesis, discussion: str, file_name: str) -> str:
    """The draft as organisers edit it (the CLI writes it, the chat sends it, the desk shows
    it): how to edit it at its top, in its language, then the synthesis with its digest."""
    language = synthesis.language
    with reading_in(language):
        header = editing_help().format(
            language=language_name(language, language),
            command=f"facilitator synthesis --discussion {discussion} --lang {language} -o {file_name}",
        )
        if synthesis.reviewed_at is None:
            header += "\n" + _("Not reviewed yet: this is the bot's own grouping.")
    return to_yaml(stamped(synthesis), header)


def _editable(synthesis: Synthesis) -> str:
    questions = [
        {
            "question": question.key,
            "summary": question.summary,
            "other": question.other,
            "themes": [[theme.id, theme.label, theme.summary, theme.contributions, theme.quotes] for theme in question.themes],
        }
        for question in synthesis.questions
    ]
    return json.dumps({"summary": synthesis.summary, "questions": questions}, ensure_ascii=False, sort_keys=True)


def digest(synthesis: Synthesis) -> str:
    return hashlib.sha256(_editable(synthesis).encode("utf-8")).hexdigest()[:16]


def stamped(synthesis: Synthesis) -> Synthesis:
    """The synthesis as it is written to a file, with the digest of its editable parts."""
    return dataclasses.replace(synthesis, digest=digest(synthesis))


def edited(synthesis: Synthesis) -> bool:
    """Whether a synthesis read from a file was changed since the bot wrote it."""
    return synthesis.digest != digest(synthesis)


def problems_against(synthesis: Synthesis, report: ReportData, discussion: str, language: str) -> tuple[list[str], list[str]]:
    """What in an edited draft cannot be saved (problems), and what is left out of it because
    the contributions changed since it was written (notes)."""
    problems: list[str] = []
    notes: list[str] = []
    if synthesis.discussion and synthesis.discussion != discussion:
        problems.append(f"this draft is of discussion {synthesis.discussion}, not {discussion}")
    if synthesis.language and synthesis.language != language:
        problems.append(f"this draft is in {synthesis.language}: run the command with --lang {synthesis.language}")
    published = {question.key: {entry.id: entry for entry in question.entries} for question in report.questions}
    for question in synthesis.questions:
        entries = published.get(question.key)
        if entries is None:
            problems.append(f"question {question.key}: no such question in {discussion}")
            continue
        placed: dict[int, str] = {}
        for where, numbers in [*((f"theme {theme.id}", theme.contributions) for theme in question.themes), ("other", question.other)]:
            for number in numbers:
                if number in placed:
                    problems.append(f"question {question.key}: #{number} is in both {placed[number]} and {where}")
                placed[number] = where
                if number not in entries:
                    notes.append(f"question {question.key}, {where}: #{number} is not a published answer to it (hidden since?), left out")
        for theme in question.themes:
            if not theme.label:
                problems.append(f"question {question.key}, theme {theme.id}: give it a label")
            for sentence in theme.sentences:
                entry = entries.get(sentence.contribution)
                if sentence.number in theme.quotes and entry is not None and sentence.text not in entry.text:
                    problems.append(
                        f"question {question.key}, theme {theme.id}: sentence {sentence.number} is not exactly in #{sentence.contribution}; "
                        "quotes are never edited: choose another sentence by its number"
                    )
    return problems, notes


@dataclasses.dataclass(frozen=True)
class ReadBack:
    """What an edited draft gave: the review to keep (None when there is nothing to save,
    or when problems stop it), its problems, and what was left out of it."""

    review: Synthesis | None
    problems: list[str]
    notes: list[str]


def read_back(text: str, report: ReportData, discussion: str, language: str, now) -> ReadBack:
    """An edited draft file's text, checked; its review stamped with `now`."""
    try:
        from_file = from_yaml(text)
    except DraftError as error:
        return ReadBack(None, error.problems, [])
    if not edited(from_file):
        return ReadBack(None, [], [])
    problems, notes = problems_against(from_file, report, discussion, language)
    if problems:
        return ReadBack(None, problems, notes)
    return ReadBack(dataclasses.replace(from_file, reviewed_at=now), [], notes)
