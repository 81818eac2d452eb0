"""The engine's boundary: its own events, what a chat platform offers it
(`ChatPlatform`), what it offers adapters (`Inbox`) and the calendar, reports
and privacy (`Outbox`). Imports nothing else of the project."""

from bot.ports.events import Button, ButtonPress, ChatKind, ChatRef, IncomingMessage, OutgoingMessage, Person, QuestionPost, SentMessage
from bot.ports.inbox import HeldUpdate, Inbox, MenuEntry, PlaceToReread
from bot.ports.outbox import Outbox
from bot.ports.platform import (
    ChatPlatform,
    RecipientUnreachable,
    RetryLater,
    RunnablePlatform,
    StorageUnavailable,
    answering,
    answers_by_reply,
    keeps_updates,
    posts_whole_rounds,
    ready_to_send,
    takes_commands,
    unsubscribed_chat,
)
from bot.ports.secret import Secret

__all__ = [
    "Button",
    "ButtonPress",
    "ChatKind",
    "ChatPlatform",
    "ChatRef",
    "HeldUpdate",
    "Inbox",
    "IncomingMessage",
    "MenuEntry",
    "Outbox",
    "OutgoingMessage",
    "Person",
    "PlaceToReread",
    "QuestionPost",
    "RecipientUnreachable",
    "RetryLater",
    "RunnablePlatform",
    "Secret",
    "SentMessage",
    "StorageUnavailable",
    "answering",
    "answers_by_reply",
    "keeps_updates",
    "posts_whole_rounds",
    "ready_to_send",
    "takes_commands",
    "unsubscribed_chat",
]
