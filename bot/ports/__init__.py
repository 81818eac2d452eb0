"""The engine's boundary: its own events, what a chat platform offers it
(`ChatPlatform`), what it offers adapters (`Inbox`) and the calendar, reports
and privacy (`Outbox`). Imports nothing else of the project."""

from bot.ports.events import Button, ButtonPress, ChatKind, ChatRef, IncomingMessage, OutgoingMessage, Person, SentMessage
from bot.ports.inbox import Inbox, MenuEntry, PlaceToReread
from bot.ports.outbox import Outbox
from bot.ports.platform import (
    ChatPlatform,
    RecipientUnreachable,
    RunnablePlatform,
    StorageUnavailable,
    answering,
    answers_by_reply,
    keeps_updates,
    ready_to_send,
)
from bot.ports.secret import Secret

__all__ = [
    "Button",
    "ButtonPress",
    "ChatKind",
    "ChatPlatform",
    "ChatRef",
    "Inbox",
    "IncomingMessage",
    "MenuEntry",
    "Outbox",
    "OutgoingMessage",
    "Person",
    "PlaceToReread",
    "RecipientUnreachable",
    "RunnablePlatform",
    "Secret",
    "SentMessage",
    "StorageUnavailable",
    "answering",
    "answers_by_reply",
    "keeps_updates",
    "ready_to_send",
]
