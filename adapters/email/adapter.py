"""The e-mail adapter: the discussion by mail, in the engine's event loop.

- A participant is their address: a private chat whose id is the address.
  Every mail the bot sends them has their own reply address (a sub-address
  with their token); a question's mail, the question's own.
- A round comes as one mail (`posts_whole_rounds`), its questions numbered
  with their ids, each with its own reply address.
- Received mail (IMAP, or LMTP for a deployment that receives its own) is
  cleaned at the edge (`inbound`) and handed to the engine: the question's
  sub-address names its question, a reply to a question's mail (or a
  round's) replies to that delivery, and the linking engine splits the rest
  as in a chat.
- Choices (the engine's buttons) are numbered; a reply with the number picks one.
- A few words replace the chat's commands ("start", "mydata", "forget", "read 1.2",
  "unsubscribe", in French, English, Spanish); organiser commands are refused.
- Auto-replies are dropped silently; a bounce marks its recipient unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from adapters.email import inbound, outbound
from adapters.email.addresses import INVITATION, UNSUBSCRIBE, Addressing, stored_id
from adapters.email.config import EmailConfig
from adapters.email.inbound import PLATFORM, Kind, Received
from adapters.email.mailbox import Mailbox
from adapters.email.relay import Relay
from bot import ports
from bot.i18n import _, current_language, reading_in
from bot.ports import ButtonPress, ChatKind, ChatRef, Inbox, IncomingMessage, OutgoingMessage, Person, RecipientUnreachable, SentMessage

log = logging.getLogger(__name__)

# A mail whose whole text is one of these words is that command.
COMMAND_WORDS: dict[str, str] = {
    **dict.fromkeys(("start", "join", "subscribe", "rejoindre", "participer", "inscription", "unirse", "participar"), "/start"),
    **dict.fromkeys(("help", "aide", "ayuda", "ajuda"), "/help"),
    **dict.fromkeys(("questions", "preguntas", "perguntas"), "/questions"),
    **dict.fromkeys(("skip", "passer", "omitir", "saltar"), "/skip"),
    **dict.fromkeys(("profile", "profil", "perfil"), "/profile"),
    **dict.fromkeys(("mydata", "my data", "mes données", "mis datos", "meus dados"), "/mydata"),
    **dict.fromkeys(("forget", "forget me", "oublier", "oubliez-moi", "olvidar", "olvídame", "esquecer"), "/forget"),
}
# A mail that is one of these and a question's number: "read 1.2", "lire 1.2", "leer 1.2".
COMMAND_WORDS_WITH_A_QUESTION: dict[str, str] = dict.fromkeys(("read", "lire", "leer", "ler"), "/read")
_QUESTION_NUMBER = re.compile(r"^(?:q|p|#)?\s*\d{1,2}(?:\.\d{1,2})?$", re.IGNORECASE)
UNSUBSCRIBE_WORDS = frozenset(
    ("unsubscribe", "stop", "désabonner", "se désabonner", "désinscrire", "se désinscrire", "darse de baja", "baja", "cancelar suscripción")
)
# A reply that is only one of these says yes to an invitation: its first choice.
YES_WORDS = frozenset(
    (
        *("yes", "yes please", "yes i agree", "i agree", "i accept", "ok", "okay", "sure", "of course"),
        *("oui", "oui merci", "oui j'accepte", "j'accepte", "d'accord", "ok d'accord", "bien sûr", "volontiers", "avec plaisir"),
        *("sí", "si", "sí acepto", "si acepto", "acepto", "de acuerdo", "claro", "claro que sí", "por supuesto", "con gusto"),
    )
)
_NOT_A_WORD = re.compile(r"[\s,.!¡?¿;:]+")
LANGUAGE_SECONDS = 60.0
LANGUAGES_REMEMBERED = 50_000
_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:re|ré|aw|sv|rv|fw|fwd|tr)\s*:\s*)+", re.IGNORECASE)


def _as_command(word: str) -> str | None:
    """The chat command a mail of a few words stands for, if it is one."""
    if word in COMMAND_WORDS:
        return COMMAND_WORDS[word]
    first, _space, rest = word.partition(" ")
    if first in COMMAND_WORDS_WITH_A_QUESTION and _QUESTION_NUMBER.match(rest.strip()):
        return f"{COMMAND_WORDS_WITH_A_QUESTION[first]} {rest.strip()}"
    return None


@dataclass(frozen=True)
class Answering:
    """The mail being answered: the engine's replies to its chat go back as replies to it."""

    chat: ChatRef
    received: Received


class EmailChat:
    name = PLATFORM
    answers_by_reply = True
    posts_whole_rounds = True  # one mail per round, as a mailing list sends it

    def __init__(self, config: EmailConfig, *, relay: Relay | None = None):
        self.config = config
        self.addressing = Addressing(config.address, config.separator, config.signing_key)
        self.relay = relay or Relay(config)
        self.mailbox = Mailbox(config)
        self._inbox: Inbox | None = None
        # Each mail's own sentences (the reply link, the footer) are in its reader's language:
        # asked once a minute per address, and again after each mail they send (it may change it).
        self._languages: dict[str, tuple[float, str | None]] = {}

    # --- receiving ------------------------------------------------------

    async def serve(self, inbox: Inbox) -> None:
        self._inbox = inbox
        servers = [self.mailbox.watch(lambda raw: self.receive(inbox, raw))]
        if self.config.lmtp_listen:
            from adapters.email.lmtp import serve_lmtp

            servers.append(serve_lmtp(self.config.lmtp_listen, lambda raw: self.receive(inbox, raw)))
        try:
            await asyncio.gather(*servers)
        finally:
            await self.relay.close()

    async def receive(self, inbox: Inbox, raw: bytes) -> None:
        """One received mail, handled to the end: stored (or rightly dropped)
        and answered when this returns. Never raises: a mail that cannot be
        read is logged and left, rather than read again and again."""
        self._inbox = inbox
        try:
            received = inbound.parse(raw, self.addressing)
            await self._dispatch(inbox, received)
        except Exception:
            log.exception("a received mail could not be handled; it is left as handled")

    async def _dispatch(self, inbox: Inbox, received: Received) -> None:
        if received.kind == Kind.bounce:
            for recipient in received.bounced:
                if await inbox.mark_unreachable(PLATFORM, recipient):
                    log.info("a delivery status notification says an address is unreachable; no more mail goes there")
            return
        if received.kind == Kind.forged:
            log.info("a mail whose sender's domain failed DMARC is ignored")
            return  # answering would write to the person whose address was forged
        if received.kind == Kind.auto_reply or not inbound.usable_sender(received):
            return  # never answered: no mail loops
        chat = ChatRef(PLATFORM, received.sender, ChatKind.private)
        person = Person(PLATFORM, received.sender, received.display_name or received.sender, received.language_code)
        if received.sub_address is not None and not self.addressing.owns(received.sub_address, received.sender):
            await self._say(inbox, chat, received, self._not_yours)
            return
        text = received.text.strip()
        word = text.lower().strip(" .!/") or _SUBJECT_PREFIX.sub("", received.subject).lower().strip(" .!/")
        if word in UNSUBSCRIBE_WORDS or (received.sub_address is not None and received.sub_address.unsubscribes):
            await self._say(inbox, chat, received, self._goodbye)
            await inbox.mark_unreachable(PLATFORM, chat.chat_id)
            return
        if text.startswith("/") and self._organiser_only(inbox, text):
            await self._say(
                inbox,
                chat,
                received,
                lambda: _(
                    "Organiser commands are not taken by e-mail: please use them in a chat with the bot, or with the facilitator command line."
                ),
            )
            return
        token = ports.answering.set(Answering(chat, received))
        try:
            choice = self._choice(received, text)
            if choice is not None:
                await inbox.handle_button(ButtonPress(chat, person, choice, message_id=received.stored_id))
            else:
                await inbox.handle_message(self._message(chat, person, received, _as_command(word) or text))
            if received.attachments and text:
                names = ", ".join(received.attachments)
                await self._say(
                    inbox,
                    chat,
                    received,
                    lambda: _("Attachments are not recorded ({names}): only the text of your mail is.").format(names=names),
                )
        finally:
            ports.answering.reset(token)
            self._languages.pop(chat.chat_id, None)

    def _message(self, chat: ChatRef, person: Person, received: Received, text: str) -> IncomingMessage:
        replied = next((stored_id(ref) for ref in received.in_reply_to if self.addressing.is_question_mail(ref)), None)
        question = received.sub_address.question if received.sub_address else None
        return IncomingMessage(
            chat=chat,
            sender=person,
            message_id=received.stored_id,
            text=text,
            reply_to=replied,
            question=question,
            undecodable=received.undecodable,
            attachment_only=not text and bool(received.attachments),
            sent_at=received.sent_at,
        )

    def _choice(self, received: Received, text: str) -> str | None:
        """A reply that is only a number, to a mail that offered choices: that choice
        (a «yes» to an invitation: its first)."""
        if not received.in_reply_to:
            return None
        replied = received.in_reply_to[0]
        if text.isdigit():
            number = int(text)
        elif self.addressing.is_invitation(replied) and _NOT_A_WORD.sub(" ", text.lower()).strip() in YES_WORDS:
            number = 1
        else:
            return None
        choices = self.addressing.choices_of(replied)
        return choices[number - 1] if 1 <= number <= len(choices) else None

    @staticmethod
    def _organiser_only(inbox: Inbox, text: str) -> bool:
        name = text[1:].split(maxsplit=1)[0].lower() if len(text) > 1 else ""
        return any(entry.name == name and entry.organiser_only for entry in inbox.menu())

    def _goodbye(self) -> str:
        return _("You will receive no more mail from this discussion. To come back, write «start» to {address}.").format(
            address=self.config.address
        )

    def _not_yours(self) -> str:
        return _(
            "This mail was written to a reply address that belongs to another participant, so it was not recorded. "
            "To take part yourself, write «start» to {address}."
        ).format(address=self.config.address)

    async def _say(self, inbox: Inbox, chat: ChatRef, received: Received, sentence: Callable[[], str]) -> None:
        """The adapter's own answer to a mail, written in the reader's language."""
        with reading_in(await inbox.reader_language(PLATFORM, chat.chat_id)):
            text = sentence()
        token = ports.answering.set(Answering(chat, received))
        try:
            await self.send(OutgoingMessage(chat=chat, text=text))
        except RecipientUnreachable:
            log.info("an answer by mail could not be delivered")
        finally:
            ports.answering.reset(token)

    def unsubscribed_chat(self, signed: str) -> str | None:
        """The address a one-click unsubscribe URL of our mail names (`bot.ports.unsubscribed_chat`)."""
        return self.addressing.signer(signed)

    # --- sending --------------------------------------------------------

    async def _language(self, recipient: str) -> str | None:
        if self._inbox is None:
            return None
        now = asyncio.get_running_loop().time()
        cached = self._languages.get(recipient)
        if cached is None or cached[0] < now:
            if len(self._languages) > LANGUAGES_REMEMBERED:
                self._languages.clear()
            cached = self._languages[recipient] = (now + LANGUAGE_SECONDS, await self._inbox.reader_language(PLATFORM, recipient))
        return cached[1]

    async def send(self, message: OutgoingMessage) -> SentMessage:
        return await self._send(message)

    async def invite(self, message: OutgoingMessage) -> SentMessage:
        """An invitation (`facilitator invite`, outside the running bot: call
        inside `reading_in` the contact's language): its choices numbered,
        a reply «yes» picks the first."""
        return await self._send(message, invitation=True)

    async def _send(self, message: OutgoingMessage, invitation: bool = False) -> SentMessage:
        recipient = message.chat.chat_id
        answering = ports.answering.get()
        key = None if message.questions else outbound.question_key(message)
        posts_questions = key is not None or bool(message.questions)  # a delivery, that replies are tied to
        # Questions posted while a mail is answered (the round's after /start) are a mail of their own.
        replying = answering if isinstance(answering, Answering) and answering.chat == message.chat and not posts_questions else None
        kind = "q" if posts_questions else INVITATION if invitation else "b" if message.buttons else "m"
        message_id = self.addressing.message_id(kind, tuple(button.data for button in message.buttons))
        # A round's mail comes in its reader's language (`posts_whole_rounds`): 2,000 of them, 2,000 queries fewer.
        language = current_language() if message.questions else await self._language(recipient)
        with reading_in(language or current_language()):
            envelope = outbound.Envelope(
                sender=self.config.address,
                recipient=recipient,
                reply_address=self.addressing.reply_address(recipient, key),
                unsubscribe_address=self.addressing.reply_address(recipient, UNSUBSCRIBE),
                message_id=message_id,
                subject=outbound.subject_for(message, replying.received.subject if replying else None),
                in_reply_to=replying.received.message_id if replying else None,
                question=key,
                invitation=invitation,
                question_addresses=tuple(self.addressing.reply_address(recipient, question.key) for question in message.questions),
                unsubscribe_url=f"{self.config.web_url}/unsubscribe/{PLATFORM}/{self.addressing.signed(recipient)}"
                if self.config.web_url
                else None,
            )
            mail = outbound.compose(message, envelope)
        await self.relay.deliver(outbound.as_bytes(mail), recipient)
        return SentMessage(message_id=stored_id(message_id))
