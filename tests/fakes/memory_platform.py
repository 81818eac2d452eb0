"""The in-memory twin of a chat platform, for engine tests (as errbot's
TestBackend): it records what the engine sends and builds the events a real
adapter would hand over."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.ports import ButtonPress, ChatKind, ChatRef, IncomingMessage, OutgoingMessage, Person, RecipientUnreachable, SentMessage


@dataclass
class MemoryPlatform:
    name: str = "memory"
    sent: list[tuple[OutgoingMessage, SentMessage]] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)  # chat ids that refuse messages
    threads: bool = True  # whether groups open a thread per question
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    async def send(self, message: OutgoingMessage) -> SentMessage:
        if message.chat.chat_id in self.unreachable:
            raise RecipientUnreachable(message.chat.chat_id)
        message_id = str(next(self._ids))
        thread = message_id if (self.threads and message.new_thread_title and message.chat.kind != ChatKind.private) else None
        sent = SentMessage(message_id=message_id, thread_id=thread or message.thread_id)
        self.sent.append((message, sent))
        return sent

    def to(self, chat_id: str) -> list[OutgoingMessage]:
        return [message for message, _sent in self.sent if message.chat.chat_id == chat_id]

    def texts(self, chat_id: str) -> list[str]:
        return [message.text for message in self.to(chat_id)]

    def last(self, chat_id: str) -> OutgoingMessage:
        return self.to(chat_id)[-1]

    def message_id_of(self, chat_id: str, containing: str) -> str:
        """The id of the last message sent to the chat whose text contains `containing`."""
        for message, sent in reversed(self.sent):
            if message.chat.chat_id == chat_id and containing in message.text:
                return sent.message_id
        raise AssertionError(f"nothing containing {containing!r} was sent to {chat_id}")

    def clear(self) -> None:
        self.sent.clear()


@dataclass
class MemoryUser:
    """A person on the memory platform, writing in their private chat or a group."""

    platform: MemoryPlatform
    user_id: str
    display_name: str = ""
    language_code: str | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def person(self) -> Person:
        return Person(self.platform.name, self.user_id, self.display_name or self.user_id, self.language_code)

    def chat(self, group: str | None = None) -> ChatRef:
        if group:
            return ChatRef(self.platform.name, group, ChatKind.group)
        return ChatRef(self.platform.name, f"dm-{self.user_id}", ChatKind.private)

    @property
    def dm(self) -> str:
        return f"dm-{self.user_id}"

    def message(self, text: str, *, group: str | None = None, message_id: str | None = None, **extra) -> IncomingMessage:
        return IncomingMessage(
            chat=self.chat(group),
            sender=self.person,
            message_id=message_id or f"{self.user_id}-{next(self._ids)}",
            text=text,
            **extra,
        )

    def press(self, data: str, *, group: str | None = None) -> ButtonPress:
        return ButtonPress(chat=self.chat(group), sender=self.person, data=data)
