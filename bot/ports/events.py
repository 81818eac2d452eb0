"""The engine's own small dataclasses. Adapters convert platform objects into
these at their edge; no platform object ever crosses into `bot/`."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

__all__ = ["Button", "ButtonPress", "ChatKind", "ChatRef", "IncomingMessage", "OutgoingMessage", "Person", "QuestionPost", "SentMessage"]


class ChatKind(str, enum.Enum):
    private = "private"
    group = "group"
    channel = "channel"


@dataclass(frozen=True)
class Person:
    platform: str
    user_id: str
    display_name: str = ""
    language_code: str | None = None  # as the platform reports it: "es", "pt-br", "en_US"
    # The platform itself vouches that this person organises (a Discord server
    # role named in the settings); organiser grants in the database are the other way.
    organiser: bool = False


@dataclass(frozen=True)
class ChatRef:
    platform: str
    chat_id: str
    kind: ChatKind = ChatKind.private
    title: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    chat: ChatRef
    sender: Person
    message_id: str
    text: str
    reply_to: str | None = None  # platform message id this one replies to
    thread_id: str | None = None  # forum topic / thread the message was posted in
    edited: bool = False
    edit_version: str | None = None  # which edit, as the platform tells (Telegram's edit date): an edit delivered again is known
    undecodable: bool = False  # the adapter had to replace bytes that were not valid text
    attachment_only: bool = False  # a sticker, photo or voice note without a caption
    sent_at: dt.datetime | None = None  # when it was written, as the platform says: an answer read late counts from then
    question: str | None = None  # the question key the sender's form ties it to (the web page's box per question)


@dataclass(frozen=True)
class ButtonPress:
    chat: ChatRef
    sender: Person
    data: str  # the `Button.data` of the button pressed
    message_id: str | None = None  # the bot message that carried the button
    thread_id: str | None = None  # forum topic / thread of that message: the answer goes there too
    press_id: str | None = None  # the platform's id of this press (Telegram's callback query): a press delivered again is known


@dataclass(frozen=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True)
class QuestionPost:
    """One question of a round posted whole (`posts_whole_rounds`), in the reader's language."""

    key: str
    text: str


@dataclass(frozen=True)
class OutgoingMessage:
    chat: ChatRef
    text: str
    buttons: tuple[Button, ...] = ()
    reply_to: str | None = None
    thread_id: str | None = None  # post inside this thread / topic
    new_thread_title: str | None = None  # post as the first message of a new thread / topic, where the chat has them
    private: bool = False  # only the addressee should see it (Discord's ephemeral answers)
    attachment: tuple[str, bytes] | None = field(default=None, repr=False)  # (file name, content)
    # A whole round in one message, where the platform posts rounds so (e-mail): its questions,
    # `text` being the round's header; every question's delivery is this message.
    questions: tuple[QuestionPost, ...] = ()


@dataclass(frozen=True)
class SentMessage:
    message_id: str
    thread_id: str | None = None
