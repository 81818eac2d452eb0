"""What the engine tells the web adapter: who a link lets in, and what a
participant's page and the organisers' desk show. Plain values: the web
pages are drawn from these, never from database rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.ports.events import Button

__all__ = [
    "Answer",
    "Choice",
    "DeskAct",
    "DeskPage",
    "DeskPerson",
    "DeskQuery",
    "DeskQuestion",
    "DeskRound",
    "ParticipantPage",
    "Published",
    "QuestionView",
    "Sent",
    "Visitor",
]


@dataclass(frozen=True)
class Visitor:
    """Whom a web link lets in: a participant (their page), or an organiser
    (the desk), by the platform identity the grant names."""

    link_id: int  # the link it came by: a web session lasts while the link is valid
    participant_id: int | None = None
    organiser: tuple[str, str] | None = None  # (platform, user id)


@dataclass(frozen=True)
class QuestionView:
    key: str
    text: str  # in the reader's language, else the discussion's first
    round_number: int


@dataclass(frozen=True)
class Answer:
    """One contribution, as its author or an organiser sees it."""

    id: int
    question_key: str | None  # None while it waits for its question
    text: str
    language: str | None
    late: bool
    edited: bool  # its text is not what was first sent (another answer of its message may have been edited)
    hidden: bool
    candidates: tuple[str, ...] = ()  # the likeliest questions, while it waits
    author: str = ""  # on the desk: the author's display name


@dataclass(frozen=True)
class Sent:
    """A message a participant sent, and the answers it holds. One sent from their page
    (`message_id`) is edited there as a whole, as a chat edits a message: the engine links
    the new text again. One sent on another platform has each answer's text edited in place."""

    text: str  # as it reads now
    answers: tuple[Answer, ...]
    message_id: str | None = None  # its id in the page's own "chat"; None: sent on another platform
    question: str | None = None  # the question an edit stays tied to unless it names another (its one answer's, as its box did)


@dataclass(frozen=True)
class Published:
    """A contribution as the report publishes it: named only with consent."""

    id: int
    question_key: str
    text: str
    language: str | None
    author: str | None  # "Name, Organisation, Country"; None: anonymous


@dataclass(frozen=True)
class Choice:
    """One of a setting's buttons, as the chats offer it (its data made by the
    engine's button codec), and the value it chooses: a language code, "named"."""

    value: str
    button: Button


@dataclass(frozen=True)
class ParticipantPage:
    participant_id: int
    language: str  # the page's language
    languages: tuple[str, ...]  # the discussion's
    title: str
    display_name: str
    name: str
    organisation: str
    country: str
    consent: str | None  # "named", "anonymous", or None: not given
    round_number: int | None  # the open round, else None
    questions: tuple[QuestionView, ...]  # the open round's, then those answered earlier
    sent: tuple[Sent, ...]  # their own messages with their answers, oldest first
    published: tuple[Published, ...]  # others', under the questions this participant answered (or every question shown)
    language_choices: tuple[Choice, ...] = ()  # the discussion's languages
    consent_choices: tuple[Choice, ...] = ()  # named, anonymous
    others_at_once: bool = False  # others' answers are shown before the reader answers (the discussion file's others_answers)
    timing: str = ""  # when the open round closes, or when the next opens, in the reader's language

    @property
    def answers(self) -> tuple[Answer, ...]:
        """Their own answers, oldest first."""
        return tuple(answer for message in self.sent for answer in message.answers)


@dataclass(frozen=True)
class DeskRound:
    number: int
    status: str  # "scheduled", "open", "closed"
    opens_at: dt.datetime
    closes_at: dt.datetime


@dataclass(frozen=True)
class DeskQuestion:
    key: str
    text: str
    round_number: int
    contributions: int  # shown in reports (filed, not hidden)
    hidden: int


@dataclass(frozen=True)
class DeskQuery:
    """What the organiser asked the desk to list: a question's contributions,
    or those waiting for their question (filtered, searched, a page at a
    time), or the participants."""

    question: str | None = None
    language: str | None = None
    late: bool = False
    edited: bool = False
    hidden: bool = False
    search: str = ""
    page: int = 1
    waiting: bool = False  # the answers waiting for their question, instead of a question's
    participants: bool = False
    brief: bool = False  # the rounds only (a confirmation page): no figures, no list


@dataclass(frozen=True)
class DeskPerson:
    id: int
    display_name: str
    platforms: tuple[str, ...]
    language: str | None
    reachable: bool  # some private chat of theirs still takes messages
    reminders: bool
    answered: int  # questions they answered


@dataclass(frozen=True)
class DeskAct:
    """An organiser's act on a contribution: hidden, shown again, filed under its question or moved to another."""

    contribution_id: int
    kind: str  # "hidden", "shown", "filed", "moved"
    at: dt.datetime
    by: str | None = None  # `organiser_name`; None where the record does not say who (acts before 2026-12-01)
    reason: str = ""
    to_question: str | None = None  # filed or moved: where to


@dataclass(frozen=True)
class DeskPage:
    title: str
    language: str
    languages: tuple[str, ...]
    timezone: str
    paused: bool
    rounds: tuple[DeskRound, ...]
    questions: tuple[DeskQuestion, ...]
    participants: int
    by_language: tuple[tuple[str, int], ...]  # contributions per language, most first
    per_day: tuple[tuple[dt.date, int], ...]  # contributions received per day (UTC)
    waiting: tuple[Answer, ...]  # contributions still waiting for their question
    by_country: tuple[tuple[str, int], ...] = ()  # participants who answered, per country they gave ("" when none)
    by_role: tuple[tuple[str, int], ...] = ()
    query: DeskQuery = field(default_factory=DeskQuery)
    shown: tuple[Answer, ...] = ()  # the asked question's contributions, this page of them
    shown_total: int = 0  # how many match, over every page
    acts: tuple[DeskAct, ...] = ()  # the latest hiding acts, newest first
    people: tuple[DeskPerson, ...] = ()  # the participants, this page of them
    people_total: int = 0
    page_size: int = 50
    waiting_total: int = 0  # answers waiting for their question (`waiting` lists the first page)
    own_timezone: str | None = None  # the organiser's own, when they gave one other than the discussion's


@dataclass(frozen=True)
class SynthesisDraft:
    """The key points of the discussion in one language, as the editable draft organisers
    review (the YAML file `facilitator synthesis` writes)."""

    language: str
    text: str
    reviewed: bool  # the organisers' review is in it


@dataclass(frozen=True)
class SynthesisReview:
    """What saving an edited draft did: saved, or the problems that stopped it."""

    saved: bool
    # Each said with str(), which gives it in the language of the page that shows it.
    problems: tuple[object, ...] = ()
    notes: tuple[object, ...] = ()  # contributions left out since (hidden, moved)


def organiser_name(platform: str | None, user: str | None) -> str | None:
    """An organiser as the desk and the exports name them: "telegram:123", "cli"; None when not recorded."""
    if not platform:
        return None
    return f"{platform}:{user}" if user else platform
