"""Reply addresses and message ids: what ties a reply to its participant,
question or choice without the bot keeping any state of its own.

- Each participant's mail carries their own reply address,
  `discussion+TOKEN@…`, each question its own, `discussion+1.2.TOKEN@…`, and
  the List-Unsubscribe header `discussion+unsubscribe.TOKEN@…`.
  The token is an HMAC of the participant's address: a message written to
  someone else's token is recognised without a lookup.
- The bot's Message-IDs say what a mail was: `<q.…>` a question or a round
  (a delivery the engine ties replies to), `<b.CHOICES.…>` a mail with
  choices, whose data travel in the id so that a reply "2" presses the second
  one even after a restart, `<i.CHOICES.…>` an invitation (a reply «yes»
  presses its first).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from email.utils import getaddresses

TOKEN_LENGTH = 12
STORED_ID_LIMIT = 64  # the engine keeps platform ids in 64 characters
UNSUBSCRIBE = "unsubscribe"  # where a question's key goes: no key is a word
INVITATION = "i"  # the Message-ID kind of an invitation


@dataclass(frozen=True)
class SubAddress:
    token: str
    question: str | None = None  # the question key the address answers, if any

    @property
    def unsubscribes(self) -> bool:
        return self.question == UNSUBSCRIBE


class Addressing:
    def __init__(self, address: str, separator: str, key: bytes):
        self.local, _at, self.domain = address.lower().rpartition("@")
        self.address = address.lower()
        self.separator = separator
        self._key = key

    def token(self, participant: str) -> str:
        digest = hmac.new(self._key, participant.lower().encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode().lower()[:TOKEN_LENGTH]

    def owns(self, sub: SubAddress, participant: str) -> bool:
        return hmac.compare_digest(sub.token, self.token(participant))

    def reply_address(self, participant: str, question: str | None = None) -> str:
        tag = f"{question}.{self.token(participant)}" if question else self.token(participant)
        return f"{self.local}{self.separator}{tag}@{self.domain}"

    def sub_address(self, recipients: list[str]) -> SubAddress | None:
        """The first of the message's recipients that is one of our sub-addresses."""
        for _name, recipient in getaddresses(recipients):
            local, _at, domain = recipient.lower().rpartition("@")
            base, separator, tag = local.partition(self.separator)
            if domain != self.domain or base != self.local or not separator:
                continue
            question, _dot, token = tag.rpartition(".")
            if len(token) == TOKEN_LENGTH:
                return SubAddress(token=token, question=question or None)
        return None

    def signed(self, participant: str) -> str:
        """The participant's address and its token, for a one-click unsubscribe URL (RFC 8058)."""
        encoded = base64.urlsafe_b64encode(participant.lower().encode()).decode().rstrip("=")
        return f"{encoded}.{self.token(participant)}"

    def signer(self, signed: str) -> str | None:
        """The address a `signed` value names, when its token is right."""
        encoded, _dot, token = signed.rpartition(".")
        try:
            participant = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return participant if "@" in participant and hmac.compare_digest(token, self.token(participant)) else None

    def is_ours(self, address: str) -> bool:
        local, _at, domain = address.lower().rpartition("@")
        return domain == self.domain and (local == self.local or local.startswith(self.local + self.separator))

    def message_id(self, kind: str, choices: tuple[str, ...] = ()) -> str:
        """A new Message-ID: `q` a question (or a round), `b` choices, `i` an invitation (choices, «yes» the first), `m` anything else."""
        middle = f"{kind}."
        if choices:
            middle += base64.urlsafe_b64encode(json.dumps(choices, separators=(",", ":")).encode()).decode().rstrip("=") + "."
        return f"<{middle}{secrets.token_hex(8)}@{self.domain}>"

    def choices_of(self, message_id: str) -> tuple[str, ...]:
        """The choices a mail of ours offered, from the Message-ID a reply names."""
        inner = message_id.strip().strip("<>")
        local, _at, domain = inner.rpartition("@")
        parts = local.split(".")
        if domain != self.domain or len(parts) != 3 or parts[0] not in ("b", INVITATION):
            return ()
        try:
            data = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (binascii.Error, ValueError):
            return ()
        return tuple(item for item in data if isinstance(item, str)) if isinstance(data, list) else ()

    def is_invitation(self, message_id: str) -> bool:
        return message_id.strip().startswith(f"<{INVITATION}.") and message_id.strip().endswith(f"@{self.domain}>")

    def is_question_mail(self, message_id: str) -> bool:
        return message_id.strip().startswith("<q.") and message_id.strip().endswith(f"@{self.domain}>")


def stored_id(message_id: str) -> str:
    """A Message-ID as the engine stores it: itself when short enough, else a
    digest of it (the same for every delivery of the same message)."""
    value = message_id.strip()
    if len(value) <= STORED_ID_LIMIT:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[: STORED_ID_LIMIT - 7]
