"""What a participant wrote in a reply, without what they quoted or signed.

The rules live in this one module, modelled on Loomio's received-mail service
(its quote headers and signature rules), in French, English, Spanish and
Portuguese. mail-parser-reply was tried first: it has no Portuguese, cuts
everything after the first line starting with "Salutations" or "Gracias,", and
drops answers written between quoted lines, Loomio's own known failure
(loomio#6519), which these rules avoid: an inline reply keeps every line the
participant wrote between the quoted ones.
"""

from __future__ import annotations

import re

# "Le 8 juil. 2013 à 10:00, Ana <ana@…> a écrit :", "El … escribió:", "On … wrote:",
# "Em … escreveu:", "Il giorno … ha scritto:"; Gmail wraps the long ones over two lines.
_WROTE = re.compile(
    r"^\s*(?:le|el|on|em|am|il)\b.{0,300}?\b(?:a\s+écrit|escribió|wrote|escreveu|schrieb|ha\s+scritto)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# The round's mail heads each question "Question 1.2" (in the reader's language); a mail an organiser
# wrote may number them "1.2 How can…" or "Q1.2:": quoted above an inline answer, it says which question
# the answer is for.
_QUOTED_QUESTION = re.compile(
    r"^\s*>[>\s]*\**\s*(?:(?:question|pregunta|pergunta|questão|questao|domanda)\s+|q\s?)?(?P<key>\d{1,2}\.\d{1,2})"
    r"(?:\s*[:.)*-]|\s+(?-i:[A-ZÀ-Þ¿¡«\"“])|\s*$)",  # a question begins, not "1.5 million euros"
    re.IGNORECASE,
)
_QUOTED_KEY_LINE = re.compile(r"\d{1,2}\.\d{1,2}:")  # the line `_without_quotes` writes for it
# Outlook quotes the round's mail without ">": its lines are told by what the bot wrote there. Each
# question's block ends with "To answer this question alone, write to discussion+1.2.TOKEN@…", and
# the mail's last paragraph gives an example, «1.1: …», before the "-- " of its footer.
_QUESTION_HEADING = re.compile(
    r"\s*\**\s*(?:question|pregunta|pergunta|questão|questao|domanda)\s+(?P<key>\d{1,2}\.\d{1,2})\s*\**\s*", re.IGNORECASE
)
_QUESTION_END = re.compile(r"[?？؟]\s*\**\s*$")  # "… ?", and in bold "…?**"
_QUESTION_ADDRESS = re.compile(r"[+=_-](?P<key>\d{1,2}\.\d{1,2})\.[\w-]+@")
_HOW_TO_ANSWER = re.compile(r"«\s*\d{1,2}\.\d{1,2}\s*:\s*(?:…|\.\.\.)\s*»")
# An organisation's legal notice under the signature: "This e-mail and any attachments are confidential…".
_DISCLAIMER = re.compile(
    r"^\s*(?:(?:confidentiality|legal) notice|disclaimer|aviso (?:legal|de confidencialidad)|avis de confidentialit[ée]"
    r"|(?:this|the information (?:contained )?in this) e-?mail\b.{0,60}\bconfidential|ce (?:message|courriel|mail)\b.{0,60}\bconfidenti"
    r"|este (?:mensaje|correo)\b.{0,60}\bconfidencial|esta mensagem\b.{0,60}\bconfidencia"
    r"|this (?:message|e-?mail)\b.{0,40}\bintended (?:only|solely|exclusively)|ce (?:message|courriel)\b.{0,40}\bdestiné"
    r"|este (?:mensaje|correo)\b.{0,40}\bdirigido|esta mensagem\b.{0,40}\bdestinada"
    r"|please consider the environment|pensez à l'environnement|antes de imprimir)",
    re.IGNORECASE,
)
# Outlook's block of headers ("De : …", "Envoyé : …"; "From: …", "Sent: …";
# "De: …", "Enviado el: …"), and the separators clients put above a quote.
_HEADER_FIELD = re.compile(
    r"^\s*\*?(?:de|from|von|envoyé|sent|enviad[oa](?: el| em)?|date|data|fecha|à|a|to|para|objet|subject|asunto|assunto|cc)\s*\*?\s*:",
    re.IGNORECASE,
)
# Gmail's "---------- Forwarded message ---------" and Apple Mail's "Begin forwarded message:".
_FORWARD_LINE = (
    r"-{2,}\s*(?:forwarded message|message transféré|mensaje reenviado|mensagem encaminhada)\s*-{2,}"
    r"|(?:begin forwarded message|début du message (?:réexpédié|transféré)|(?:inicio|comienzo) del mensaje reenviado"
    r"|início da mensagem (?:reencaminhada|encaminhada))\s*:"
)
_SEPARATOR = re.compile(
    rf"^\s*(?:-{{2,}}\s*(?:original message|message d'origine|mensaje original|mensagem original)\s*-{{2,}}|{_FORWARD_LINE}"
    r"|_{20,}|-{20,})\s*$",
    re.IGNORECASE,
)
_FORWARDED = re.compile(rf"^\s*(?:{_FORWARD_LINE})\s*$", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(
    r"^\s*(?:envoyé (?:de|depuis) mon|envoyé depuis|sent from my|sent from outlook|get outlook for|obtenir outlook pour|"
    r"enviado desde mi|enviado do meu|enviado de meu|télécharger outlook|obtener outlook para|descargar outlook|obter o outlook"
    # "Sent from Mail for Windows", "Envoyé à partir de Courrier pour Windows", "Sent from Yahoo Mail for iPhone"
    r"|(?:sent|envoyé|enviado) (?:from|de|à partir de|desde|do|a partir do) (?:mail|courrier|correo|yahoo|gmail|outlook|samsung|android)\b)",
    re.IGNORECASE,
)
# "Best" and "thanks" also open sentences ("Best practices are…", "Thanks to the fund…"): "best" signs
# off only alone, and a thank-you that gives credit is text.
_CLOSING = re.compile(
    r"^\s*(?:(?:bien |très )?cordialement|cdl?t|bàv|bien à (?:vous|toi)|salutations(?: distinguées)?|bonne (?:journée|réception)|"
    r"à bientôt|amitiés|(?:merci|thanks|thank you|muchas gracias|gracias|obrigad[oa])(?!\s+(?:to|à|aux?|a|al|ao|à)\b)(?: beaucoup)?|"
    r"(?:best|kind|warm)(?:est)? (?:regards|wishes)|regards|bests?(?=\W*$)|cheers|all the best|sincerely|yours(?: sincerely| truly)?|"
    r"(?:un )?saludos?(?: cordiales)?|atentamente|cordialmente|un abrazo|atenciosamente|(?:um )?abraços?|saudações|"
    r"(?:com os )?(?:melhores )?cumprimentos)\b[^.?!]{0,60}$",
    re.IGNORECASE,
)
# A line of an answer, not of a signature block: it names a question ("1.2", "Q3", "Pregunta 2") or
# is a sentence.
_ANSWER_LINE = re.compile(
    r"^\s*(?:\d{1,2}(?:\.\d{1,2})?\s*[:).-]|[qp]\s?\d|(?:question|pregunta|pergunta|questão|point|punto)\s*\d)"
    r"|^(?:\W*\w+\W+){4,}\w+\s*[.?!;:]\s*$",
    re.IGNORECASE,
)
SIGNATURE_BLOCK_LINES = 6  # a closing followed by more than this is not a signature but more text
SIGNATURE_LINE_LENGTH = 90


def reply_text(body: str, author_name: str = "", *, forwarded: bool = False) -> str:
    """The text of `body` that its author wrote for this reply. In a mail `forwarded` with nothing of
    its own, the text is what it forwards."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own, answered_in_quote = _without_quotes(lines, forwarded)
    lines = _without_signature(own, author_name) + answered_in_quote
    while lines and _QUOTED_KEY_LINE.fullmatch(lines[-1]):  # the last question quoted had only the signature under it
        lines = _trim(lines[:-1])
    # Where quoted lines were taken out from between answers, one blank line is left.
    return re.sub(r"\n\s*\n(?:\s*\n)+", "\n\n", "\n".join(lines)).strip()


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _without_quotes(lines: list[str], forwarded: bool = False) -> tuple[list[str], list[str]]:
    """The author's own lines, and the answers they wrote inside the round's mail quoted without ">"."""
    kept: list[str] = []
    index = 0
    quoted_question = None  # the question the quoted lines just above named, for the answer written under them
    questions_in_quote: set[str] = set()  # those the quoted lines above named: all of the round's mail names many
    while index < len(lines):
        line = lines[index]
        header_lines = _wrote_header_at(lines, index)
        if header_lines:
            rest = lines[index + header_lines :]
            if not _has_inline_answers(rest):  # a top-posted reply: everything below is the quote
                return _trim(kept), _answers_in_unmarked_round(rest)
            index += header_lines  # an inline reply: drop the header, keep the answers between the quotes
            continue
        separator = bool(_SEPARATOR.match(line))
        if separator or _outlook_block_at(lines, index):
            if (forwarded or _FORWARDED.match(line)) and not any(kept_line.strip() for kept_line in kept):
                # A bare forward: what was forwarded is the text (below the separator, or from Outlook's header block on).
                return _without_quotes(_after_header_block(lines[index + 1 if separator else index :]))
            # Outlook quotes without ">": after its header block, only answers written inside the round's mail are the author's.
            return _trim(kept), _answers_in_unmarked_round(lines[index:])
        if _quoted(line):
            if named := _QUOTED_QUESTION.match(line):
                quoted_question = named.group("key")
                questions_in_quote.add(quoted_question)
            elif line.lstrip("> ").rstrip() == "--":
                quoted_question = None  # the quoted mail's signature: what is written under it answers the whole mail
        elif line.strip():
            if len(questions_in_quote) > 2:
                quoted_question = None  # written under the whole round's mail, not under its last question
            questions_in_quote.clear()
            if quoted_question:
                # "1.2:" on its own line (`_QUOTED_KEY_LINE`): the linker's marker, not part of the answer.
                kept.append(f"{quoted_question}:")
                quoted_question = None
            kept.append(line)
        else:
            kept.append(line)
        index += 1
    return _trim(kept), []


def _answers_in_unmarked_round(lines: list[str]) -> list[str]:
    """What the author wrote inside the round's mail quoted without ">", each question's part headed
    by its key ("1.2:", as `_without_quotes` heads an answer under a quoted question): under a
    question's "To answer this question alone, write to …" line, or between its text and that line:
    after a blank line (the mail has none there), or right under the line that ends the question
    with its question mark."""
    written: list[tuple[str, list[str]]] = []  # each question's key, and the author's lines in its part
    in_question = False  # between a question's heading and its "write to" line
    text_seen = blank_after_text = False
    asked_until_here = ""  # the question's own text so far
    for line in lines:
        if line.rstrip() in ("--", "-- ") or _HOW_TO_ANSWER.search(line):
            break  # the mail's closing paragraph and footer
        if heading := _QUESTION_HEADING.fullmatch(line):
            written.append((heading.group("key"), []))
            in_question, text_seen, blank_after_text, asked_until_here = True, False, False, ""
        elif address := _QUESTION_ADDRESS.search(line):
            if not written or written[-1][0] != address.group("key"):
                written.append((address.group("key"), []))
            in_question = False
        elif written and not _quoted(line):  # lines quoted with ">" are left to `_without_quotes`
            if not in_question or blank_after_text:
                written[-1][1].append(line)
            elif line.strip() and _QUESTION_END.search(asked_until_here):
                blank_after_text = True  # typed right under the question
                written[-1][1].append(line)
            elif line.strip():
                text_seen, asked_until_here = True, line  # the question's own text
            else:
                blank_after_text = text_seen
    return [kept for key, block in written if any(line.strip() for line in block) for kept in ("", f"{key}:", *_trim(block))]


def _wrote_header_at(lines: list[str], index: int) -> int:
    """How many lines the "… wrote:" header starting at `index` takes (0: none)."""
    for span in (1, 2, 3):
        candidate = " ".join(line.strip() for line in lines[index : index + span])
        if _quoted(lines[index]) or len(candidate) > 400:
            return 0
        if _WROTE.match(candidate) and _client_header(candidate, lines[index + span :]):
            return span
    return 0


def _client_header(candidate: str, below: list[str]) -> bool:
    """A mail client's header names the moment and often the address ("On Mon, Jul 8, 2013 at 11:02 AM,
    X <x@…> wrote:"), or stands over quoted lines. "On this point the mayor wrote:" and "Le 12 juin 2012,
    le maire nous a écrit :" are the participant's own text."""
    if re.search(r"\d{1,2}\s*[:h]\s*\d{2}|@", candidate):
        return True
    following = next((line for line in below if line.strip()), "")
    return bool(re.search(r"\d", candidate)) and _quoted(following)


def _has_inline_answers(rest: list[str]) -> bool:
    """Quoted lines with the author's own lines between or after them."""
    seen_quote = False
    for line in rest:
        if _quoted(line):
            seen_quote = True
        elif line.strip() and seen_quote and not _SEPARATOR.match(line):
            return not _MOBILE_FOOTER.match(line) and line.strip() not in ("--", "-- ")
    return False


def _outlook_block_at(lines: list[str], index: int) -> bool:
    """Two or more header fields in a row ("From: …" then "Sent: …")."""
    fields = 0
    for line in lines[index : index + 6]:
        if not line.strip():
            if fields:
                continue
            return False
        if not _HEADER_FIELD.match(line):
            break
        fields += 1
    return fields >= 2 and bool(_HEADER_FIELD.match(lines[index]))


def _after_header_block(lines: list[str]) -> list[str]:
    index = 0
    while index < len(lines) and (_HEADER_FIELD.match(lines[index]) or not lines[index].strip()):
        index += 1
    return lines[index:]


def _without_signature(lines: list[str], author_name: str) -> list[str]:
    for index, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ") or _MOBILE_FOOTER.match(line) or (index > 0 and _DISCLAIMER.match(line)):
            lines = lines[:index]
            break
    name = author_name.strip().lower()
    parts = name.split()
    first_name = parts[0] if len(parts) > 1 and len(parts[0]) > 2 else None
    for index, line in enumerate(lines):
        signed = line.strip().lower()
        # "Marie Dupont, Région Île-de-France", or "Marie" alone on its line.
        named = bool(name) and (signed.startswith(name) or signed.rstrip(".,;!") == first_name)
        if index == 0 or not (_CLOSING.match(line) or named):
            continue
        tail = [rest for rest in lines[index + 1 :] if rest.strip()]
        if len(tail) <= SIGNATURE_BLOCK_LINES and all(
            len(rest) <= SIGNATURE_LINE_LENGTH and not _ANSWER_LINE.search(rest) for rest in tail
        ):
            return _trim(lines[:index])
    return _trim(lines)


def _trim(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]
