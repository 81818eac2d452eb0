"""A received mail turned into what the engine reads, at the adapter's edge.

Every charset and transfer encoding is decoded (the standard library's
`email` with its modern policy), an HTML-only mail becomes text (inscriptis,
its blockquotes as "> " lines),
quotes and signatures are taken out (`cleaning`), attachments are listed by
name. Auto-replies and delivery status notifications are recognised here, so
that neither is ever taken for an answer.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import parseaddr, parsedate_to_datetime

import lxml.html
from inscriptis import get_text
from lxml import etree

from adapters.email.addresses import Addressing, SubAddress, stored_id
from adapters.email.cleaning import reply_text

PLATFORM = "email"
ADDRESS_LIMIT = 64  # the engine's chat ids

# "Absence", "Ausente" only as the subject's own label: "Défis : l'absence de données" is an answer.
_OUT_OF_OFFICE = re.compile(
    r"^\s*(?:absence|absent|ausencia|ausência|ausente)\b[^:]{0,30}:|out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply"
    r"|absent(?:e)? (?:du bureau|jusqu)|^\s*(?:on (?:annual )?leave|en congés?|en vacances|de vacaciones|de férias)\b|réponse automatique|message d'absence|respuesta automática|fuera de la oficina|resposta automática",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"<[^<>\s]+>")
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|tr|rv|enc|wg)\s*:", re.IGNORECASE)
# Labels that mail programs write on Windows-1252 text; decoded as labelled, its quotes and dashes become
# control characters. Browsers read these labels as Windows-1252 for the same reason.
_WINDOWS_1252_LABELS = {"iso-8859-1", "latin-1", "latin1", "iso8859-1", "us-ascii", "ascii"}


class Kind(enum.Enum):
    mail = "mail"  # written by a person: an answer, a command, a choice
    auto_reply = "auto_reply"  # out of office, list robots: ignored without an answer
    bounce = "bounce"  # a delivery status notification
    forged = "forged"  # the receiving server found its From: forged (DMARC failed): ignored


@dataclass(frozen=True)
class Received:
    kind: Kind
    sender: str  # the From: address, lower case
    display_name: str
    message_id: str  # the Message-ID header, as written
    stored_id: str  # what the engine stores it under
    subject: str
    text: str  # what the author wrote, without quotes or signature
    in_reply_to: tuple[str, ...]  # In-Reply-To then References, nearest first
    sub_address: SubAddress | None
    attachments: tuple[str, ...] = ()
    language_code: str | None = None
    sent_at: dt.datetime | None = None
    undecodable: bool = False
    bounced: tuple[str, ...] = ()  # for a bounce: the recipients that failed for good


def parse(raw: bytes, addressing: Addressing) -> Received:
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)  # the default policy builds EmailMessage objects
    display_name, sender = parseaddr(str(mail.get("From", "")))
    sender = sender.lower()
    message_id = str(mail.get("Message-ID", "")).strip() or "<" + hashlib.sha256(raw).hexdigest()[:40] + "@no-message-id>"
    subject = str(mail.get("Subject", "")).strip()
    references = _REFERENCE.findall(str(mail.get("In-Reply-To", ""))) + list(reversed(_REFERENCE.findall(str(mail.get("References", "")))))
    recipients = [str(value) for name in ("Delivered-To", "X-Original-To", "To", "Cc") for value in mail.get_all(name, [])]
    base = Received(
        Kind.mail,
        sender=sender,
        display_name=display_name,
        message_id=message_id,
        stored_id=stored_id(message_id),
        subject=subject,
        text="",
        in_reply_to=tuple(dict.fromkeys(references)),
        sub_address=addressing.sub_address(recipients),
    )
    if mail.get_content_type() == "multipart/report" and mail.get_param("report-type") == "delivery-status":
        return replace(base, kind=Kind.bounce, bounced=_failed_recipients(mail))
    if _dmarc_failed(mail):
        return replace(base, kind=Kind.forged)
    if _is_automatic(mail, sender, subject, addressing):
        return replace(base, kind=Kind.auto_reply)
    body, undecodable = _body_text(mail)
    return replace(
        base,
        text=reply_text(body, display_name, forwarded=bool(_FORWARD_SUBJECT.match(subject))),
        attachments=tuple(part.get_filename() or part.get_content_type() for part in mail.iter_attachments()),
        language_code=_language(mail),
        sent_at=_date(mail),
        undecodable=undecodable,
    )


def usable_sender(received: Received) -> bool:
    """An address the bot can answer and the engine can keep."""
    return "@" in received.sender and len(received.sender) <= ADDRESS_LIMIT


def _is_automatic(mail: EmailMessage, sender: str, subject: str, addressing: Addressing) -> bool:
    auto_submitted = str(mail.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(mail.get("Precedence", "")).strip().lower()
    return (
        auto_submitted != "no"
        or any(mail.get(name) is not None for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response"))
        or precedence in ("bulk", "auto_reply", "junk")
        or bool(_OUT_OF_OFFICE.search(subject))
        or addressing.is_ours(sender)
        or sender.split("@", 1)[0] in ("mailer-daemon", "postmaster")
    )


def _dmarc_failed(mail: EmailMessage) -> bool:
    """The organisation's own server checked the sender's domain (RFC 8601) and it failed.
    Only the topmost Authentication-Results is the receiving server's; those below came with the mail."""
    results = mail.get_all("Authentication-Results") or []
    return bool(results) and re.search(r"\bdmarc\s*=\s*fail\b", str(results[0]), re.IGNORECASE) is not None


def _failed_recipients(mail: EmailMessage) -> tuple[str, ...]:
    failed: list[str] = []
    for part in mail.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        for block in payload if isinstance(payload, list) else []:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            if action == "failed" and recipient:
                failed.append(recipient.split(";", 1)[-1].strip().lower())
    return tuple(dict.fromkeys(failed))


def _body_text(mail: EmailMessage) -> tuple[str, bool]:
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", False
    raw = part.get_payload(decode=True)
    content = raw if isinstance(raw, bytes) else b""
    charset = part.get_content_charset() or "utf-8"
    labels = [charset]
    if charset.lower() in _WINDOWS_1252_LABELS:
        labels.insert(0, "cp1252")
    for label in labels:
        try:
            text = content.decode(label)
            break
        except (LookupError, UnicodeDecodeError):
            continue
    else:
        text = content.decode("utf-8", errors="replace")
    undecodable = "\ufffd" in text
    if part.get_content_type() == "text/html":
        text = _html_text(text)
    return text, undecodable


def _html_text(markup: str) -> str:
    """The text of an HTML mail, each line quoted in a `<blockquote>` (Thunderbird's, Apple Mail's,
    Gmail's quotes) written with "> " as in a plain-text mail, so that the answers written between
    quoted lines are told from them."""
    try:
        tree = lxml.html.document_fromstring(markup)
    except etree.ParserError:
        return ""
    for quote in tree.xpath("//blockquote[not(ancestor::blockquote)]"):
        quoted = get_text(lxml.html.tostring(quote, encoding="unicode")).strip("\n")
        block = lxml.html.Element("pre")
        block.text = "\n".join("> " + line for line in quoted.split("\n"))
        block.tail = quote.tail
        quote.getparent().replace(quote, block)
    return get_text(lxml.html.tostring(tree, encoding="unicode"))


def _language(mail: EmailMessage) -> str | None:
    value = str(mail.get("Content-Language") or mail.get("Accept-Language") or "").split(",", 1)[0].strip()
    return value or None


def _date(mail: EmailMessage) -> dt.datetime | None:
    try:
        moment = parsedate_to_datetime(str(mail.get("Date", "")))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
