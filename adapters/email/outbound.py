"""The engine's outgoing messages as mails: plain text and HTML
(multipart/alternative), the participant's own reply address, each
question's reply link (a round's mail carries all of its questions, each
numbered with its id and with its own link), choices numbered, and a
List-Unsubscribe header (RFC 2369; one-click, RFC 8058, where the web runs)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email import policy
from email.charset import BASE64, QP, Charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formatdate
from urllib.parse import quote

from bot.i18n import _
from bot.ports import OutgoingMessage

SUBJECT_LENGTH = 90
# The standard library's older MIME classes: several times cheaper than EmailMessage's
# header objects, for a round's thousands of mails. Bodies are quoted-printable, so
# that any relay takes them (no 8BITMIME needed); lines end in CRLF on the wire.
QUOTED_PRINTABLE = Charset("utf-8")
QUOTED_PRINTABLE.body_encoding = QP
HEADER_CHARSET = Charset("utf-8")
HEADER_CHARSET.header_encoding = BASE64  # rather than trying both encodings for the shorter, at each header
WIRE = policy.compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class Envelope:
    sender: str  # our address
    recipient: str
    reply_address: str  # the participant's own sub-address (the question's, for a question)
    message_id: str
    subject: str
    unsubscribe_address: str  # a mail to it unsubscribes the participant
    in_reply_to: str | None = None
    question: str | None = None  # the question key, for a question's mail
    question_addresses: tuple[str, ...] = ()  # a round's mail: each question's reply address, in order
    unsubscribe_url: str | None = None  # the one-click https address (RFC 8058), where the web runs
    invitation: bool = False  # `facilitator invite`'s: they take no part yet


def question_key(message: OutgoingMessage) -> str | None:
    """A question post opens a thread titled "1.2 · text" (schedules.rounds): its key."""
    if not message.new_thread_title:
        return None
    return message.new_thread_title.split(" · ", 1)[0].strip() or None


def subject_for(message: OutgoingMessage, replying_to: str | None) -> str:
    if replying_to is not None:
        return replying_to if replying_to.lower().startswith(("re:", "ré:", "aw:")) else f"Re: {replying_to}"
    first_line = (message.new_thread_title or message.text).strip().split("\n", 1)[0]
    return first_line if len(first_line) <= SUBJECT_LENGTH else first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"


def compose(message: OutgoingMessage, envelope: Envelope) -> Message:
    """Call inside `reading_in` the recipient's language: the mail's own sentences are in it."""
    paragraphs_text = [message.text]
    paragraphs_html = [_html_paragraphs(message.text)]
    if message.questions:
        _add_round(message, envelope, paragraphs_text, paragraphs_html)
    if message.buttons:
        intro = _("Reply with the number of your choice:")
        choices = [f"{number}. {button.label}" for number, button in enumerate(message.buttons, 1)]
        paragraphs_text.append(intro + "\n" + "\n".join(choices))
        paragraphs_html.append(
            f"<p>{html.escape(intro)}</p><ol>" + "".join(f"<li>{html.escape(b.label)}</li>" for b in message.buttons) + "</ol>"
        )
    if envelope.question:
        link = _("To answer question {key}, reply to this mail, or write to {address}.").format(
            key=envelope.question, address=envelope.reply_address
        )
        paragraphs_text.append(link)
        paragraphs_html.append(f"<p>{_linked(link, envelope.reply_address, envelope.subject)}</p>")
    footer = (
        _("You receive this mail because the organisers of this e-discussion invited you. Reply «unsubscribe» to receive no more.")
        if envelope.invitation
        else _("You receive this mail because you take part in this e-discussion. Reply «unsubscribe» to receive no more.")
    )
    paragraphs_text.append("-- \n" + footer)
    paragraphs_html.append(f'<hr><p style="color:#666;font-size:small">{html.escape(footer)}</p>')

    alternative = MIMEMultipart("alternative")
    alternative.attach(_text_part("\n\n".join(paragraphs_text), "plain"))
    alternative.attach(_text_part("<!doctype html><html><body>" + "".join(paragraphs_html) + "</body></html>", "html"))
    mail: Message = alternative
    if message.attachment is not None:
        name, content = message.attachment
        mail = MIMEMultipart("mixed")
        mail.attach(alternative)
        attachment = MIMEApplication(content)
        attachment.add_header("Content-Disposition", "attachment", filename=name)
        mail.attach(attachment)
    headers = {
        "From": envelope.sender,
        "To": envelope.recipient,
        "Reply-To": envelope.reply_address,
        "Subject": envelope.subject,
        "Date": formatdate(usegmt=True),
        "Message-ID": envelope.message_id,
        **({"In-Reply-To": envelope.in_reply_to, "References": envelope.in_reply_to} if envelope.in_reply_to else {}),
        "Auto-Submitted": "auto-replied" if envelope.in_reply_to else "auto-generated",  # RFC 3834: no auto-reply loops
        **_unsubscribe_headers(envelope),
    }
    for name, value in headers.items():
        mail[name] = value if value.isascii() else Header(value, HEADER_CHARSET, header_name=name).encode()
    return mail


def _add_round(message: OutgoingMessage, envelope: Envelope, paragraphs_text: list[str], paragraphs_html: list[str]) -> None:
    """A round's questions, each numbered with its id, its text and its own reply address."""
    for question, address in zip(message.questions, envelope.question_addresses, strict=True):
        heading = _("Question {key}").format(key=question.key)
        alone = _("To answer this question alone, write to {address}.").format(address=address)
        paragraphs_text.append(f"{heading}\n{question.text}\n{alone}")
        subject = f"{question.key} · {question.text}"[:SUBJECT_LENGTH]
        paragraphs_html.append(f"<h3>{html.escape(heading)}</h3>{_html_paragraphs(question.text)}<p>{_linked(alone, address, subject)}</p>")
    how = _(
        "To answer, reply to this mail, starting each answer with its question's number, for example «{key}: …». "
        "One mail can answer several questions."
    ).format(key=message.questions[0].key)
    paragraphs_text.append(how)
    paragraphs_html.append(f"<p>{html.escape(how)}</p>")


def _linked(sentence: str, address: str, subject: str) -> str:
    """The sentence as HTML, the address in it a mailto: link with the subject filled in."""
    mailto = f"mailto:{address}?subject={quote(subject)}"
    return html.escape(sentence).replace(html.escape(address), f'<a href="{html.escape(mailto)}">{html.escape(address)}</a>')


def _unsubscribe_headers(envelope: Envelope) -> dict[str, str]:
    """RFC 2369's List-Unsubscribe: always by mail; with the web, also the
    https address that RFC 8058's one-click POST (List-Unsubscribe-Post) goes to."""
    mailto = f"<mailto:{envelope.unsubscribe_address}?subject=unsubscribe>"
    if envelope.unsubscribe_url is None:
        return {"List-Unsubscribe": mailto}
    return {"List-Unsubscribe": f"<{envelope.unsubscribe_url}>, {mailto}", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def as_bytes(mail: Message) -> bytes:
    return mail.as_bytes(policy=WIRE)


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part.set_payload(text, QUOTED_PRINTABLE)
    return part


def _html_paragraphs(text: str) -> str:
    return "".join("<p>" + html.escape(paragraph).replace("\n", "<br>") + "</p>" for paragraph in text.split("\n\n") if paragraph.strip())
