"""What a chat platform offers the engine (hexagonal "port").

Every adapter (console, Telegram, Discord, the in-memory twin for tests)
implements `ChatPlatform`; the engine talks to platforms only through it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

from bot.ports.events import OutgoingMessage, SentMessage

if TYPE_CHECKING:
    from bot.ports.inbox import Inbox

# The platform's own handle on the update being handled (Telegram's receipt,
# Discord's interaction), set by the adapter before it hands the update to the
# engine. The engine's replies to that update are sent in the same context, so
# the adapter's `send` reads it back: the one outbound context that is not a
# field of `OutgoingMessage`, because only the adapter knows what it is.
answering: ContextVar[object | None] = ContextVar("answering", default=None)


# Set by an adapter whose platform delivers an update again until it is
# confirmed (Telegram): while the database cannot be reached, the engine then
# raises `StorageUnavailable` rather than answering, and the adapter leaves the
# update unconfirmed and hands it over again later. Nothing is to be resent.
keeps_updates: ContextVar[bool] = ContextVar("keeps_updates", default=False)


class StorageUnavailable(Exception):
    """The update could not be stored, the database being out of reach; nothing was sent."""


class RecipientUnreachable(Exception):
    """The platform refuses to deliver to this chat for good (bot blocked,
    account deleted, DMs closed): the engine stops sending there."""


class RetryLater(Exception):
    """The platform asks for nothing to be sent before `seconds` have passed
    (a 429 whose wait is longer than the adapter waits in place): the engine
    keeps the message unsent and tries its chat again no sooner."""

    def __init__(self, seconds: float):
        super().__init__(f"the platform asks to wait {seconds:.1f} s")
        self.seconds = seconds


class ChatPlatform(Protocol):
    name: str  # "console", "telegram", "discord": the `platform` of its events

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Deliver one message; retry transient failures (rate limits, network)
        itself; raise `RecipientUnreachable` for a permanent refusal, and
        `RetryLater` for a wait too long to spend in place."""
        ...


def answers_by_reply(platform: ChatPlatform) -> bool:
    """Whether people can answer a question by replying to its message in
    their app, so that the bot's sentences say so only where it is true. A
    platform that cannot (the console) sets `answers_by_reply = False`."""
    return bool(getattr(platform, "answers_by_reply", True))


def takes_commands(platform: ChatPlatform) -> bool:
    """Whether people type commands there ("/move 8 1.2"), so that the bot's sentences name them
    only where they can be sent. A platform of buttons and forms only (the web pages) sets
    `takes_commands = False`."""
    return bool(getattr(platform, "takes_commands", True))


def posts_whole_rounds(platform: ChatPlatform) -> bool:
    """Whether a round's questions go to a chat as one message (e-mail: one
    mail per round, as a mailing list sends it) rather than one message each.
    A platform that does sets `posts_whole_rounds = True`; such a message is
    sent inside `reading_in` its reader's language."""
    return bool(getattr(platform, "posts_whole_rounds", False))


def unsubscribed_chat(platform: ChatPlatform, signed: str) -> str | None:
    """The chat a one-click unsubscribe address names (RFC 8058: the https
    address in e-mail's List-Unsubscribe), where the platform signs such
    addresses (`unsubscribed_chat`); None when it does not, or the signature is wrong."""
    verify = getattr(platform, "unsubscribed_chat", None)
    return verify(signed) if callable(verify) else None


def ready_to_send(platform: ChatPlatform) -> bool:
    """Whether the platform can deliver yet (Discord: once logged in); until
    then the questions wait for the next posting pass. A platform always
    ready has no `ready`."""
    return bool(getattr(platform, "ready", True))


class RunnablePlatform(ChatPlatform, Protocol):
    async def serve(self, inbox: Inbox) -> None:
        """Receive updates and hand them to the engine until stopped (or, for
        the console, until the end of input)."""
        ...
