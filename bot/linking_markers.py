"""Finds the places where a message names a question or a round ("Pregunta 3:", "la deuxième
question", "last week's Q4", "Semana 2:", "1)") in folded text (see `linking_text.fold`).

Each `Reference` says which question it names, relative to the round it is read in,
and whether it opens a new segment (a marker) or is only mentioned in passing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.linking_text import words

LAST = -1  # "la dernière question": the round's last question, whatever its count

_ORDINAL_WORDS = {
    LAST: "last final derniere dernier ultima ultimo",
    1: "first premiere premier primera primer primero primeira primeiro prima primo",
    2: "second seconde deuxieme segunda segundo seconda secondo",
    3: "third troisieme tercera tercer tercero terceira terceiro terza terzo",
    4: "fourth quatrieme cuarta cuarto quarta quarto",
    5: "fifth cinquieme quinta quinto",
    6: "sixth sixieme sexta sexto sesta sesto",
    7: "seventh septieme septima septimo setima setimo settima settimo",
}
_CARDINAL_WORDS = {
    1: "one un une uno una um uma",
    2: "two deux dos dois due",
    3: "three trois tres tre",
    4: "four quatre cuatro quatro quattro",
    5: "five cinq cinco cinque",
    6: "six seis sei",
    7: "seven sept siete sete sette",
}


def _word_numbers(table: dict[int, str]) -> dict[str, int]:
    return {word: number for number, text in table.items() for word in text.split()}


ORDINALS = _word_numbers(_ORDINAL_WORDS)
CARDINALS = _word_numbers(_CARDINAL_WORDS)


def _alternation(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# "question" in five languages and the typos people make in a chat.
_QUESTION_WORD = (
    r"(?:questions?|qu?estion|queston|quesiton|questio|qns?|ques|quest|q"
    r"|preguntas?|pregnta|preguna|pegunta|preg|perguntas?|questao|questoes|domand[ae]|cuestion(?:es)?)"
)
_ROUND_WORD = r"(?:weeks?|wk|semaines?|sem|semanas?|settimana|rounds?|ronda|tour|rodada)"
_NUMBER_SIGN = r"(?:n[o°º]\.?\s*|num(?:ero|ber|\.)?\s*|#\s*|[°º]\s*|[.-](?=\d))?"  # "n°2", "Q°1", "Q.2", "Q-2"
_ORDINAL = rf"(?:{_alternation(ORDINALS)}|(?P<{{g}}>\d)(?:st|nd|rd|th|ere|re|er|eme|e|a|o|[°º])\b)"
_NUMBER = r"(?P<{n}>\d{{1,2}})(?:\.(?P<{s}>\d{{1,2}}))?(?!\d)"

# A long message is scanned once, for the words a reference is built around ("question",
# "semana", "#"); numbers and ordinals are then read next to each one found. Python's
# regular expressions cost per position scanned, so one pass beats one per form.
_TRIGGER = re.compile(
    rf"(?<![\w#])(?:(?P<question>{_QUESTION_WORD})|(?P<round>{_ROUND_WORD}))(?![a-z])|(?P<hash>#)(?=\s?\d)"
)
# Ordinals and cardinals are captured as text and read by `_number_of`.
_NUMBER_AFTER = re.compile(
    rf"\s*{_NUMBER_SIGN}(?:{_NUMBER.format(n='num', s='sub')}|(?P<card>{_alternation(CARDINALS)})\b)"
)
_HASH_NUMBER = re.compile(r"#\s?(?P<num>\d{1,2})(?:\.(?P<sub>\d{1,2}))?(?!\d)")
_ROUND_NUMBER_AFTER = re.compile(rf"\s*{_NUMBER_SIGN}(?P<num>\d{{1,2}})(?!\d)")
# Ordinals come before the word they count: "tercera pregunta", "Tercera Semana".
_ORDINAL_BEFORE = re.compile(rf"\b(?P<ord>{_ORDINAL.format(g='ordnum')})\s+$")
_ORDINAL_WINDOW = 16
BARE_NUMBER = re.compile(
    r"^[ \t]*(?:[-*•>][ \t]*)?\(?(?P<num>\d{1,2})(?:\.(?P<sub>\d{1,2}))?(?!\d)[ \t]*(?:[).:]|-(?!\d)|(?<=\d)(?=[ \t]))",
    re.M,
)
_PREVIOUS_WEEK = (
    r"last week|previous week|past week|semaine (?:derniere|passee|precedente)|derniere semaine"
    r"|semana (?:pasada|anterior|passada)|settimana (?:scorsa|precedente)"
)
_THIS_WEEK = (
    r"(?:of )?this week|cette semaine|esta semana|essa semana|questa settimana"
    r"|of the week|de la semaine|de la semana|da semana|della settimana"
)
ROUND_RELATIVE = re.compile(rf"\b(?:(?P<previous>{_PREVIOUS_WEEK})|(?P<this>{_THIS_WEEK}))\b")
_RELATIVE_WINDOW = 14  # "semaine " before, " derniere" after

# What may stand between the start of a line or sentence and a marker: "- ", "Sobre la ", "As for ".
_LEAD_IN = re.compile(
    r"[ \t]*(?:[-*•>][ \t]*)*(?:(?:re|about|regarding|concerning|on|for|as for|as to|to|answer(?:ing)?(?: to)?"
    r"|reply(?:ing)? to|in|pour|sur|concernant|quant a|en ce qui concerne|par rapport a|a propos de|reponse a"
    r"|en reponse a|sobre|para|en cuanto a|con respecto a|respecto a|acerca de|respuesta a|en relacion (?:a|con)"
    r"|em relacao a|quanto a|riguardo a|per|in merito a)\W{0,2}\s*)?(?:(?:la|le|l'|el|the|a|o|il|ma|my|mi|mon)\s*)?"
    r"(?:\(\s*)?",
)
_DELIMITER = re.compile(r"[ \t]*(?:[:)\].,;=>-]+|\s-\s)[ \t]*")
_OPENING_DELIMITER = re.compile(r"[ \t]*[:)]")  # what makes a mid-line reference a marker: "… Pregunta 4: …"
_PAIRING_GAP = 25  # "Semaine 2, question 1", "question 1 de la semaine 2", "last week's Q4"
_HEADER_MAX_EXTRA_WORDS = 4  # "Semana 2:", "Week 3 answers:" but not a sentence that mentions week 3


@dataclass(frozen=True)
class Reference:
    start: int
    end: int  # where the answer starts: after the marker and its delimiter
    position: int | None  # within the round; LAST; None when only a round is named
    round_number: int | None = None  # named explicitly ("semana 1", "3.2")
    round_shift: int | None = None  # relative to the open round ("last week" -1)
    opens_segment: bool = False  # a marker, not a passing mention
    bare: bool = False  # "1)" at a line start: a question number, or an item of a list

    def round_in(self, open_round: int | None) -> int | None:
        if self.round_number is not None:
            return self.round_number
        if self.round_shift is not None and open_round is not None:
            return open_round + self.round_shift
        return None


def _number_of(match: re.Match) -> int | None:
    groups = match.groupdict()
    if groups.get("card"):
        return CARDINALS[groups["card"]]
    if groups.get("ordnum"):
        return int(groups["ordnum"])
    if groups.get("ord"):
        return ORDINALS.get(groups["ord"])
    return int(groups["num"]) if groups.get("num") else None


def _line_or_sentence_start(folded: str, position: int) -> int:
    line_start = folded.rfind("\n", 0, position) + 1
    sentence_start = max((m.end() for m in re.finditer(r"[.!?…]\s+", folded[line_start:position])), default=0)
    return line_start + sentence_start


def _is_anchored(folded: str, position: int) -> bool:
    """At the start of a line or sentence, give or take a lead-in like "Sobre la"."""
    return bool(_LEAD_IN.fullmatch(folded, _line_or_sentence_start(folded, position), position))


def _answer_start(folded: str, end: int) -> int:
    delimiter = _DELIMITER.match(folded, end)
    return delimiter.end() if delimiter else end


def find_references(folded: str) -> list[Reference]:
    """Every question or round reference in the text, in order, markers and mentions alike."""
    questions = []  # (start, end, position, round_number)
    rounds = []  # (start, end, round_number, round_shift)
    for trigger in _TRIGGER.finditer(folded):
        start, end = trigger.span()
        if trigger.group("hash") or trigger.group("question"):
            number = (_HASH_NUMBER if trigger.group("hash") else _NUMBER_AFTER).match(folded, start if trigger.group("hash") else end)
            if number:
                position, sub = _number_of(number), number.group("sub")
                # "Q3.2": round 3, question 2
                questions.append((start, number.end(), int(sub), position) if sub else (start, number.end(), position, None))
            elif trigger.group("question") and (ordinal := _ordinal_before(folded, start)):
                questions.append((ordinal.start(), end, _number_of(ordinal), None))
            continue
        window = (max(0, start - _RELATIVE_WINDOW), min(len(folded), end + _RELATIVE_WINDOW))
        relative = ROUND_RELATIVE.search(folded, *window)
        number = _ROUND_NUMBER_AFTER.match(folded, end)
        if relative and relative.start() <= start and relative.end() >= end:
            rounds.append((relative.start(), relative.end(), None, -1 if relative.group("previous") else 0))
        elif number:
            rounds.append((start, number.end(), _number_of(number), None))
        elif ordinal := _ordinal_before(folded, start):
            rounds.append((ordinal.start(), end, _number_of(ordinal), None))
    rounds = [r for r in rounds if r[2] != LAST]

    references = []
    used_rounds = set()
    for start, end, position, round_number in _without_overlaps(questions):
        paired = _nearby_round(folded, start, end, rounds)
        round_shift = None
        if paired is not None and round_number is None:
            used_rounds.add(paired)
            r_start, r_end, round_number, round_shift = paired
            start, end = min(start, r_start), max(end, r_end)
        anchored = _is_anchored(folded, start)
        references.append(
            Reference(
                start=_line_or_sentence_start(folded, start) if anchored else start,  # "Sobre la" is part of it
                end=_answer_start(folded, end),
                position=position,
                round_number=round_number,
                round_shift=round_shift,
                opens_segment=anchored or bool(_OPENING_DELIMITER.match(folded, end)),
            )
        )
    for start, end, round_number, round_shift in rounds:
        if (start, end, round_number, round_shift) in used_rounds:
            continue
        if _is_round_header(folded, start, end):
            references.append(
                Reference(_line_or_sentence_start(folded, start), _answer_start(folded, end), None, round_number,
                          round_shift, opens_segment=True)
            )
    taken = [(r.start, r.end) for r in references]
    for match in BARE_NUMBER.finditer(folded):
        if not any(s <= match.start("num") < e for s, e in taken):
            number, sub = int(match.group("num")), match.group("sub")
            position, round_number = (int(sub), number) if sub else (number, None)
            references.append(
                Reference(match.start(), _answer_start(folded, match.end()), position, round_number, bare=True,
                          opens_segment=True)
            )
    return sorted(references, key=lambda r: r.start)


def _ordinal_before(folded: str, position: int) -> re.Match | None:
    return _ORDINAL_BEFORE.search(folded, max(0, position - _ORDINAL_WINDOW), position)


def _without_overlaps(spans):
    """Longest first, so "Q3.2" is one reference and "la deuxième question 2" is not two."""
    kept = []
    for span in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not any(k[0] <= span[0] < k[1] or span[0] <= k[0] < span[1] for k in kept):
            kept.append(span)
    return kept


def _nearby_round(folded: str, start: int, end: int, rounds):
    for round_span in rounds:
        r_start, r_end = round_span[0], round_span[1]
        gap = folded[r_end:start] if r_end <= start else folded[end:r_start] if r_start >= end else None
        if gap is not None and len(gap) <= _PAIRING_GAP and "\n" not in gap:
            return round_span
    return None


def _is_round_header(folded: str, start: int, end: int) -> bool:
    """A line of its own that names a round: "Semana 2:", "Tercera Semana :", "Week 3 answers"."""
    line_start = folded.rfind("\n", 0, start) + 1
    line_end = folded.find("\n", end)
    rest = folded[end : line_end if line_end >= 0 else len(folded)]
    return bool(_LEAD_IN.fullmatch(folded, line_start, start)) and len(words(rest)) <= _HEADER_MAX_EXTRA_WORDS
