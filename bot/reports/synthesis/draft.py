"""The synthesis as organisers review it: themes per question, with their labels, members,
candidate sentences and chosen quotes, and free summaries. It is kept in the database as a
plain dict (`as_dict`), and edited as a YAML file (`to_yaml`, `from_yaml`).

What organisers may change in the file: a theme's `label` and `summary`, a question's and
the discussion's `summary`, which contributions a theme holds (move numbers between themes,
or into `other`, to merge or split themes; a new theme needs only a new `theme` name), and
its `quotes` (numbers from its `sentences`). Counts and sentences are the bot's: they are
recomputed from the contributions at every run.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.handling.command import N_
from bot.i18n import _


@dataclass
class Sentence:
    number: int
    contribution: int
    language: str | None
    text: str  # exactly as written in the contribution


@dataclass
class Counts:
    contributions: int = 0
    participants: int = 0
    countries: int = 0  # among the authors who agreed to be named
    languages: list[str] = field(default_factory=list)


@dataclass
class Theme:
    id: str
    label: str
    contributions: list[int]
    sentences: list[Sentence] = field(default_factory=list)
    quotes: list[int] = field(default_factory=list)  # sentence numbers
    summary: str = ""
    label_language: str | None = None  # set when the label is not in the report's language
    counts: Counts = field(default_factory=Counts)

    def quoted(self) -> list[Sentence]:
        by_number = {sentence.number: sentence for sentence in self.sentences}
        return [by_number[number] for number in self.quotes if number in by_number]


@dataclass
class QuestionThemes:
    key: str
    themes: list[Theme] = field(default_factory=list)
    other: list[int] = field(default_factory=list)  # contributions in no theme
    new: list[int] = field(default_factory=list)  # added since the review, near no reviewed theme
    summary: str = ""


@dataclass
class Synthesis:
    discussion: str
    language: str
    questions: list[QuestionThemes]
    model: str  # what grouped the themes, said in the report
    reviewed_at: dt.datetime | None = None
    summary: str = ""
    digest: str = ""  # of the editable parts as last written to a file: tells whether it was edited since

    def question(self, key: str) -> QuestionThemes | None:
        return next((question for question in self.questions if question.key == key), None)

    def top_themes(self, count: int = 3) -> list[tuple[str, Theme]]:
        """The themes with the most participants across the discussion, with their question."""
        every = [(question.key, theme) for question in self.questions for theme in question.themes]
        return sorted(every, key=lambda pair: -pair[1].counts.participants)[:count]

    # --- as stored -----------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        return {
            "discussion": self.discussion,
            "language": self.language,
            "model": self.model,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
            "summary": self.summary,
            "digest": self.digest,
            "questions": [
                {
                    "question": question.key,
                    "summary": question.summary,
                    "themes": [_theme_dict(theme) for theme in question.themes],
                    "other": list(question.other),
                    "new": list(question.new),
                }
                for question in self.questions
            ],
        }


def _theme_dict(theme: Theme) -> dict[str, Any]:
    return {
        "theme": theme.id,
        "label": theme.label,
        "label_language": theme.label_language,
        "summary": theme.summary,
        "counts": {
            "contributions": theme.counts.contributions,
            "participants": theme.counts.participants,
            "countries": theme.counts.countries,
            "languages": list(theme.counts.languages),
        },
        "contributions": list(theme.contributions),
        "quotes": list(theme.quotes),
        "sentences": [
            {"n": sentence.number, "contribution": sentence.contribution, "language": sentence.language, "text": sentence.text}
            for sentence in theme.sentences
        ],
    }


@dataclass(frozen=True)
class Said:
    """A sentence about a draft, said in the reader's language when it is shown (`str`): the
    desk shows it in its page's language, the command line in the language it is run in.
    `message` is the English sentence (marked with N_), `values` fill its {placeholders};
    a value may itself be a Said, such as the place in the file a problem is at."""

    message: str
    values: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return _(self.message).format(**{name: str(value) for name, value in self.values})


def said(message: str, **values: object) -> Said:
    return Said(message, tuple(values.items()))


def question_at(key: str) -> Said:
    return said(N_("question {key}"), key=key)


def theme_at(key: str, theme: object) -> Said:
    return said(N_("question {key}, theme {theme}"), key=key, theme=theme)


def _field(place: Said | None, name: str) -> Said:
    """A field of the file, by its name there (the names are the file's, never translated)."""
    return said(N_("{place}, `{field}`"), place=place, field=name) if place is not None else said(N_("`{field}`"), field=name)


class DraftError(ValueError):
    """What is wrong in an edited draft, one line per problem."""

    def __init__(self, problems: list[Said]):
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


def from_dict(data: Any) -> Synthesis:
    """The synthesis a stored or edited dict describes; DraftError lists every problem."""
    problems: list[Said] = []
    if not isinstance(data, dict):
        raise DraftError([said(N_("the draft is not a mapping of discussion, language and questions"))])
    _unknown_keys(data, _DRAFT_KEYS, None, problems)
    questions = []
    for index, item in enumerate(_list(data.get("questions"), _field(None, "questions"), problems)):
        if not isinstance(item, dict) or not isinstance(item.get("question"), str | int | float):
            problems.append(said(N_("{where}: has no `question`"), where=said(N_("questions, item {number}"), number=index + 1)))
            continue
        key = str(item["question"])
        place = question_at(key)
        _unknown_keys(item, _QUESTION_KEYS, place, problems)
        themes = []
        names: set[str] = set()
        for number, theme in enumerate(_list(item.get("themes"), _field(place, "themes"), problems)):
            parsed = _theme(key, number, theme, problems)
            if parsed is None:
                continue
            if parsed.id in names:
                problems.append(said(N_("{where}: two themes are named {theme}"), where=place, theme=parsed.id))
            names.add(parsed.id)
            themes.append(parsed)
        questions.append(
            QuestionThemes(
                key=key,
                themes=themes,
                other=_numbers(item.get("other"), _field(place, "other"), problems),
                new=_numbers(item.get("new"), _field(place, "new"), problems),
                summary=_text(item.get("summary"), _field(place, "summary"), problems),
            )
        )
    reviewed_at = data.get("reviewed_at")
    if isinstance(reviewed_at, str):
        try:
            reviewed_at = dt.datetime.fromisoformat(reviewed_at)
        except ValueError:
            problems.append(said(N_("{where}: not a date and time"), where=_field(None, "reviewed_at")))
            reviewed_at = None
    summary = _text(data.get("summary"), _field(None, "summary"), problems)
    if problems:
        raise DraftError(problems)
    return Synthesis(
        discussion=str(data.get("discussion") or ""),
        language=str(data.get("language") or ""),
        questions=questions,
        model=str(data.get("model") or ""),
        reviewed_at=reviewed_at if isinstance(reviewed_at, dt.datetime) else None,
        summary=summary,
        digest=str(data.get("digest") or ""),
    )


def _theme(key: str, number: int, item: Any, problems: list[Said]) -> Theme | None:
    where = theme_at(key, number + 1)
    if not isinstance(item, dict):
        problems.append(said(N_("{where}: not a mapping"), where=where))
        return None
    name = item.get("theme")
    if not isinstance(name, str | int) or not str(name).strip():
        problems.append(said(N_("{where}: has no `theme` name"), where=where))
        return None
    where = theme_at(key, name)
    _unknown_keys(item, _THEME_KEYS, where, problems)
    sentences = []
    for sentence in _list(item.get("sentences"), _field(where, "sentences"), problems):
        if (
            not isinstance(sentence, dict)
            or not isinstance(sentence.get("n"), int)
            or not isinstance(sentence.get("contribution"), int)
            or not isinstance(sentence.get("text"), str)
        ):
            problems.append(said(N_("{where}: a sentence needs n, contribution and text"), where=where))
            continue
        language = sentence.get("language")
        sentences.append(Sentence(sentence["n"], sentence["contribution"], str(language) if language else None, sentence["text"]))
    label_language = item.get("label_language")
    given = item.get("counts")
    counts: dict = given if isinstance(given, dict) else {}  # the bot's own, recomputed at every run
    theme = Theme(
        id=str(name).strip(),
        label=_text(item.get("label"), _field(where, "label"), problems).strip(),
        contributions=_numbers(item.get("contributions"), _field(where, "contributions"), problems),
        sentences=sentences,
        quotes=_numbers(item.get("quotes"), _field(where, "quotes"), problems),
        summary=_text(item.get("summary"), _field(where, "summary"), problems),
        label_language=str(label_language) if label_language else None,
        counts=Counts(
            contributions=_count(counts.get("contributions")),
            participants=_count(counts.get("participants")),
            countries=_count(counts.get("countries")),
            languages=[str(code) for code in counts.get("languages") or [] if isinstance(code, str)],
        ),
    )
    known = {sentence.number for sentence in sentences}
    for quote in theme.quotes:
        if quote not in known:
            problems.append(said(N_("{where}: quote {number} is not one of its sentences"), where=where, number=quote))
    return theme


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# The file's own keys, at each level: one misspelt would drop the organisers' text unseen.
_DRAFT_KEYS = frozenset({"discussion", "language", "model", "reviewed_at", "summary", "digest", "questions"})
_QUESTION_KEYS = frozenset({"question", "summary", "themes", "other", "new"})
_THEME_KEYS = frozenset({"theme", "label", "label_language", "summary", "counts", "contributions", "quotes", "sentences"})


def _unknown_keys(item: dict, known: frozenset[str], place: Said | None, problems: list[Said]) -> None:
    for key in sorted(map(str, item)):
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            where = _field(place, key)
            if close:
                problems.append(said(N_("{where}: unknown key; did you mean `{known}`?"), where=where, known=close[0]))
            else:
                problems.append(said(N_("{where}: unknown key"), where=where))


def _list(value: Any, where: Said, problems: list[Said]) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(said(N_("{where}: should be a list"), where=where))
        return []
    return value


def _numbers(value: Any, where: Said, problems: list[Said]) -> list[int]:
    numbers = []
    for item in _list(value, where, problems):
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).lstrip("#").isdigit():
            problems.append(said(N_("{where}: {item} is not a number"), where=where, item=repr(item)))
            continue
        numbers.append(int(str(item).lstrip("#")))
    return numbers


def _text(value: Any, where: Said, problems: list[Said]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        problems.append(said(N_("{where}: should be text"), where=where))
        return ""
    return str(value)


# --- as a file -----------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Texts with line breaks as blocks, lists of numbers on one line, everything else as
    indented blocks: the file reads and edits as plainly as YAML allows."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _sequence(dumper: yaml.SafeDumper, value: list) -> yaml.SequenceNode:
    flat = all(isinstance(item, int) or (isinstance(item, str) and len(item) < 8) for item in value)  # numbers, language codes
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(str, _string)
_Dumper.add_representer(list, _sequence)


def to_yaml(synthesis: Synthesis, header: str) -> str:
    """The draft as an editable file, `header` (how to edit it) as comment lines at its top."""
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    body = yaml.dump(synthesis.as_dict(), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return comment + body


def from_yaml(text: str) -> Synthesis:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)  # PyYAML's own words, in English
        if mark is None:
            raise DraftError([said(N_("not readable as YAML ({reason})"), reason=reason)]) from None
        raise DraftError([said(N_("line {line}: not readable as YAML ({reason})"), line=mark.line + 1, reason=reason)]) from None
    return from_dict(data)
