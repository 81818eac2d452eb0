"""The organisers' review of a draft: whether a file was edited, and what in it cannot be
saved, checked against the discussion's published contributions. Problems and notes are
said in the reader's language when shown (`draft.Said`): the desk's, or the command's --lang."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from bot.handling.command import N_
from bot.i18n import _, language_name, reading_in
from bot.reports.data import ReportData
from bot.reports.synthesis.draft import DraftError, Said, Synthesis, from_yaml, question_at, said, theme_at, to_yaml


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


def problems_against(synthesis: Synthesis, report: ReportData, discussion: str, language: str) -> tuple[list[Said], list[Said]]:
    """What in an edited draft cannot be saved (problems), and what is left out of it because
    the contributions changed since it was written (notes)."""
    problems: list[Said] = []
    notes: list[Said] = []
    if synthesis.discussion and synthesis.discussion != discussion:
        problems.append(
            said(N_("this draft is of discussion {draft}, not {discussion}"), draft=synthesis.discussion, discussion=discussion)
        )
    if synthesis.language and synthesis.language != language:
        problems.append(
            said(
                N_("this draft is in {draft}, not {language}: save it as the draft in {draft} (--lang {draft} on the command line)"),
                draft=synthesis.language,
                language=language,
            )
        )
    published = {question.key: {entry.id: entry for entry in question.entries} for question in report.questions}
    answering = {entry_id: key for key, entries in published.items() for entry_id in entries}
    for question in synthesis.questions:
        where = question_at(question.key)
        entries = published.get(question.key)
        if entries is None:
            problems.append(said(N_("{where}: no such question in {discussion}"), where=where, discussion=discussion))
            continue
        placed: dict[int, Said] = {}
        other = said(N_("`other`"))
        for part, numbers in [
            *((said(N_("theme {theme}"), theme=theme.id), theme.contributions) for theme in question.themes),
            (other, question.other),
        ]:
            for number in numbers:
                if number in placed:
                    problems.append(
                        said(
                            N_("{where}: #{number} is in both {first} and {second}"),
                            where=where,
                            number=number,
                            first=placed[number],
                            second=part,
                        )
                    )
                placed[number] = part
                if number in answering and number not in entries:
                    # Left out, it would vanish from the key points unseen: the organisers meant it to count here.
                    problems.append(
                        said(
                            N_(
                                "{where}: #{number} in {part} answers question {other}: file it under this question first "
                                "(/file, the desk), or take it out of this one"
                            ),
                            where=where,
                            number=number,
                            part=part,
                            other=answering[number],
                        )
                    )
                elif number not in entries:
                    notes.append(
                        said(
                            N_("{where}: #{number} in {part} is no published answer (mistyped, or hidden or forgotten since), left out"),
                            where=where,
                            number=number,
                            part=part,
                        )
                    )
        for theme in question.themes:
            at = theme_at(question.key, theme.id)
            if not theme.label:
                problems.append(said(N_("{where}: give it a label"), where=at))
            for sentence in theme.sentences:
                entry = entries.get(sentence.contribution)
                if sentence.number in theme.quotes and entry is not None and sentence.text not in entry.text:
                    problems.append(
                        said(
                            N_(
                                "{where}: sentence {number} is not exactly in #{contribution}; quotes are never edited: "
                                "choose another sentence by its number"
                            ),
                            where=at,
                            number=sentence.number,
                            contribution=sentence.contribution,
                        )
                    )
    return problems, notes


def not_held_in(discussion: str, languages: list[str], language: str) -> Said:
    """The problem of a draft asked for in a language the discussion is not held in."""
    return said(
        N_("{discussion} is held in {languages}, not {language}"),
        discussion=discussion,
        languages=", ".join(languages),
        language=repr(language),
    )


@dataclasses.dataclass(frozen=True)
class ReadBack:
    """What an edited draft gave: the review to keep (None when there is nothing to save,
    or when problems stop it), its problems, and what was left out of it."""

    review: Synthesis | None
    problems: list[Said]  # each said in the reader's language when shown
    notes: list[Said]


def read_back(text: str, report: ReportData, discussion: str, language: str, now, drafted: Synthesis | None = None) -> ReadBack:
    """An edited draft file's text, checked; its review stamped with `now`. A theme renamed from
    its label in `drafted` (the synthesis kept, which the file was written from) loses its
    language tag (`untag_renamed`)."""
    try:
        from_file = from_yaml(text)
    except DraftError as error:
        return ReadBack(None, error.problems, [])
    if not edited(from_file):
        return ReadBack(None, [], [])
    problems, notes = problems_against(from_file, report, discussion, language)
    if problems:
        return ReadBack(None, problems, notes)
    if drafted is not None:
        untag_renamed(from_file, drafted)
    return ReadBack(dataclasses.replace(from_file, reviewed_at=now), [], notes)


def untag_renamed(edited_draft: Synthesis, drafted: Synthesis) -> None:
    """A theme renamed from its label in `drafted` loses its language tag: the organisers wrote it."""
    labels = {(question.key, theme.id): theme.label for question in drafted.questions for theme in question.themes}
    for question in edited_draft.questions:
        for theme in question.themes:
            if labels.get((question.key, theme.id), theme.label) != theme.label:
                theme.label_language = None
