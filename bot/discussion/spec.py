"""Discussion files: the YAML an organiser writes, read into plain dataclasses.

`load_discussion` either returns a complete `DiscussionSpec` or raises
`DiscussionFileError` listing every problem found (file, field, what is wrong),
so an organiser fixes the file in one pass rather than one error at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel import Locale, UnknownLocaleError

LANGUAGE_NAMES_IN_ENGLISH = {"fr": "French", "en": "English", "es": "Spanish"}
FORGET_POLICIES = ("anonymise", "delete")
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
    source: str = ""

    @property
    def questions(self) -> tuple[QuestionSpec, ...]:
        return tuple(q for r in self.rounds for q in r.questions)


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class DiscussionFileError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, field, message))

    def texts(self, value: Any, field: str, languages: tuple[str, ...]) -> dict[str, str]:
        if not isinstance(value, dict):
            self.problem(field, "must map each language code to a text")
            return {}
        texts: dict[str, str] = {}
        for language in languages:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                name = LANGUAGE_NAMES_IN_ENGLISH.get(language, language)
                self.problem(f"{field}.{language}", f"the {name} text is missing")
            else:
                texts[language] = text.strip()
        for extra in value:
            if extra not in languages:
                self.problem(f"{field}.{extra}", f"{extra!r} is not one of the discussion's languages")
        return texts

    def moment(self, value: Any, field: str, zone: ZoneInfo | None) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime.combine(value, dt.time())
        elif isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                self.problem(field, f"{value!r} is not a date and time such as 2013-07-08T09:00")
                return None
        else:
            self.problem(field, "must be a date and time such as 2013-07-08T09:00")
            return None
        if moment.tzinfo is None:
            if zone is None:
                return None  # the time zone problem is already reported
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(dt.UTC)

    def duration(self, value: Any, field: str) -> dt.timedelta | None:
        try:
            return parse_duration(value)
        except ValueError as error:
            self.problem(field, str(error))
            return None


def load_discussion(path: str | Path) -> DiscussionSpec:
    path = Path(path)
    file = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiscussionFileError([Problem(file, "(file)", "no such file")]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise DiscussionFileError(
            [
                Problem(
                    file,
                    where,
                    f"not valid YAML: {error.problem or error.context}; a text containing « : », « ? », « , » or braces must be in quotes",
                )
            ]
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise DiscussionFileError([Problem(file, "(file)", f"not valid YAML: {error}")]) from None
    return parse_discussion(raw, file)


def parse_discussion(raw: Any, file: str) -> DiscussionSpec:
    reader = _Reader(file)
    if not isinstance(raw, dict):
        raise DiscussionFileError([Problem(file, "(file)", "must be a mapping of fields")])

    slug = raw.get("id")
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", slug or ""):
        reader.problem("id", "must be a short identifier of lowercase letters, digits, - and _")

    languages = raw.get("languages")
    if not isinstance(languages, list) or not languages:
        reader.problem("languages", "must list at least one language code, such as [fr, en, es]")
        languages = []
    for i, language in enumerate(languages, start=1):
        try:
            Locale.parse(str(language))
        except (ValueError, UnknownLocaleError):
            reader.problem(f"languages[{i}]", f"{language!r} is not a known language code")
    if len(set(map(str, languages))) != len(languages):
        reader.problem("languages", "a language is listed twice")
    languages = tuple(str(language) for language in languages)

    zone: ZoneInfo | None = None
    zone_name = raw.get("timezone")
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(str(zone_name)) if zone_name else None
    if zone is None:
        reader.problem("timezone", f"{zone_name!r} is not a known time zone such as Europe/Brussels")

    title = reader.texts(raw.get("title"), "title", languages)
    invitation = reader.texts(raw.get("invitation"), "invitation", languages)

    organisers = raw.get("organisers") or []
    if not isinstance(organisers, list):
        reader.problem("organisers", "must be a list such as [telegram:123456]")
        organisers = []
    for i, organiser in enumerate(organisers, start=1):
        if not isinstance(organiser, (str, int)) or not re.fullmatch(r"[a-z]+:\S+", str(organiser)):
            reader.problem(f"organisers[{i}]", f"{organiser!r} must be PLATFORM:USER_ID, such as telegram:123456")

    reminders: tuple[dt.timedelta, ...] = DEFAULT_REMINDERS
    if "reminders" in raw:
        values = raw["reminders"] if isinstance(raw["reminders"], list) else [raw["reminders"]]
        parsed = [reader.duration(v, f"reminders[{i}]") for i, v in enumerate(values, start=1)]
        reminders = tuple(sorted((d for d in parsed if d), reverse=True))

    quiet_hours: QuietHours | None = QuietHours()
    if "quiet_hours" in raw:
        value = raw["quiet_hours"]
        if value is False or str(value).strip().lower() in ("off", "none", "no"):
            quiet_hours = None
        else:
            quiet_hours = QuietHours.parse(str(value))
            if quiet_hours is None:
                reader.problem("quiet_hours", f"{value!r} must be two different times such as 21:00-08:00, or off")

    on_forget = raw.get("on_forget", "anonymise")
    if on_forget not in FORGET_POLICIES:
        reader.problem("on_forget", f"must be one of {', '.join(FORGET_POLICIES)}")

    rounds = _read_rounds(reader, raw, languages, zone)

    if reader.problems:
        raise DiscussionFileError(reader.problems)
    # No problem was found: the id is a string, and a time zone was read from its name.
    assert isinstance(slug, str)
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
        source=file,
    )


def _read_rounds(reader: _Reader, raw: dict, languages: tuple[str, ...], zone: ZoneInfo | None) -> tuple[RoundSpec, ...]:
    raw_rounds = raw.get("rounds")
    if not isinstance(raw_rounds, list) or not raw_rounds:
        reader.problem("rounds", "must list at least one round")
        return ()
    previous_close = reader.moment(raw["starts"], "starts", zone) if "starts" in raw else None
    seen_keys: dict[str, str] = {}
    rounds: list[RoundSpec] = []
    for number, raw_round in enumerate(raw_rounds, start=1):
        field = f"rounds[{number}]"
        if not isinstance(raw_round, dict):
            reader.problem(field, "must be a mapping with opens/closes or duration, and questions")
            continue
        opens = reader.moment(raw_round["opens"], f"{field}.opens", zone) if "opens" in raw_round else previous_close
        duration = reader.duration(raw_round["duration"], f"{field}.duration") if "duration" in raw_round else None
        if "closes" in raw_round:
            closes = reader.moment(raw_round["closes"], f"{field}.closes", zone)
        else:
            closes = later(opens, duration, zone) if opens and duration else None
        if opens is None and "opens" not in raw_round:
            reader.problem(f"{field}.opens", "missing: give opens, or a top-level starts with durations")
        if closes is None and "closes" not in raw_round and "duration" not in raw_round:
            reader.problem(f"{field}.closes", "missing: give closes or duration")
        if opens and closes and closes <= opens:
            reader.problem(f"{field}.closes", "the round closes before it opens")
        if opens and previous_close and opens < previous_close and rounds:
            reader.problem(f"{field}.opens", "the round opens before the previous round closes")
        previous_close = closes or previous_close

        questions: list[QuestionSpec] = []
        raw_questions = raw_round.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            reader.problem(f"{field}.questions", "must list at least one question")
            raw_questions = []
        for position, raw_question in enumerate(raw_questions, start=1):
            qfield = f"{field}.questions[{position}]"
            if not isinstance(raw_question, dict):
                reader.problem(qfield, "must be a mapping with id and text")
                continue
            key = raw_question.get("id")
            key = str(key) if isinstance(key, (str, int, float)) else None
            if not key:
                reader.problem(f"{qfield}.id", "missing")
            elif key in seen_keys:
                reader.problem(f"{qfield}.id", f"duplicate id {key!r}, already used at {seen_keys[key]}")
            else:
                seen_keys[key] = qfield
            texts = reader.texts(raw_question.get("text"), f"{qfield}.text", languages)
            questions.append(QuestionSpec(key=key or "", round_number=number, position=position, texts=texts))
        if opens and closes:
            rounds.append(RoundSpec(number=number, opens_at=opens, closes_at=closes, questions=tuple(questions)))
    return tuple(rounds)


def example_discussion_path() -> Path:
    """The discussion `facilitator run` loads when given none: the seed's 2013 e-discussion."""
    import discussions

    return Path(discussions.__file__).resolve().parent / "m4d-2013.yaml"
