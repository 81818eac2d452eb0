"""Measures the linker against a labelled corpus (`facilitator link --eval FILE`).

Corpus format: JSON lines, one message per line, as it was posted:

    {"text": "Pregunta 1: … Pregunta 3: …",   the message
     "round": 1,                              the round open when it was posted
     "reply_to": "2.1",                       optional: the question message it replies to
     "in_thread": false,                      optional: reply_to is the thread it was posted in
     "participant_language": "es",            optional: what the bot knows of the participant
     "language": "es",                        optional: the language it is written in
     "expected": [                            its segments in order; [] when not a contribution
        {"question": "1.1",                   the question the organisers would file it under,
                                              or null when nobody could tell
         "method": "reference",               how it can be told: reply, thread, reference,
                                              restated or content
         "text_starts": "Se deberían"}],      the first words of the segment's answer
     "kind": "no-marker",                     optional: what sort of message it is (marker, several,
                                              restated, no-marker, earlier-round, not-answer,
                                              greeting-signature, vague); else told by its segments
     "note": "…"}                             optional, for people

A joint answer ("Q1 y Q2: …") is one text filed under each question it names: it is
written as one expected segment per question, with the same first words.

Each expected segment is found among the linker's segments by its first words
(whitespace and case aside), a segment not yet claimed by another expected segment
first, and among equals the one filed under the expected question; it is then scored:
  right   filed under the expected question (or left unsure when null was expected);
  unsure  left for the participant to say;
  wrong   filed under another question, or lost (dropped, or swallowed by a segment
          filed under another question).
An unsure segment whose expected question is offered first counts in "right question
offered first". A message that is not a contribution scores right when it yields no segment. A segment
the linker made that matches nothing expected scores unsure when unsure (the bot asks for
nothing) and wrong when filed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.linking.linker import Linked

OUTCOMES = ("right", "unsure", "wrong")
# The linker must tie at least this share of segments to the right question, and at most
# this share to a wrong one; being unsure costs only the participant a tap.
TARGET_RIGHT = 0.95
TARGET_WRONG = 0.02
TARGET_OFFERED_FIRST = 0.8  # of the asks, those whose right question comes first
NOT_A_CONTRIBUTION = "none"
EXTRA = "extra"


@dataclass
class Evaluation:
    by_method: dict[str, Counter] = field(default_factory=dict)
    by_kind: dict[str, Counter] = field(default_factory=dict)
    languages: Counter = field(default_factory=Counter)  # right, total
    asks: Counter = field(default_factory=Counter)  # asked, first: the right question offered first
    failures: list[str] = field(default_factory=list)

    def count(self, method: str, outcome: str, kind: str) -> None:
        self.by_method.setdefault(method, Counter())[outcome] += 1
        self.by_kind.setdefault(kind, Counter())[outcome] += 1

    @property
    def overall(self) -> Counter:
        return sum(self.by_method.values(), Counter())

    def share(self, outcome: str) -> float:
        total = sum(self.overall[o] for o in OUTCOMES)
        return self.overall[outcome] / total if total else 0.0

    def within_targets(self) -> bool:
        return self.share("right") >= TARGET_RIGHT and self.share("wrong") <= TARGET_WRONG and self.offered_first() >= TARGET_OFFERED_FIRST

    def offered_first(self) -> float:
        return self.asks["first"] / self.asks["asked"] if self.asks["asked"] else 1.0

    def report(self) -> str:
        rows = []
        for title, table in (("method", self.by_method), ("kind", self.by_kind)):
            rows.append(f"{title:<18} {'right':>6} {'unsure':>6} {'wrong':>6} {'total':>6}")
            for name, counts in [*sorted(table.items()), ("overall", self.overall)]:
                total = sum(counts[o] for o in OUTCOMES)
                rows.append(f"{name:<18} {counts['right']:>6} {counts['unsure']:>6} {counts['wrong']:>6} {total:>6}")
        rows.append(f"right {self.share('right'):.1%}, unsure {self.share('unsure'):.1%}, wrong {self.share('wrong'):.1%}")
        rows.append(f"right question offered first: {self.asks['first']} of {self.asks['asked']} asks")
        if self.languages["total"]:
            rows.append(f"language right {self.languages['right']}/{self.languages['total']}")
        return "\n".join(rows)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def kind_of(case: dict) -> str:
    if case.get("kind"):
        return case["kind"]
    if not case["expected"]:
        return "not-answer"
    return "several" if len({e["text_starts"] for e in case["expected"]}) > 1 else case["expected"][0]["method"]


class LinksMessages(Protocol):
    """What is evaluated: a `Linker`, or a stand-in for one."""

    def link_many(self, requests: Sequence[Mapping]) -> list[Linked]: ...


def evaluate(linker: LinksMessages, cases: list[dict]) -> Evaluation:
    evaluation = Evaluation()
    requests = [
        {
            "text": case["text"],
            "open_round": case["round"],
            "reply_to": case.get("reply_to"),
            "in_thread": case.get("in_thread", False),
            "participant_language": case.get("participant_language"),
        }
        for case in cases
    ]
    for number, (case, linked) in enumerate(zip(cases, linker.link_many(requests), strict=True), start=1):
        if case.get("language"):
            evaluation.languages["total"] += 1
            evaluation.languages["right"] += linked.language == case["language"]
            if linked.language != case["language"]:
                evaluation.failures.append(f"case {number}: language {linked.language}, expected {case['language']}")
        _score_case(evaluation, number, case, linked)
    return evaluation


def _score_case(evaluation: Evaluation, number: int, case: dict, linked: Linked) -> None:
    produced = [(_normal(s.text), s) for s in linked.segments]
    if not case["expected"]:
        outcome = "right" if not produced else "wrong" if any(s.question for _, s in produced) else "unsure"
        evaluation.count(NOT_A_CONTRIBUTION, outcome, kind_of(case))
        if outcome != "right":
            evaluation.failures.append(f"case {number}: not a contribution, got {_describe(linked)}")
        return
    matched: set[int] = set()
    for expected in case["expected"]:
        index = _find(produced, _normal(expected["text_starts"]), expected["question"], matched)
        segment = produced[index][1] if index is not None else None
        if segment is None:
            outcome = "wrong"
        elif segment.question == expected["question"]:
            outcome = "right"
        else:
            outcome = "unsure" if segment.question is None else "wrong"
        if index is not None:
            matched.add(index)
        if outcome == "unsure" and segment is not None and expected["question"] is not None:
            evaluation.asks["asked"] += 1
            evaluation.asks["first"] += segment.candidates[:1] == (expected["question"],)
        evaluation.count(expected["method"], outcome, kind_of(case))
        if outcome != "right":
            evaluation.failures.append(
                f'case {number}: {expected["question"]} ({expected["method"]}) "{expected["text_starts"]}" '
                f"{outcome}: got {_describe(linked)}"
            )
    for index, (_, segment) in enumerate(produced):
        if index not in matched:
            evaluation.count(EXTRA, "wrong" if segment.question else "unsure", kind_of(case))
            evaluation.failures.append(f'case {number}: unexpected segment {segment.question} "{segment.text[:40]}"')


def _find(produced: list, start: str, question: str | None, matched: set[int]) -> int | None:
    """The produced segment an expected one is scored on, or None when it was lost.

    A segment already claimed only counts when no other has these words: that is an
    answer swallowed by another's segment. Among segments with the same words (a joint
    answer), the one filed under the expected question is taken, so that the order in
    which the linker lists them does not matter.
    """
    for claimed in (False, True):
        for fits in (str.startswith, str.__contains__):
            found = [i for i, (text, _) in enumerate(produced) if (i in matched) == claimed and fits(text, start)]
            if found:
                return next((i for i in found if produced[i][1].question == question), found[0])
    return None


def _describe(linked: Linked) -> str:
    return "; ".join(f'{s.question} ({s.method}) "{s.text[:30]}"' for s in linked.segments) or "no segment"
