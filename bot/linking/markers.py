"""Finds the places where a message names a question or a round ("Pregunta 3:", "la deuxième
question", "last week's Q4", "Semana 2:", "1)", "Q1 y Q2:", "1.1 and 1.2:", "Pour la 1 je…", "la
pregunta anterior") in folded text (see `text.fold`).

Each `Reference` says which question(s) it names, relative to the round it is read in,
and whether it opens a new segment (a marker) or is only mentioned in passing.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, islice
from typing import NamedTuple

from bot.linking.text import WORD, is_introduction, is_phatic_sentence

LAST = -1  # "la dernière question": the round's last question, whatever its count
# "la pregunta anterior": the one before the question answered just before, or replied to.
PREVIOUS = -2

_ORDINAL_WORDS = {
    LAST: "last final derniere dernier ultima ultimo",
    PREVIOUS: "previous preceding precedente precedent anterior anteriore",
    1: "first premiere premier primera primer primero primeira primeiro prima primo",
    2: "second seconde deuxieme deuxiem segunda segundo seconda secondo",  # "deuxiem": typed on a phone
    3: "third troisieme troisiem tercera tercer tercero terceira terceiro terza terzo",
    4: "fourth quatrieme quatriem cuarta cuarto quarta quarto",
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
# "Question II:", "Pregunta IV -": read only where a delimiter closes them, never "the question I asked".
ROMAN_NUMERALS = {numeral: number for number, numeral in enumerate("i ii iii iv v vi vii viii ix x".split(), start=1)}


def _alternation(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


# "question" in five languages and the typos people make in a chat; "P2" is "pregunta 2".
_QUESTION_WORD = (
    r"(?:(?:quest|ques|preg|qn|q)\.(?=[ \t]?\d)|p\.(?=\d)|questions?|qu?estion|queston|quesiton|questio|qns?|ques|quest|q|p(?=\d)"
    r"|preguntas?|pregnta|preguna|pegunta|preg|perguntas?|questao|questoes|domand[ae]|cuestion(?:es)?)"
)
# Words that name a question only as a marker ("deuxième point :", "Pour la 1 :"): in a
# sentence they are the participant's own points, or anything feminine.
# "Answer 2:", "Respuesta 2:", "Rép. 2 :", "R2:"
_POINT_WORD = r"(?:points?|puntos?|pontos?|answers?|ans|reponses?|respuestas?|respostas?|risposte?|rep\.|resp\.|r(?=\d))"
_FEMININE_ARTICLE = r"la(?=\s+\d\b)"
# A question's number after a word that points at it: "Pour la 1 je dirais…", "Sobre a 2 acho…", "Na 2,
# …", "On 2, we…", "For the 3: …" (never "la 1ère fois", "1.5 million", "1,5"). A feminine article
# names a question ("la 2": "la question 2"); without one, "on 2 occasions", "for 3 years" count.
_POINTING_AT_NUMBER = (
    r"(?:(?:pour|sur|dans|concernant|quant a|para|sobre|en|en cuanto a|respecto a|acerca de|quanto a|per|su)(?:[ \t]+(?P<feminine>la|a))?"
    r"|(?:on|for|regarding|concerning|as for|as to)(?:[ \t]+the)?|(?P<contracted>na|nella|sulla))(?=[ \t]+\d\b(?![.,]\d|[°º]))"
)
_ROUND_WORD = r"(?:weeks?|wk|semaines?|sem|semanas?|settimana|rounds?|ronda|tour|rodada)"
_NUMBER_SIGN = r"(?:n\.?[o°º]\.?\s*|n\.\s*(?=\d)|num(?:ero|ber|\.)?\s*|#\s*|[°º]\s*|[.-](?=\d))?"  # "n°2", "n.º 3", "Q°1", "Q.2", "Q-2"
_ORDINAL = rf"(?:{_alternation(ORDINALS)}|(?P<{{g}}>\d)(?:st|nd|rd|th|ere|re|er|eme|e|a|o|[°ºª])\b)"  # "2ª pregunta"
# What joins the questions of one answer: "Q1 y Q2", "1 & 2", "Q1/Q2", "1.1, 1.2".
_AND = r"(?:,|&|\+|/|and|et|y|e)"
# A Roman numeral closed by a delimiter, or joined to another: "Pregunta IV -", "Preguntas II y III:".
_ROMAN_WORDS = _alternation(ROMAN_NUMERALS)
_ROMAN = rf"(?P<roman>{_ROMAN_WORDS})(?=[ \t]*(?:[:)]|[-–—][ \t]|\n|\Z|(?:,[ \t]*)?{_AND}[ \t]*(?:{_ROMAN_WORDS})\b))"
_MAX_JOINED = 12  # questions one joint answer names: more than a round has


def _more_keys(round_group: str) -> str:
    """The keys after a question's key that share its round, `round_group`, as one joint answer's:
    "1.1 and 1.2", "Pregunta 1.1 y la 1.2", "1.1/1.2". Read by `_key_positions`."""
    return (
        rf"(?P<keys>(?:[ \t]*{_AND}[ \t]*(?:(?:la|the|el|le)[ \t]+)?(?:{_QUESTION_WORD}[ \t]*)?"
        rf"(?P={round_group})\.\d{{1,2}}(?![\d.]?\d)){{0,{_MAX_JOINED - 1}}})"
    )


def _number(number_group: str, sub_group: str) -> str:
    """A question's number, "2", or key, "1.2", with the keys of its round joined to it: "1.1 y 1.2"."""
    return rf"(?P<{number_group}>\d{{1,2}})(?:\.(?P<{sub_group}>\d{{1,2}}){_more_keys(number_group)})?(?!\d)"


_KEY_POSITION = re.compile(r"\d\.(\d{1,2})")

# A long message is scanned once, for the words a reference is built around ("question",
# "semana", "#"); numbers and ordinals are then read next to each one found. Python's
# regular expressions cost per position scanned, so one pass beats one per form.
_TRIGGER = re.compile(
    rf"(?<![\w#])(?:(?P<question>{_QUESTION_WORD})|(?P<round>{_ROUND_WORD})|(?P<point>{_POINT_WORD})"
    rf"|(?P<pointed>{_POINTING_AT_NUMBER})|(?P<article>{_FEMININE_ARTICLE}))(?![a-z])|(?P<hash>#)(?=\s?\d)"
)
_COMPACT_QUESTION_WORDS = ("q", "p")  # "Q2", "P2", "#2": a marker even after a comma, "Q1 x, Q2 y"
# Ordinals and cardinals are captured as text and read by `_number_of`.
_NUMBER_AFTER = re.compile(rf"\s*{_NUMBER_SIGN}(?:{_number('num', 'sub')}|(?P<card>{_alternation(CARDINALS)})\b|{_ROMAN})")
_HASH_NUMBER = re.compile(rf"#\s?{_number('num', 'sub')}")
# More questions answered together: "Q1 y Q2", "1 & 2", "Q1/Q2", "questions 2 et 3", "#1 and #3",
# "la pregunta 3 y la 4"; a dash, "a" or "to" between two numbers is a range: "Q1-Q3";
# "or" leaves the participant's choice open: "Q1 or Q2".
_JOINED_NUMBER = re.compile(
    rf"[ \t]*(?:(?P<and>(?:,[ \t]*)?{_AND}(?:[ \t]+(?:also|aussi|tambien|tambem|anche))?)|(?P<to>-|a|au|to)|(?P<or>or|ou|o))[ \t]*"
    rf"(?:(?:la|the|el|le)[ \t]+)?(?P<word>(?:{_QUESTION_WORD}|#)[ \t]*)?"
    rf"(?:(?P<num>\d{{1,2}})(?![\d.]|[a-z])|(?P<card>{_alternation(CARDINALS)})\b|{_ROMAN})"
)
# The question after the word: "la pregunta anterior", "la question précédente".
_ORDINAL_AFTER = re.compile(rf"\s+(?P<ord>{_alternation(w for w, n in ORDINALS.items() if n == PREVIOUS)})\b")
# These two start at a character that is rare in text, "." or ")", and look behind it: a scan
# for a rare character is many times faster than trying the pattern at every position.
# "and for 2.3:", "sobre la 3.1:" inside a line: a question key, when it opens a segment.
_QUESTION_KEY = re.compile(rf"\.(?<=(?<![\w.])(?P<round>\d)\.)(?P<sub>\d{{1,2}})(?![\d.]\d){_more_keys('round')}")
# "(2)" or "2️⃣" (folded "2 )") inside a line: numbered answers on one line, "(1) … (2) …". Like
# any bare number it counts only when no answer comes before the first one (`Linker._markers`).
_PARENTHESISED_NUMBER = re.compile(r"\)(?<=[ \t]\(\d\)|[ \t]\d[ \t]\))(?=[ \t])")
# "…: 1. sí 2. no", "1) oui 2) non", "1/ … 2/ …" inside a line: a list that a colon or a greeting opens, or
# that goes on from the numbers before (`_bare_numbers`).
_LISTED_NUMBER = re.compile(r"(?<=[ \t])(?P<num>\d)[.)/](?=[ \t])")
_OPENS_A_LIST = re.compile(r":[ \t]*$")
_ENDS_A_SENTENCE = re.compile(r"[.!?…][ \t]*$")
_ROUND_NUMBER_AFTER = re.compile(rf"\s*{_NUMBER_SIGN}(?P<num>\d{{1,2}})(?!\d)")
# Ordinals come before the word they count: "tercera pregunta", "Tercera Semana".
_ORDINAL_BEFORE = re.compile(rf"\b(?P<ord>{_ORDINAL.format(g='ordnum')})\s+$")
_ORDINAL_WINDOW = 16
BARE_NUMBER = re.compile(
    # "Re: 2", "Ad 3)", "N° 2 :", "No. 4:", "number 3:" name a number just as well.
    r"^[ \t]*(?:[-*•>][ \t]*)?(?:(?:re|ad)\b[ \t]*:?[ \t]*|n(?:[°º]|o\.)[ \t]*|(?:number|numero)[ \t]+)?\(?"
    + _number("num", "sub")
    + r"(?P<joined>(?:[ \t]*(?:,|&|\+|and|et|y|e)[ \t]*\d{1,2}(?![\d.]))*)"
    # "1.2" is a question's key, not "1." and "2"; a number alone on its line names its question ("2", "1.3").
    + r"[ \t]*(?:[):]|\.(?!\d)|/(?!\d)|-(?!\d)|(?P<spaced>(?<=\d)(?=[ \t]))|(?=[ \t]*$))",
    re.M,
)
# After a number and a space alone, what makes it a question's number: "2 yes, …", "3.2 oui" do;
# "2 communes de la région…", "3 ans de jumelage", "1 000 migrants" count things.
_YES_OR_NO = re.compile(r"[ \t]+(?:yes|yeah|no|oui|non|si|sim|nao)\b")
# "1.5 million", "2.5 %": a quantity, not question 1.5.
_UNIT = (
    r"[ \t]*(?:%|per ?cent|pour ?cent|por ?ciento|million|milliard|billion|thousand|mil\b|milh|milion|millon|mille|bn\b|m\b|k\b|km|kg|ha\b|years?|ans\b|anos\b|anni\b|[$€£]|usd|eur|dollars?|euros?"
    r"|times\b|fois\b|veces\b|vezes\b|volte\b|hours?\b|heures?\b|horas?\b|days\b|jours\b|d[ií]as\b|months?\b|mois\b|meses\b)"
)
_NOT_A_QUANTITY = rf"(?!{_UNIT})"
_QUANTITY = re.compile(_UNIT)
# Words that point at what follows: "Regarding 1.3 we use …", "Concernant la coopération décentralisée, nous …".
POINTING_WORDS = (
    r"about|regarding|concerning|on|for|as for|as to|sur|pour|concernant|quant a|sobre|para|en cuanto a|respecto a|acerca de"
    r"|quanto a|sul|sulla|riguardo a"
)
# Before a question key, where it opens the key's answer: "Regarding 1.3 we use …".
_POINTING_LEAD_IN = re.compile(rf"\b(?:re|su|per|{POINTING_WORDS})\W{{0,2}}\s*(?:(?:la|le|el|the|a|o|il)\s+)?$")
_PREVIOUS_WEEK = (
    r"(?:last|previous|past) (?:week|round)|semaine (?:derniere|passee|precedente)|derniere semaine|tour precedent"
    r"|(?:semana|ronda) (?:pasada|anterior|passada)|rodada anterior|settimana (?:scorsa|precedente)"
)
# "de la semana" is this week's only when "pasada" does not follow: "pregunta 2 de la semana pasada".
_THIS_WEEK = (
    r"(?:(?:of )?this week|cette semaine|esta semana|essa semana|questa settimana"
    r"|of the week|de la semaine|de la semana|da semana|della settimana)"
    r"(?! (?:derniere|passee|precedente|pasada|anterior|passada|scorsa))"
)
ROUND_RELATIVE = re.compile(rf"\b(?:(?P<previous>{_PREVIOUS_WEEK})|(?P<this>{_THIS_WEEK}))\b")
_RELATIVE_WINDOW = 14  # "semaine " before, " derniere" after

# What may stand between the start of a line or sentence and a marker: "- ", "Sobre la ", "As for ".
_LEAD_IN = re.compile(
    r"[ \t]*(?:[-*•>][ \t]*)*"
    # A few words of apology or sequence first: "A bit late, but for round 1 question 3:", "Finally, on Q5:".
    r"(?:(?:sorry|a bit late|late|finally|lastly|then|ok|okay|so|hello|hi|desole|en retard|enfin|bon|perdon|con retraso|por ultimo"
    r"|finalmente|pues|bueno|desculpem|atrasad[oa]|infine|scusate|in ritardo)[ \t]*,?[ \t]+(?:but[ \t]+|mais[ \t]+|pero[ \t]+|mas[ \t]+|ma[ \t]+)?)?"
    r"(?:(?:and|et|y|e|also|aussi|tambien|still|encore|todavia|ainda|ancora)[ \t]+)?"  # "and for 2.3:", "y sobre la 2:"
    r"(?:(?:re|about|regarding|concerning|on|for|as for|as to|to|a|answer(?:ing)?(?: to)?"
    r"|reply(?:ing)? to|(?:going |coming )?back to|(?:je )?reponds? a|respondo a|rispondo a|(?:with|in) reference to|in|pour|sur|concernant"
    r"|(?:(?:petit|bref) )?retour sur|je reviens sur|quant a|en ce qui concerne|par rapport a|a propos de"
    r"|in (?:reply|response|answer) to|en reponse a|en respuesta a|em resposta a|in risposta a|sul|sulla|su"
    r"|(?:en )?reponses? aux?|sobre|para|en cuanto a|con respecto a|respecto a|acerca de|respuestas? a"
    r"|en relacion (?:a|con)|volviendo a|vuelvo a|em relacao a|quanto a|resposta a|voltando a|riguardo a|per"
    r"|in merito a|risposta a(?:lla)?|(?:in|con) riferimento a(?:lla|l)?|tornando a(?:lla|l)?|ans(?: to)?)\W{0,2}\s*)?"
    r"(?:(?:la|le|les|l'|el|los|las|the|a|o|il|ma|my|mi|mon)\s*)?(?:[(\[]\s*)?",
)
_DELIMITER = re.compile(
    r"[ \t]*(?:(?:together|ensemble|juntas|juntos|insieme|a la vez|em conjunto)(?=[ \t]*[:)\-]))?"  # "Q2 and Q4 together:"
    r"[ \t]*(?:[:)\].,;=>*_|-]+|/(?!\d)|\s-\s)[ \t]*"  # "*" and "_": markdown's bold, "**Question 2:**"; "Q2 | …"
)
_OPENING_DELIMITER = re.compile(r"[ \t]*[:)]")  # what makes a mid-line reference a marker: "… Pregunta 4: …"
_DASH = re.compile(r"[ \t]+[-–—][ \t]")  # what ends a round header as a colon would: "Todavía sobre la semana 1 - …"
# "… on 1.4: …", "… on 1.4 — …"; not a range: "for 1.5 - 2 million people".
_OPENS_INSIDE_A_LINE = re.compile(r"(?:[ \t]*:|[ \t]+[-–—][ \t])(?![ \t]*\d)")
_KEY_IN_A_ROW = re.compile(r"[ \t]*[:)](?![ \t]*\d)")  # "1.2:" or "1.2)" after "1.1: …" on the same line; not "1.5: 1"
_AFTER_A_SENTENCE = re.compile(r"[.!?…][ \t]+$")  # "2.1 Good practice: a desk. 2.2 Challenges: …"
# What must follow a reference that only counts as a marker: "la pregunta anterior, …", "Pour la 1 :"
# "Punto 2.- …"; a comma before a number lists counts or dates: "On 3, 4 and 5 May".
_MARKER_DELIMITER = re.compile(r"[ \t]*(?:[:)]|,(?![ \t]*\d)|\.?-[ \t]|\.-)")
_PAIRING_GAP = 25  # "Semaine 2, question 1", "question 1 de la semaine 2", "last week's Q4"
_HEADER_MAX_EXTRA_WORDS = 4  # "Semana 2:", "Week 3 answers:" but not a sentence that mentions week 3


@dataclass(frozen=True)
class Reference:
    start: int
    end: int  # where the answer starts: after the marker and its delimiter
    positions: tuple[int, ...]  # within the round, several for a joint answer; LAST, PREVIOUS; () for a round
    round_number: int | None = None  # named explicitly ("semana 1", "3.2")
    round_shift: int | None = None  # relative to the open round ("last week" -1)
    opens_segment: bool = False  # a marker, not a passing mention
    bare: bool = False  # "1)" at a line start: a question number, or an item of a list
    alternatives: bool = False  # "Q1 or Q2": one of the positions, the participant did not say which

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
    if groups.get("roman"):
        return ROMAN_NUMERALS[groups["roman"]]
    if groups.get("ordnum"):
        return int(groups["ordnum"])
    if groups.get("ord"):
        return ORDINALS.get(groups["ord"])
    return int(groups["num"]) if groups.get("num") else None


def _key_positions(match: re.Match) -> tuple[int, ...]:
    """The questions a key and the keys joined to it name within their round: "1.1 and 1.2" gives (1, 2)."""
    return tuple(dict.fromkeys((int(match.group("sub")), *map(int, _KEY_POSITION.findall(match.group("keys"))))))


def _position_of(match: re.Match) -> int:
    """`_number_of` a match of a pattern that always captures a number (`_ORDINAL_BEFORE`,
    `_NUMBER_AFTER`, `_HASH_NUMBER`, `_JOINED_NUMBER`: each of their words is a key of
    `ORDINALS`, `CARDINALS` or `ROMAN_NUMERALS`)."""
    position = _number_of(match)
    assert position is not None, match.group()
    return position


_SENTENCE_BREAK = re.compile(r"[.!?…][^\S\n]+")


class _Layout:
    """Where a text's lines and sentences start, found in one pass: every reference asks where
    its own starts, and scanning back from each would cost the line's length each time."""

    def __init__(self, folded: str):
        self.folded = folded

    @cached_property  # most texts name no question: found only when asked
    def _line_starts(self) -> list[int]:
        return [0, *(m.end() for m in re.finditer("\n", self.folded))]

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [m.end() for m in _SENTENCE_BREAK.finditer(self.folded)]

    def line_start(self, position: int) -> int:
        return self._line_starts[bisect_right(self._line_starts, position) - 1]

    def line_or_sentence_start(self, position: int) -> int:
        line_start = self.line_start(position)
        sentence = bisect_right(self._sentence_starts, position) - 1
        return max(line_start, self._sentence_starts[sentence]) if sentence >= 0 else line_start

    def is_anchored(self, position: int) -> bool:
        """At the start of a line or sentence, give or take a lead-in like "Sobre la"."""
        return bool(_LEAD_IN.fullmatch(self.folded, self.line_or_sentence_start(position), position))


class _Taken:
    """Spans of the text already read as references: whether a position lies inside one,
    asked for every later candidate, in logarithmic time."""

    def __init__(self, spans: Iterable[tuple[int, int]]):
        self._spans = spans

    @cached_property  # ordered when first asked: most texts have no candidate to ask about
    def _ordered(self) -> tuple[list[int], list[int]]:
        ordered = sorted(self._spans)
        return [start for start, _ in ordered], list(accumulate((end for _, end in ordered), max))  # starts, the furthest end so far

    def __contains__(self, position: int) -> bool:
        starts, reach = self._ordered
        before = bisect_right(starts, position) - 1
        return before >= 0 and reach[before] > position


def _after_semicolon(folded: str, start: int) -> bool:
    """At a clause's start after ";", give or take a lead-in: "…; la seconda: …"."""
    semicolon = folded.rfind(";", max(0, start - _CLAUSE_LEAD_IN_WINDOW), start)
    return semicolon >= 0 and bool(_LEAD_IN.fullmatch(folded, semicolon + 1, start))


def _answer_start(folded: str, end: int) -> int:
    delimiter = _DELIMITER.match(folded, end)
    return delimiter.end() if delimiter else end


class _QuestionSpan(NamedTuple):
    start: int
    end: int
    positions: tuple[int, ...]
    round_number: int | None
    marker_only: bool = False  # counts only where it opens a segment: "deuxième point :", "la pregunta anterior,"
    compact: bool = False  # "Q2", "P2", "#2": opens a segment after a comma too
    alternatives: bool = False  # "Q1 or Q2"
    unmarked: bool = False  # a marker with no delimiter after it: "Pour la 1 je dirais…", "On 2 we…"


# "Question 1,3", "pregunta 1,2": the key written with a decimal comma, after the singular word ("questions 1,3" are two).
_DECIMAL_COMMA_KEY = re.compile(r"\b((?:question|pregunta|pergunta|questao|domanda|q|p)[ \t]?)(\d),(\d{1,2})\b(?!,\d)")


def find_references(folded: str) -> list[Reference]:
    """Every question or round reference in the text, in order, markers and mentions alike."""
    folded = _DECIMAL_COMMA_KEY.sub(r"\1\2.\3", folded)  # one character for one: every position stays
    layout = _Layout(folded)
    questions: list[_QuestionSpan] = []
    rounds = []  # (start, end, round_number, round_shift)
    for trigger in _TRIGGER.finditer(folded):
        start, end = trigger.span()
        if trigger.group("round"):
            rounds.extend(_round_at(folded, start, end))
        elif trigger.group("point"):
            if ordinal := _ordinal_before(folded, start):
                questions.append(_QuestionSpan(ordinal.start(), end, (_position_of(ordinal),), None, marker_only=True))
            elif number := _NUMBER_AFTER.match(folded, end):  # "punto 2:", "point 2:", "point 1.3 :"
                position, sub = _position_of(number), number.group("sub")
                positions, round_number = (_key_positions(number), position) if sub else ((position,), None)
                questions.append(_QuestionSpan(start, number.end(), positions, round_number, marker_only=True))
        elif questions and start < questions[-1].end:
            continue  # "Q2" in "Q1 y Q2" is part of the joint answer's marker
        elif span := _question_at(folded, trigger):
            questions.append(span)
    # "la troisième :", "the third one -": found from the delimiter, a rarer character than a word start.
    for delimiter in _ORDINAL_DELIMITER.finditer(folded):
        window_start = max(0, delimiter.start() - _ORDINAL_ALONE_WINDOW)
        if before := _WORDS_BEFORE.search(folded, window_start, delimiter.start()):
            first, last = before.group("first"), before.group("last")
            word, start = (first, before.start("first")) if last in _ONE_WORDS and first else (last, before.start("last"))
            # Before a comma, an ordinal is a question only pointed at: "Quant à la deuxième, …", "As for the
            # second one, …"; "Second, we trained staff" counts the writer's own points.
            pointed = not delimiter.group("comma") or bool(_POINTING_LEAD_IN.search(folded, layout.line_or_sentence_start(start), start))
            if pointed and (position := ORDINALS.get(word, PREVIOUS)) != PREVIOUS:
                questions.append(_QuestionSpan(start, before.end(), (position,), None, marker_only=True))
    named_rounds = _Rounds(folded, (r for r in rounds if r[2] not in (LAST, PREVIOUS)))

    references: list[Reference] = []
    for span in _without_overlaps(questions):
        start, end, round_number, round_shift = span.start, span.end, span.round_number, None
        paired = named_rounds.nearest(start, end)
        # "semana 1, pregunta 1.3": a week that names the key's own round is part of its marker.
        if paired is not None and round_number in (None, paired[2]):
            named_rounds.used.add(paired)
            r_start, r_end, round_number, round_shift = paired
            start, end = min(start, r_start), max(end, r_end)
        anchored = layout.is_anchored(start)
        if span.marker_only:
            # At a line's or sentence's start, or after ";" in a line a marker opened: "la prima: …; la seconda: …".
            after_marker = (
                bool(references) and references[-1].opens_segment and layout.line_start(references[-1].start) == layout.line_start(start)
            )
            delimited = span.unmarked or bool(_MARKER_DELIMITER.match(folded, end))
            opens = (anchored or (after_marker and _after_semicolon(folded, start))) and delimited
            if not opens:
                continue
        else:
            opens = (
                anchored
                or (
                    bool(_OPENING_DELIMITER.match(folded, end))
                    and not _IN_BRACKETS.search(folded, max(0, start - _IN_BRACKETS_WINDOW), start)
                )
                or (span.compact and bool(_AFTER_COMMA.search(folded, max(0, start - 3), start)))
            )
        labels_the_text = (
            not any(reference.opens_segment for reference in references)
            and bool(_LABEL_AT_THE_END.match(folded, end))
            and bool(_OPEN_BRACKET.search(folded, max(0, start - 2), start))
            and bool(WORD.search(folded, 0, start))
        )
        if labels_the_text:
            opens = False  # "… nothing like that in our town. (Q4)": what comes before answers it, and names it in its last sentence
        if not anchored and opens:  # "…les jumelages ; à la Q2 : …": the clause's lead-in is the marker's
            start = _lead_in_start(layout, start)
        references.append(
            Reference(
                start=layout.line_or_sentence_start(start) if anchored else start,  # "Sobre la" is part of it
                end=_answer_start(folded, end),
                positions=span.positions,
                round_number=round_number,
                round_shift=round_shift,
                opens_segment=opens,
                alternatives=span.alternatives,
            )
        )
    for start, end, round_number, round_shift in named_rounds.spans:
        if (start, end, round_number, round_shift) in named_rounds.used:
            continue
        if _is_round_header(layout, start, end):
            references.append(
                Reference(
                    layout.line_or_sentence_start(start), _answer_start(folded, end), (), round_number, round_shift, opens_segment=True
                )
            )
    # Keys before bare numbers: "1.5:" opening a line is a question's key whatever marked the lines
    # before it ("Q3: …\n1.5: …"), where a bare "1)" after another marker is an item of a list.
    named = _Taken([(r.start, r.end) for r in references])
    rounds_keyed = {r.round_number for r in references if r.positions}  # the rounds whose keys opened answers
    for match in _QUESTION_KEY.finditer(folded):
        key_start = match.start() - 1
        if key_start in named or _QUANTITY.match(folded, match.end()):
            continue
        round_number = int(match.group("round"))
        keyed_before = round_number in rounds_keyed
        if layout.is_anchored(key_start):
            rounds_keyed.add(round_number)  # "2.1 Good practice: …" opens a line, whatever follows it
        # "1.1 and 2.1: …": a key of another round joined to an anchored key answers with it.
        joined_to = _JOINED_TO_KEYS.search(folded, max(0, key_start - _JOINED_KEYS_WINDOW), key_start)
        if joined_to is not None and layout.is_anchored(joined_to.start()):
            references.append(
                Reference(key_start, _answer_start(folded, match.end()), _key_positions(match), round_number, opens_segment=True)
            )
            continue
        if not layout.is_anchored(key_start):
            # "Hi, quick one on 1.4 — Naga City…": a key pointed at, then a delimiter, opens its answer inside a line;
            # and so does a key after keys that opened answers, with its own delimiter: "1.1: twinning 1.2: a committee".
            in_a_row = keyed_before and bool(_KEY_IN_A_ROW.match(folded, match.end()))
            if in_a_row or (
                _POINTING_LEAD_IN.search(folded, max(0, key_start - _CLAUSE_LEAD_IN_WINDOW), key_start)
                and _OPENS_INSIDE_A_LINE.match(folded, match.end())
            ):
                references.append(
                    Reference(
                        _lead_in_start(layout, key_start),
                        _answer_start(folded, match.end()),
                        _key_positions(match),
                        round_number,
                        opens_segment=True,
                    )
                )
            continue
        # "Sobre la 3.1: …", after a lead-in that points at it without a colon ("Regarding 1.3 we use…"),
        # or the first of keys joined: "1.1, 2.1 y 3.2: …".
        if (
            _OPENING_DELIMITER.match(folded, match.end())
            or _POINTING_LEAD_IN.search(folded, layout.line_or_sentence_start(key_start), key_start)
            or _JOINS_A_KEY.match(folded, match.end())
            # "2.1 Good practice: a desk. 2.2 Challenges: …": a sentence opened by the next key of a round keyed before.
            or (keyed_before and _AFTER_A_SENTENCE.search(folded, 0, key_start))
        ):
            references.append(
                Reference(
                    layout.line_or_sentence_start(key_start),
                    _answer_start(folded, match.end()),
                    _key_positions(match),
                    round_number,
                    opens_segment=True,
                )
            )
    taken = _Taken([(r.start, r.end) for r in references])
    bare_reach = 0  # the furthest end of the bare numbers kept, which come in order
    bares = []
    for bare in sorted(_bare_numbers(layout), key=lambda b: b.start):
        if bare.number_start not in taken and bare.number_start >= bare_reach:
            bares.append(
                Reference(bare.start, _answer_start(folded, bare.end), bare.positions, bare.round_number, bare=True, opens_segment=True)
            )
            bare_reach = max(bare_reach, bare.end)
    references.extend(bares)
    return sorted(references, key=lambda r: r.start)


_AFTER_COMMA = re.compile(r"[,;][ \t]*$")
# Keys, each joined to the next by "and", "," or "&", just before another key: "1.1 and ", "1.1, 1.3 y ".
_JOINED_TO_KEYS = re.compile(rf"(?:(?<![\w.])(?:{_QUESTION_WORD}[ \t]*)?\d\.\d{{1,2}}[ \t]*{_AND}[ \t]*(?:(?:la|the|el|le)[ \t]+)?)+$")
_JOINED_KEYS_WINDOW = 60
_JOINS_A_KEY = re.compile(rf"[ \t]*{_AND}[ \t]*(?:(?:la|the|el|le)[ \t]+)?(?:{_QUESTION_WORD}[ \t]*)?\d\.\d")
_CLAUSE_BREAK = re.compile(r"[,;][^,;]{0,30}$")
_CLAUSE_LEAD_IN_WINDOW = 32
# A clause that goes back to a round and says nothing else: "Going back to last week", "Je reviens sur la semaine 1".
_GOING_BACK = re.compile(
    rf"{_LEAD_IN.pattern}(?:{_PREVIOUS_WEEK}|{_THIS_WEEK}|(?:{_ROUND_WORD}){_ROUND_NUMBER_AFTER.pattern}|{_ORDINAL.format(g='going_back')}[ \t]+{_ROUND_WORD})[ \t]*"
)


def _lead_in_start(layout: _Layout, start: int) -> int:
    """Where a marker inside a line starts with its lead-in: at the "," or ";" before "à la Q2 :",
    "and for Q3:"; at the sentence's start before "That's my answer to Q2:", a few words that
    point at what follows and say nothing themselves; `start` when no lead-in stands between."""
    folded = layout.folded
    window_start = max(0, start - _CLAUSE_LEAD_IN_WINDOW)
    clause = _CLAUSE_BREAK.search(folded, window_start, start)
    sentence_start = layout.line_or_sentence_start(start)
    if clause is not None and _LEAD_IN.fullmatch(folded, clause.start() + 1, start):
        # "Going back to last week, on question 1.5:": a clause that only names the round is lead-in too.
        return sentence_start if _GOING_BACK.fullmatch(folded, sentence_start, clause.start()) else clause.start()
    if start - sentence_start <= _POINTING_SENTENCE_MAX and _POINTS_AHEAD.fullmatch(folded, sentence_start, start):
        return sentence_start
    return start


# A sentence's start that points at the marker after it: "That's my answer to", "Voici ma réponse
# pour la", "Esta es mi respuesta a la", "And here is what I think about".
_POINTS_AHEAD = re.compile(
    r"[^.!?…:;\n]*\b(?:to|for|on|about|regarding|a|au|aux|pour|sur|concernant|para|sobre|al|per|su|sulla|alla)"
    r"[ \t]*(?:(?:la|le|les|the|el|los|las|o|a|il)[ \t]+)?"
)
_POINTING_SENTENCE_MAX = 64  # "Un complément à ma réponse de la semaine dernière sur la"

# "… piccoli (domanda 5).", "(see question 3: …)" name a question in passing; "(Q2) …" at a line start opens.
_IN_BRACKETS = re.compile(r"\([ \t]*(?:(?:see|cf|voir|ver|vea|vedi)\b\.?[ \t]*)?$")
_IN_BRACKETS_WINDOW = 8
_OPEN_BRACKET = re.compile(r"[(\[][ \t]*$")
_LABEL_AT_THE_END = re.compile(r"[ \t]*[)\]][^\w]*$")
_ORDINAL_DELIMITER = re.compile(r"(?<=[a-z])[ \t]?(?:[:)]|-[ \t]|(?P<comma>,))")  # after a word: "Q1:" is left to the other patterns
_WORDS_BEFORE = re.compile(r"(?:\b(?P<first>[a-z]+)[ \t]+)?\b(?P<last>[a-z]+)[ \t]*$")
_ONE_WORDS = {"one", "une", "una", "uno", "um", "uma"}
_ORDINAL_ALONE_WINDOW = 24
_CLOSES_MARKER = re.compile(r"[ \t]*(?:[:)/>]|-(?!\d)|$)", re.M)  # what may follow "questions 2 et 3", "1 y 4 →"
_COUNTED = re.compile(rf"{_UNIT}|[ \t]*\d")  # "pour la 2 000 familles"
_FIRST_PERSON = re.compile(r"[ \t]+(?:i|we)\b")  # "On 2 we have…", "For the 1 I'd say…": no count
_PLURAL_QUESTION_WORD = re.compile(r"questions|preguntas|perguntas|questoes|domande|cuestiones")


def _question_at(folded: str, trigger: re.Match) -> _QuestionSpan | None:
    """The question(s) a "question" word, "#" or "la" names: "Q3", "Q3.2", "questions 2 et 3",
    "tercera pregunta", "la pregunta anterior"; None when it names none."""
    start, end = trigger.span()
    hashed = bool(trigger.group("hash"))
    number = _HASH_NUMBER.match(folded, start) if hashed else _NUMBER_AFTER.match(folded, end)
    if number:
        position, sub = _position_of(number), number.group("sub")
        if sub:  # "Q3.2": round 3, question 2; "Pregunta 1.1 y 1.2": two of round 1
            return _QuestionSpan(start, number.end(), _key_positions(number), position)
        positions, joined_end, alternatives = _joined_positions(folded, position, number.end(), trigger.group())
        word = trigger.group("question") or ""
        compact = hashed or word in _COMPACT_QUESTION_WORDS
        pointed = bool(trigger.group("pointed"))
        feminine = pointed and bool(trigger.group("feminine") or trigger.group("contracted"))
        unmarked = (feminine and not _COUNTED.match(folded, joined_end)) or (pointed and bool(_FIRST_PERSON.match(folded, joined_end)))
        marker_only = pointed or bool(trigger.group("article"))
        return _QuestionSpan(start, joined_end, positions, None, marker_only, compact, alternatives, unmarked)
    if not trigger.group("question"):
        return None
    if ordinal := _ordinal_before(folded, start):
        position = _position_of(ordinal)
        return _QuestionSpan(ordinal.start(), end, (position,), None, marker_only=position == PREVIOUS)
    if after := _ORDINAL_AFTER.match(folded, end):
        return _QuestionSpan(start, after.end(), (PREVIOUS,), None, marker_only=True)
    return None


def _joined_positions(folded: str, first: int, end: int, trigger_word: str) -> tuple[tuple[int, ...], int, bool]:
    """The questions of a joint answer, "Q1 y Q2" or "questions 2 et 3", where they end, and
    whether they are alternatives ("Q1 or Q2").

    Numbers after the first count only when each is named as a question ("Q1 y Q2"), or the
    word is plural ("preguntas 1 y 3"), or a delimiter closes them ("1 & 2 -"): in "Q2, 3
    partners signed" the 3 is not a question."""
    positions, chain_end, all_named, alternatives = [first], end, True, False
    # Bounded, so that "Q1, Q2, Q3, …" costs each of its markers the same.
    while len(positions) < _MAX_JOINED and (joined := _JOINED_NUMBER.match(folded, chain_end)):
        number = _position_of(joined)
        if joined.group("to") and number > positions[-1]:
            positions.extend(range(positions[-1] + 1, number + 1))
        elif joined.group("to"):
            break
        else:
            positions.append(number)
            alternatives = alternatives or bool(joined.group("or"))
        all_named = all_named and bool(joined.group("word"))
        chain_end = joined.end()
    if len(positions) == 1:
        return (first,), end, False
    if all_named or _PLURAL_QUESTION_WORD.fullmatch(trigger_word) or _CLOSES_MARKER.match(folded, chain_end):
        return tuple(dict.fromkeys(positions)), chain_end, alternatives
    return (first,), end, False


def _round_at(folded: str, start: int, end: int) -> list[tuple]:
    """The round a round word names: "Semana 2", "Tercera Semana", "last week"."""
    window = (max(0, start - _RELATIVE_WINDOW), min(len(folded), end + _RELATIVE_WINDOW))
    # A number first: "de la semaine 2" is week 2, not "la semaine", this one.
    if number := _ROUND_NUMBER_AFTER.match(folded, end):
        return [(start, number.end(), _number_of(number), None)]
    relative = ROUND_RELATIVE.search(folded, *window)
    if relative and relative.start() <= start and relative.end() >= end:
        return [(relative.start(), relative.end(), None, -1 if relative.group("previous") else 0)]
    if ordinal := _ordinal_before(folded, start):
        return [(ordinal.start(), end, _number_of(ordinal), None)]
    return []


class _BareNumber(NamedTuple):
    start: int
    number_start: int
    end: int
    positions: tuple[int, ...]
    round_number: int | None  # "3.2" at a line start


def _bare_numbers(layout: _Layout) -> list[_BareNumber]:
    """Numbers that open a line ("1)", "2/", "1 & 2 -", "3.2:"), "(2)" inside one, and a list inside
    one, in order: "1) oui 2) non 3) les forums", "Mes réponses : 1. oui 2. non", "Hello all, here are
    my answers. 1) … 2) …", "1. … 2. … 5. …"."""
    folded = layout.folded
    found, spaced = [], []
    for match in BARE_NUMBER.finditer(folded):
        number, sub = int(match.group("num")), match.group("sub")
        joined = tuple(int(n) for n in re.findall(r"\d+", match.group("joined")))
        positions, round_number = (_key_positions(match), number) if sub else ((number, *joined), None)
        bare = _BareNumber(match.start(), match.start("num"), match.end(), positions, round_number)
        if match.group("spaced") is None or _YES_OR_NO.match(folded, match.end()):
            found.append(bare)
        elif sub and not _QUANTITY.match(folded, match.end()) and not folded[match.end() + 1 : match.end() + 2].isdigit():
            found.append(bare)  # "3.2 à Kayes": a question's key
        else:
            spaced.append(bare)
    # "1 oui\n2 non\n3 …": numbers and a space alone, one after the other, number their answers.
    numbers = {bare.positions[-1] for bare in found if bare.round_number is None} | {bare.positions[0] for bare in spaced}
    found += [bare for bare in spaced if len(bare.positions) == 1 and {bare.positions[0] - 1, bare.positions[0] + 1} & numbers]
    for match in _PARENTHESISED_NUMBER.finditer(folded):
        closing = match.start()
        number_start = closing - 1 if folded[closing - 1].isdigit() else closing - 2  # "(2)" or "2 )"
        found.append(_BareNumber(closing - 3, number_start, match.end(), (int(folded[number_start]),), None))
    # The numbers found before each one of a list, gathered as the list is read: once, in time linear in the text.
    ending = sorted(found, key=lambda bare: bare.end)
    opening_lines = {bare.number_start for bare in found}
    before: set[int] = set()
    gathered = 0
    for match in _LISTED_NUMBER.finditer(folded):  # in order: "3)" follows a "2)" found just before it
        number, number_start = int(match.group("num")), match.start()
        if number_start in opening_lines:
            continue  # an indented "1." opening its line
        while gathered < len(ending) and ending[gathered].end <= number_start:
            before.add(ending[gathered].positions[-1])
            gathered += 1
        # Past 1 and 2, or after a sentence's end, a list may skip the questions left unanswered
        # ("1. … 2. … 5. …", "1. Oui. 3. Non."); a first jump inside a sentence is a count ("1) oui,
        # nous avons 3) partenaires").
        skips = (
            bool(before)
            and number > max(before)
            and ({1, 2} <= before or _ENDS_A_SENTENCE.search(folded, max(0, number_start - 3), number_start) is not None)
        )
        goes_on = number - 1 in before or skips
        if (number == 1 and _opens_a_list(layout, number_start)) or goes_on:
            found.append(_BareNumber(number_start - 1, number_start, match.end(), (number,), None))
            before.add(number)
    return found


def _opens_a_list(layout: _Layout, number_start: int) -> bool:
    """What comes before a "1." inside a line makes it the first of a list: a colon, or a greeting or
    a heading that ends its sentence ("Hello all, here are my answers. 1) …"), not an answer's own
    sentence ("We did three things. 1) radio …")."""
    window_start = max(0, number_start - 3)
    if _OPENS_A_LIST.search(layout.folded, window_start, number_start):
        return True
    sentence_end = _ENDS_A_SENTENCE.search(layout.folded, window_start, number_start)
    if sentence_end is None:
        return False
    sentence = layout.folded[layout.line_or_sentence_start(sentence_end.start()) : sentence_end.end()]
    return is_phatic_sentence(sentence) or is_introduction(sentence)


def _ordinal_before(folded: str, position: int) -> re.Match | None:
    return _ORDINAL_BEFORE.search(folded, max(0, position - _ORDINAL_WINDOW), position)


def _without_overlaps(spans: list[_QuestionSpan]) -> list[_QuestionSpan]:
    """Longest first, so "Q3.2" is one reference and "la deuxième question 2" is not two."""
    kept: list[_QuestionSpan] = []
    for span in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not kept or span.start >= kept[-1].end:  # the spans kept are apart, in order: only the last can reach this one
            kept.append(span)
    return kept


class _Rounds:
    """The rounds a text names, (start, end, round_number, round_shift) in order of their
    start, and those already paired with a question."""

    def __init__(self, folded: str, spans: Iterable[tuple]):
        self.folded = folded
        self.spans = sorted(spans)
        self.used: set[tuple] = set()
        self._starts = [span[0] for span in self.spans]
        self._longest = max((span[1] - span[0] for span in self.spans), default=0)

    def nearest(self, start: int, end: int) -> tuple | None:
        """The closest round not used yet named on the same line, before or after: in
        "Semaine 1 Q2 et semaine 2 Q1", Q1 is of round 2. Only those that start near
        enough are looked at."""
        first = bisect_left(self._starts, start - _PAIRING_GAP - self._longest)
        nearby = []
        for round_span in self.spans[first : bisect_right(self._starts, end + _PAIRING_GAP)]:
            if round_span in self.used:
                continue
            r_start, r_end = round_span[0], round_span[1]
            gap = self.folded[r_end:start] if r_end <= start else self.folded[end:r_start] if r_start >= end else None
            if gap is not None and len(gap) <= _PAIRING_GAP and "\n" not in gap:
                nearby.append((len(gap), round_span))
        return min(nearby, key=lambda item: item[0])[1] if nearby else None


def _is_round_header(layout: _Layout, start: int, end: int) -> bool:
    """A line of its own that names a round: "Semana 2:", "Tercera Semana :", "Week 3 answers"."""
    folded = layout.folded
    if not _LEAD_IN.fullmatch(folded, layout.line_start(start), start):
        return False
    # "Semana 2: …", "Todavía sobre la semana 1 - …" head the answer that follows on its line.
    if _OPENING_DELIMITER.match(folded, end) or _DASH.match(folded, end):
        return True
    line_end = folded.find("\n", end)
    rest = WORD.finditer(folded, end, line_end if line_end >= 0 else len(folded))
    return sum(1 for _ in islice(rest, _HEADER_MAX_EXTRA_WORDS + 1)) <= _HEADER_MAX_EXTRA_WORDS


def named_round(folded: str, open_round: int | None) -> int | None:
    """The round a text goes back to in passing: "going back to last week's question on…",
    "todavía respondo a la semana 2", "ainda sobre a 1.3"; None when it names none."""
    for trigger in _TRIGGER.finditer(folded):
        if trigger.group("round"):
            for _, _, number, shift in _round_at(folded, trigger.start(), trigger.end()):
                if number not in (LAST, PREVIOUS):
                    found = number if number is not None else (open_round + shift if open_round is not None and shift is not None else None)
                    if found is not None:
                        return found
    return None


# "ainda sobre a 1.3 …", "back to 2.2 …": a question key after a word that points at it, inside a sentence.
_KEY_MENTION = re.compile(
    r"\b(?:sobre|on|sur|about|regarding|to|para|pour|per|su|de|da|re)\s+(?:(?:la|a|le|el|the|il)\s+)?"
    r"(?:(?:question|pregunta|pergunta|domanda|q)\s*)?(?P<round>\d)\.(?P<position>\d{1,2})(?![\d.]?\d)" + _NOT_A_QUANTITY
)


def keys_in(folded: str) -> list[tuple[int, int]]:
    """Every question key the text writes, as (round, position), with the keys joined to it:
    "I'll answer 1.3 …", "1.2 et 1.3 …", whether or not any opens an answer."""
    return [(int(match.group("round")), position) for match in _QUESTION_KEY.finditer(folded) for position in _key_positions(match)]


def key_mention(folded: str) -> Reference | None:
    """A question named by its key in passing: "ainda sobre a 1.3 acho que…"."""
    match = _KEY_MENTION.search(folded)
    if match is None:
        return None
    return Reference(match.start(), match.end(), (int(match.group("position")),), int(match.group("round")))


def topic_words(folded: str) -> str:
    """What a header says of its topic, once its lead-in and the round it names are left out:
    "back to the diaspora consultations of week 3" gives "the diaspora consultations of"."""
    lead_in = _LEAD_IN.match(folded)
    start = lead_in.end() if lead_in else 0
    kept, position = [], start
    for trigger in _TRIGGER.finditer(folded, start):
        if trigger.group("round"):
            for round_start, round_end, *_ in _round_at(folded, trigger.start(), trigger.end()):
                if round_start >= position:
                    kept.append(folded[position:round_start])
                    position = round_end
    kept.append(folded[position:])
    return " ".join(kept)


class TypedChoice(NamedTuple):
    """A choice typed in answer to "which question?": a question by its key, its number in the
    round or its ordinal ("1.2", "2", "the second one", "la dernière"), or none of them."""

    round_number: int | None
    position: int | None  # `LAST` for the round's last question; None: "none of them"


_POLITE = (
    r"(?:please|pls|plz|thanks(?: a lot)?|thank you(?: very much)?|thx|merci(?: beaucoup| bien)?|svp|stp|s'il (?:te|vous) plait"
    r"|por favor|(?:muchas |mil )?gracias|grazie(?: mille)?|per favore|(?:muito )?obrigad[oa])"
)
# Around the choice: "it's …", "c'est …", "… please", "…, merci !".
_AROUND_A_CHOICE = re.compile(rf"(?:(?:it'?s|it is|that'?s|c'est|es|e)\s+)?(?P<choice>.*?)(?:\W+{_POLITE})*\W*", re.S)
_ARTICLE = r"(?:(?:the|la|le|el|a|o|number|numero)\s+)?"
_CHOSEN_KEY = re.compile(rf"{_ARTICLE}(?:{_QUESTION_WORD}\s*)?[#n°º.]*\s*(?:(?P<round>\d{{1,2}})\.)?(?P<position>\d{{1,2}})[.:)]?")
_CHOSEN_ORDINAL = re.compile(
    rf"{_ARTICLE}(?P<ordinal>{_alternation(w for w, n in ORDINALS.items() if n != PREVIOUS)})"
    r"(?:\s+(?:one|une|uno|una|question|pregunta|pergunta|domanda))?"
)
_NONE_OF_THEM = re.compile(
    r"(?:none|neither|aucune?|ningun[oa]?|nenhum[a]?|nessun[oa]?)"
    r"(?:\s+(?:of them|of these|of those|d'entre elles|d'elles|de ellas|de ellos|delas|deles|di queste|di loro))?"
)


CHOICE_MAX_CHARS = 60  # "c'est la troisième question, merci beaucoup !": a choice is short


def typed_choice(folded: str) -> TypedChoice | None:
    """What a short text typed in answer to "which question?" chooses, if that is all it says."""
    if len(folded) > CHOICE_MAX_CHARS:  # an answer, and every message passes here: its text is not scanned
        return None
    choice = _AROUND_A_CHOICE.fullmatch(folded.strip())
    assert choice is not None  # every part of the pattern is optional
    chosen = choice.group("choice")
    if key := _CHOSEN_KEY.fullmatch(chosen):
        return TypedChoice(int(key.group("round")) if key.group("round") else None, int(key.group("position")))
    if ordinal := _CHOSEN_ORDINAL.fullmatch(chosen):
        return TypedChoice(None, ORDINALS[ordinal.group("ordinal")])
    if _NONE_OF_THEM.fullmatch(chosen):
        return TypedChoice(None, None)
    return None
