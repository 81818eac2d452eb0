"""Discussion files: the YAML an organiser writes, read into plain dataclasses.

`load_discussion` either returns a complete `DiscussionSpec` or raises
`DiscussionFileError` listing every problem found (file, field, what is wrong),
so an organiser fixes the file in one pass rather than one error at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel import Locale, UnknownLocaleError

from bot.ports.identity import USER_ID_FORMS, identity_problem

LANGUAGE_NAMES_IN_ENGLISH = {"fr": "French", "en": "English", "es": "Spanish"}
FORGET_POLICIES = ("anonymise", "delete")
# When a participant's web page shows what others published under a question:
# once they have answered it themselves (they write first, unswayed), or at once.
OTHERS_ANSWERS = ("after_answering", "at_once")
DEFAULT_REMINDERS = (dt.timedelta(hours=48), dt.timedelta(hours=4))
_QUIET_HOURS = re.compile(r"\s*([01]?\d|2[0-3]):([0-5]\d)\s*[-–]\s*([01]?\d|2[0-3]):([0-5]\d)\s*")


@dataclass(frozen=True)
class QuietHours:
    """When reminders are not sent, in each participant's own time: the night,
    by default, which may run past midnight."""

    starts: dt.time = dt.time(21)
    ends: dt.time = dt.time(8)

    def contains(self, local: dt.time) -> bool:
        if self.starts > self.ends:
            return local >= self.starts or local < self.ends
        return self.starts <= local < self.ends

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}-{self.ends:%H:%M}"

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """ "21:00-08:00", or None for anything else (two equal times included)."""
        match = _QUIET_HOURS.fullmatch(text)
        if match is None:
            return None
        hour, minute, end_hour, end_minute = map(int, match.groups())
        starts, ends = dt.time(hour, minute), dt.time(end_hour, end_minute)
        return cls(starts, ends) if starts != ends else None


def later(moment: dt.datetime, duration: dt.timedelta, zone: ZoneInfo | None) -> dt.datetime:
    """`moment` plus `duration`, its whole days counted on the calendar of
    `zone` (P7D from a Monday 09:00 is the next Monday 09:00, across a change
    of clocks too), the rest in elapsed time."""
    if zone is None or not duration.days:
        return moment + duration
    days = dt.timedelta(days=duration.days)
    local = moment.astimezone(zone).replace(tzinfo=None) + days
    return local.replace(tzinfo=zone).astimezone(dt.UTC) + (duration - days)


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    round_number: int
    position: int  # 1-based, within its round
    texts: dict[str, str]


@dataclass(frozen=True)
class RoundSpec:
    number: int
    opens_at: dt.datetime  # aware, UTC
    closes_at: dt.datetime  # aware, UTC
    questions: tuple[QuestionSpec, ...]


@dataclass(frozen=True)
class DiscussionSpec:
    slug: str
    languages: tuple[str, ...]
    timezone: str
    title: dict[str, str]
    invitation: dict[str, str]
    rounds: tuple[RoundSpec, ...]
    organisers: tuple[str, ...] = ()  # "platform:user_id"
    reminders: tuple[dt.timedelta, ...] = DEFAULT_REMINDERS
    quiet_hours: QuietHours | None = QuietHours()  # None: reminders at any hour
    on_forget: str = "anonymise"
    others_answers: str = "after_answering"  # one of OTHERS_ANSWERS
    source: str = ""

    @property
    def questions(self) -> tuple[QuestionSpec, ...]:
        return tuple(q for r in self.rounds for q in r.questions)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a discussion file: where (its line, and the field or
    the question it is about, as an organiser names them) and what."""

    file: str
    field: str  # "timezone", "round 2: duration", "question 1.2"
    message: str
    line: int | None = None  # 1-based

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class DiscussionFileError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(str(p) for p in self.problems))


class _Mapping(dict):
    """A YAML mapping that remembers its own line and each key's, each scalar
    value as it is written, and the keys it gives more than once."""

    line: int | None = None
    key_lines: dict[Any, int]
    written: dict[Any, str]
    repeated: tuple[tuple[Any, int, int], ...] = ()  # (key, its first line, a later line)


class _Sequence(list):
    """A YAML sequence that remembers each item's line."""

    line: int | None = None
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader, keeping the lines a problem is reported at, and
    the keys a mapping gives twice (PyYAML keeps the last without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _Mapping:
        """Always deep: a mapping is built in one step, its values with it."""
        # The mapping's own keys: those a merge key (<<: *anchor) brings in may be given again.
        own = [key for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"]
        mapping = _Mapping(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {self.construct_object(key, deep=True): key.start_mark.line + 1 for key, _ in node.value}
        mapping.written = {self.construct_object(key): value.value for key, value in node.value if isinstance(value, yaml.ScalarNode)}
        first_lines: dict[Any, int] = {}
        repeated = []
        for key_node in own:
            key, line = self.construct_object(key_node), key_node.start_mark.line + 1
            if key in first_lines:
                repeated.append((key, first_lines[key], line))
            else:
                first_lines[key] = line
        mapping.repeated = tuple(repeated)
        return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Sequence:
    sequence = _Sequence(loader.construct_sequence(node, deep=True))
    sequence.line = node.start_mark.line + 1
    sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, lambda loader, node: loader.construct_mapping(node))
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def line_of(container: Any, key: Any = None) -> int | None:
    """The line of `key` in a mapping read from a file (of item `key` in a
    sequence), else of the container itself; None for data not read from a file."""
    if isinstance(container, _Mapping):
        return container.key_lines.get(key, container.line)
    if isinstance(container, _Sequence):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return None


def written_as(mapping: Any, key: Any) -> str:
    """The value of `key` as the file writes it (1.10, where YAML reads the number 1.1)."""
    written = mapping.written if isinstance(mapping, _Mapping) else {}
    return written.get(key, str(mapping[key]))


TOP_LEVEL_KEYS = (
    "id",
    "languages",
    "timezone",
    "title",
    "invitation",
    "organisers",
    "reminders",
    "quiet_hours",
    "on_forget",
    "others_answers",
    "starts",
    "rounds",
)
ROUND_KEYS = ("opens", "closes", "duration", "questions")
QUESTION_KEYS = ("id", "text")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?")  # "fr", "pt-BR": a question written as its texts alone


_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration in weeks, days, hours, minutes and seconds (`P7D`, `PT2M`).

    Years and months are refused: their length depends on the calendar, which a
    round's length should not.
    """
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as P7D or PT2M")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    duration = dt.timedelta(**parts)
    if duration <= dt.timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return duration


# "2d", and the words organisers write in a file: "1 week", "2 jours", "12 horas", "30 min".
_TYPED_DURATION = re.compile(
    r"(\d+)\s*(w|weeks?|semaines?|semanas?|d|days?|jours?|d[ií]as?|h|hours?|heures?|horas?|m|mins?|minutes?|minutos?)", re.I
)
_TYPED_UNITS = {"w": "weeks", "s": "weeks", "d": "days", "j": "days", "h": "hours", "m": "minutes"}


def parse_typed_duration(text: str) -> dt.timedelta:
    """A duration as an organiser types it, in chat and at the shell alike:
    "2d", "12h", "30m", "1w", or ISO 8601 ("P2D", "PT12H"), in any case."""
    match = _TYPED_DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        try:
            return parse_duration(text.strip().upper() if isinstance(text, str) else text)
        except ValueError:
            raise ValueError(f"{text!r} is not a duration such as 2d, 12h, 30m or P2D") from None
    duration = dt.timedelta(**{_TYPED_UNITS[match.group(2)[0].lower()]: int(match.group(1))})
    if duration <= dt.timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return duration


def format_duration(duration: dt.timedelta) -> str:
    seconds = int(duration.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "") if (days or time) else "PT0S"


class _Reader:
    """Walks the parsed YAML, collecting problems instead of stopping at the first."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, field: str, message: str, line: int | None) -> None:
        self.problems.append(Problem(self.file, field, message, line))

    def keys(self, mapping: dict, known: tuple[str, ...], where: str) -> None:
        """A misspelt key would otherwise be ignored without a word, its setting
        silently left at the default; of a key given twice, the first would be."""
        self.repeated_keys(mapping, where)
        for key in mapping:
            if key in known:
                continue
            nearest = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean {nearest[0]}?" if nearest else f"the keys here are {', '.join(known)}"
            self.problem(_within(where, key), f"unknown key; {hint}", line_of(mapping, key))

    def repeated_keys(self, mapping: dict, where: str) -> None:
        for key, first, line in mapping.repeated if isinstance(mapping, _Mapping) else ():
            self.problem(_within(where, key), f"given twice, first on line {first}", line)

    def texts(self, value: Any, field: str, languages: tuple[str, ...] | None, line: int | None) -> dict[str, str]:
        """A text in each language; with no `languages` (the discussion's are
        wrong, a problem already reported), only that there is one."""
        if value is None:
            self.problem(field, "the text is missing", line)
            return {}
        if not isinstance(value, dict):
            self.problem(field, "must map each language code to a text", line)
            return {}
        self.repeated_keys(value, field)
        if languages is None:
            return {}
        texts: dict[str, str] = {}
        for language in languages:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                name = LANGUAGE_NAMES_IN_ENGLISH.get(language, language)
                self.problem(field, f"the {name} text is missing", line_of(value, language) if language in value else line)
            else:
                texts[language] = text.strip()
        for extra in value:
            if extra not in languages:
                self.problem(field, f"{extra!r} is not one of the discussion's languages", line_of(value, extra))
        return texts

    def moment(self, value: Any, field: str, zone: ZoneInfo, line: int | None) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime.combine(value, dt.time())
        elif isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                self.problem(field, f"{value!r} is not a date and time such as 2013-07-08T09:00", line)
                return None
        else:
            self.problem(field, "must be a date and time such as 2013-07-08T09:00", line)
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(dt.UTC)

    def duration(self, value: Any, field: str, line: int | None) -> dt.timedelta | None:
        try:
            return parse_typed_duration(value)  # "7d" as the commands take it, or ISO 8601's "P7D"
        except ValueError as error:
            self.problem(field, str(error), line)
            return None


def _within(where: str, key: Any) -> str:
    """The field a key names, as an organiser reads it: "round 2: duration"."""
    return f"{where}: {key}" if where else str(key)


def _yaml_advice(error: yaml.MarkedYAMLError, source: str) -> str:
    """What usually causes this YAML error: an unquoted text with a « : », « ? »,
    « , » or braces, or a line indented wrongly; nothing when it is neither."""
    mark = error.problem_mark
    in_flow = (error.context or "").startswith(("while parsing a flow mapping", "while parsing a flow sequence"))
    if in_flow and "<stream end>" not in (error.problem or ""):
        return "; a text containing « : », « ? », « , » or braces must be in quotes"
    if mark is not None and error.problem == "mapping values are not allowed here":
        before = source.splitlines()[mark.line][: mark.column] if mark.line < len(source.splitlines()) else ""
        # "en: Note: this": a colon in a value already after its key; otherwise a line indented too far.
        if ": " in before or before.rstrip().endswith(":"):
            return "; a text containing « : » must be in quotes"
        return "; check this line's indentation"
    if "expected <block end>" in (error.problem or ""):
        return "; check this line's indentation"
    return ""


def load_discussion(path: str | Path) -> DiscussionSpec:
    path = Path(path)
    file = str(path)
    try:
        source = path.read_text(encoding="utf-8")
        raw = yaml.load(source, Loader=_LineLoader)  # a SafeLoader that keeps lines
    except FileNotFoundError:
        raise DiscussionFileError([Problem(file, "(file)", "no such file")]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"column {mark.column + 1}" if mark else "(file)"
        message = f"not valid YAML: {error.problem or error.context}{_yaml_advice(error, source)}"
        raise DiscussionFileError([Problem(file, where, message, mark.line + 1 if mark else None)]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise DiscussionFileError([Problem(file, "(file)", f"not valid YAML: {error}")]) from None
    return parse_discussion(raw, file)


def parse_discussion(raw: Any, file: str) -> DiscussionSpec:
    reader = _Reader(file)
    if not isinstance(raw, dict):
        raise DiscussionFileError([Problem(file, "(file)", "must be a mapping of fields")])
    reader.keys(raw, TOP_LEVEL_KEYS, "")

    def at(key: str) -> int | None:
        return line_of(raw, key)

    slug = raw.get("id")
    if slug is None:
        reader.problem("id", "missing: give the discussion a short identifier, e.g. id: cities-2027", at("id"))
    elif not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", slug):
        reader.problem("id", "must be a short identifier of lowercase letters, digits, - and _", at("id"))

    languages = _read_languages(reader, raw)

    zone: ZoneInfo | None = None
    zone_name = raw.get("timezone")
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(str(zone_name)) if zone_name else None
    if zone is None:
        reader.problem("timezone", f"{zone_name!r} is not a known time zone such as Europe/Brussels", at("timezone"))

    title = reader.texts(raw.get("title"), "title", languages, at("title"))
    invitation = reader.texts(raw.get("invitation"), "invitation", languages, at("invitation"))

    organisers = raw.get("organisers") or []
    if not isinstance(organisers, list):
        reader.problem("organisers", "must be a list such as [telegram:123456]", at("organisers"))
        organisers = []
    for i, organiser in enumerate(organisers):
        if not isinstance(organiser, (str, int)) or not re.fullmatch(r"[a-z]+:\S+", str(organiser)):
            reader.problem("organisers", f"{organiser!r} must be PLATFORM:USER_ID, such as telegram:123456", line_of(organisers, i))
        elif str(organiser).partition(":")[0] in USER_ID_FORMS and (problem := identity_problem(str(organiser))):
            reader.problem("organisers", problem, line_of(organisers, i))  # the id's form, as `organiser add` checks it

    reminders: tuple[dt.timedelta, ...] = DEFAULT_REMINDERS
    if "reminders" in raw:
        values = raw["reminders"] if isinstance(raw["reminders"], list) else [raw["reminders"]]
        parsed = [reader.duration(v, "reminders", line_of(values, i) or at("reminders")) for i, v in enumerate(values)]
        reminders = tuple(sorted((d for d in parsed if d), reverse=True))

    quiet_hours: QuietHours | None = QuietHours()
    if "quiet_hours" in raw:
        value = raw["quiet_hours"]
        if value is False or str(value).strip().lower() in ("off", "none", "no"):
            quiet_hours = None
        else:
            quiet_hours = QuietHours.parse(str(value))
            if quiet_hours is None:
                reader.problem("quiet_hours", f"{value!r} must be two different times such as 21:00-08:00, or off", at("quiet_hours"))

    on_forget = raw.get("on_forget", "anonymise")
    if on_forget not in FORGET_POLICIES:
        reader.problem("on_forget", f"must be one of {', '.join(FORGET_POLICIES)}", at("on_forget"))

    others_answers = raw.get("others_answers", "after_answering")
    if others_answers not in OTHERS_ANSWERS:
        reader.problem("others_answers", f"must be one of {', '.join(OTHERS_ANSWERS)}", at("others_answers"))

    # An unknown time zone is reported once; UTC stands in for it so that the rounds' own faults are found too.
    rounds = _read_rounds(reader, raw, languages, zone or ZoneInfo("UTC"))

    if reader.problems:
        raise DiscussionFileError(reader.problems)
    # No problem was found: the id is a string, the languages are read, and a time zone was read from its name.
    assert isinstance(slug, str)
    assert languages is not None
    assert zone_name is not None
    return DiscussionSpec(
        slug=slug,
        languages=languages,
        timezone=zone_name,
        title=title,
        invitation=invitation,
        rounds=rounds,
        organisers=tuple(str(o) for o in organisers),
        reminders=reminders,
        quiet_hours=quiet_hours,
        on_forget=on_forget,
        others_answers=others_answers,
        source=file,
    )


def _read_languages(reader: _Reader, raw: dict) -> tuple[str, ...] | None:
    """The discussion's language codes (one may be given alone: `languages: fr`),
    or None when they are wrong: the texts cannot be checked against them."""
    languages = raw.get("languages")
    line = line_of(raw, "languages")
    if isinstance(languages, str) and languages.strip():
        languages = [languages.strip()]
    if not isinstance(languages, list) or not languages:
        reader.problem("languages", "must list at least one language code, such as [fr, en, es]", line)
        return None
    before = len(reader.problems)
    for i, language in enumerate(languages):
        try:
            Locale.parse(str(language))
        except (ValueError, UnknownLocaleError):
            reader.problem("languages", f"{language!r} is not a known language code", line_of(languages, i))
    if len(set(map(str, languages))) != len(languages):
        reader.problem("languages", "a language is listed twice", line)
    return tuple(str(language) for language in languages) if len(reader.problems) == before else None


def _read_rounds(reader: _Reader, raw: dict, languages: tuple[str, ...] | None, zone: ZoneInfo) -> tuple[RoundSpec, ...]:
    raw_rounds = raw.get("rounds")
    if not isinstance(raw_rounds, list) or not raw_rounds:
        reader.problem("rounds", "must list at least one round", line_of(raw, "rounds"))
        return ()
    previous_close = reader.moment(raw["starts"], "starts", zone, line_of(raw, "starts")) if "starts" in raw else None
    seen_keys: dict[str, int | None] = {}
    rounds: list[RoundSpec] = []
    previous_unreadable = False  # the round before had no time it closes
    for number, raw_round in enumerate(raw_rounds, start=1):
        field = f"round {number}"
        if not isinstance(raw_round, dict):
            reader.problem(field, "must be a mapping with opens/closes or duration, and questions", line_of(raw_rounds, number - 1))
            continue
        reader.keys(raw_round, ROUND_KEYS, field)

        def at(key: str, raw_round: dict = raw_round) -> int | None:
            return line_of(raw_round, key)

        opens = reader.moment(raw_round["opens"], f"{field}: opens", zone, at("opens")) if "opens" in raw_round else previous_close
        duration = reader.duration(raw_round["duration"], f"{field}: duration", at("duration")) if "duration" in raw_round else None
        if "closes" in raw_round and "duration" in raw_round:
            reader.problem(f"{field}: duration", "give closes or duration, not both", at("duration"))
        if "closes" in raw_round:
            closes = reader.moment(raw_round["closes"], f"{field}: closes", zone, at("closes"))
        else:
            closes = later(opens, duration, zone) if opens and duration else None
        # No time can be read after a round whose times could not be: only its own problem is reported.
        if opens is None and "opens" not in raw_round and not previous_unreadable:
            reader.problem(f"{field}: opens", "missing: give opens, or a top-level starts with durations", at("opens"))
        if closes is None and "closes" not in raw_round and "duration" not in raw_round:
            reader.problem(f"{field}: closes", "missing: give closes or duration", at("closes"))
        if opens and closes and closes <= opens:
            reader.problem(f"{field}: closes", "the round closes before it opens", at("closes"))
        if opens and previous_close and opens < previous_close and rounds:
            reader.problem(f"{field}: opens", "the round opens before the previous round closes", at("opens"))
        previous_close = closes or previous_close
        previous_unreadable = closes is None

        questions: list[QuestionSpec] = []
        raw_questions = raw_round.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            reader.problem(f"{field}: questions", "must list at least one question", at("questions"))
            raw_questions = []
        for position, raw_question in enumerate(raw_questions, start=1):
            unnamed = f"{field}, question {position}"
            if not isinstance(raw_question, dict):
                reader.problem(unnamed, "must be a mapping with id and text", line_of(raw_questions, position - 1))
                continue
            # Written as its texts alone ("- en: …" then "fr: …"): its id is its place, "2.3".
            texts_alone = bool(raw_question) and all(
                isinstance(k, str) and k not in QUESTION_KEYS and _LANGUAGE_CODE.fullmatch(k) for k in raw_question
            )
            key = f"{number}.{position}" if texts_alone else raw_question.get("id")
            # YAML reads an unquoted 1.10 as the number 1.1: the id is reported, and checked, as written.
            unquoted = isinstance(key, (int, float, dt.date))
            if unquoted:
                key = written_as(raw_question, "id")
            elif not isinstance(key, str):
                key = None
            qfield = f"question {key}" if key else unnamed
            if not texts_alone:
                reader.keys(raw_question, QUESTION_KEYS, qfield)
            if unquoted:
                read = str(raw_question["id"])
                hint = f" (unquoted, YAML reads it as {read})" if read != key else ""
                reader.problem(qfield, f'the id must be in quotes: write id: "{key}"{hint}', line_of(raw_question, "id"))
            if not key:
                reader.problem(unnamed, "the id is missing", line_of(raw_question))
            elif key in seen_keys:
                first = seen_keys[key]
                reader.problem(qfield, f"the id is used twice{f', first on line {first}' if first else ''}", line_of(raw_question, "id"))
            else:
                seen_keys[key] = line_of(raw_question, "id")
            raw_texts = raw_question if texts_alone else raw_question.get("text")
            texts = reader.texts(raw_texts, qfield, languages, line_of(raw_question, "text"))
            questions.append(QuestionSpec(key=key or "", round_number=number, position=position, texts=texts))
        if opens and closes:
            rounds.append(RoundSpec(number=number, opens_at=opens, closes_at=closes, questions=tuple(questions)))
    return tuple(rounds)


def past_dates_warning(spec: DiscussionSpec, now: dt.datetime) -> str | None:
    """What `validate` warns of when every round closed before `now`: a file
    copied from an earlier discussion, its dates not yet changed."""
    last_close = max(r.closes_at for r in spec.rounds)
    if last_close > now:
        return None
    local = last_close.astimezone(ZoneInfo(spec.timezone))
    return (
        f"every round is in the past (the last closed on {local:%Y-%m-%d %H:%M}, {spec.timezone} time), "
        "as in a file copied from an earlier discussion: none will open by itself: give the rounds new dates, or open the first by hand (the rounds after it then move with it)"
    )


def example_discussion_path() -> Path:
    """The discussion `facilitator run` loads when given none: the seed's 2013 e-discussion."""
    import discussions

    return Path(discussions.__file__).resolve().parent / "m4d-2013.yaml"
