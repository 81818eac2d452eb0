"""What the engine offers an adapter: where updates go in, and the few things
an adapter needs to know that live in the database (adapters run no SQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.ports.events import ButtonPress, ChatRef, IncomingMessage
from bot.ports.web import DeskPage, DeskQuery, ParticipantPage, SynthesisDraft, SynthesisReview, Visitor


@dataclass(frozen=True)
class MenuEntry:
    """A chat command as a platform's own menu shows it (Telegram's command
    list, Discord's slash commands)."""

    name: str
    description: str  # msgid, translated where shown
    organiser_only: bool = False
    arguments: str = ""  # shown in /help, e.g. "N"


@dataclass(frozen=True)
class PlaceToReread:
    """A chat following a discussion with an open round, for a platform that
    keeps nothing for an absent bot (Discord)."""

    chat: ChatRef
    channel_ids: tuple[str, ...]  # the chat, then the threads its questions were posted with


@dataclass(frozen=True)
class HeldUpdate:
    """An update as its platform sent it (`payload`, opaque to the engine), held
    from its fetching until it is handled."""

    chat_id: str
    external_id: str  # the platform's id of the update
    payload: str


class Inbox(Protocol):
    async def handle_message(self, message: IncomingMessage) -> None: ...

    async def handle_button(self, press: ButtonPress) -> None: ...

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """The platform gave a chat a new id; it keeps its discussion."""
        ...

    async def drain(self) -> None:
        """Wait until background posting is done (end of input, shutdown)."""
        ...

    def menu(self) -> tuple[MenuEntry, ...]:
        """Every chat command, participants' and organisers'."""
        ...

    async def discussion_languages(self) -> list[str]:
        """The languages of every discussion, the first discussion's first."""
        ...

    async def organiser_ids(self, platform: str) -> Collection[str]:
        """The user ids on this platform granted organiser rights."""
        ...

    async def chat_language(self, platform: str, chat_id: str) -> str | None:
        """The language the chat reads, else its discussion's first."""
        ...

    async def reader_language(self, platform: str, chat_id: str) -> str | None:
        """The language the chat's reader gets the bot's messages in: a private
        chat's participant's, else the chat's, else its discussion's first."""
        ...

    async def mark_unreachable(self, platform: str, chat_id: str) -> bool:
        """The chat refuses mail for good (a bounce, an unsubscribe): nothing more
        is sent there until it subscribes again. False when no venue is that chat."""
        ...

    async def unsubscribe(self, platform: str, signed: str) -> bool:
        """A one-click unsubscribe address was posted to (RFC 8058): when the
        platform signed it, its chat gets nothing more. False otherwise."""
        ...

    async def seen_up_to(self, platform: str) -> str | None:
        """How far messages were received live (a platform's message id), if known."""
        ...

    async def places_to_reread(self, platform: str) -> list[PlaceToReread]: ...

    async def record_seen(self, platform: str, seen_up_to: str, at: dt.datetime) -> None: ...

    async def registered_menu(self, platform: str) -> str | None:
        """The digest of the command menu last registered with the platform, if any."""
        ...

    async def record_registered_menu(self, platform: str, digest: str) -> None: ...

    async def hold(self, platform: str, updates: Sequence[HeldUpdate]) -> None:
        """Keep fetched updates until `release`, in one write; one held already
        (delivered again) is left as it is. StorageUnavailable when the database
        cannot be reached: then the platform must keep them."""
        ...

    async def held(self, platform: str) -> list[HeldUpdate]:
        """The updates held and not released (a crash came between), in the order they came."""
        ...

    async def release(self, platform: str, external_ids: Collection[str]) -> None:
        """Delete handled updates: they hold what people wrote, kept no longer than needed."""
        ...

    # --- the web (adapters/web): links, a participant's page, the desk ---

    async def open_web_link(self, token: str) -> Visitor | None:
        """Whom a personal link lets in; None when unknown, expired, revoked or (a desk sign-in) used."""
        ...

    async def web_visitor(self, link_id: int) -> Visitor | None:
        """The holder of a web session opened with this link, while the link is valid."""
        ...

    async def participant_page(self, participant_id: int) -> ParticipantPage | None: ...

    async def revise_answer(self, participant_id: int, contribution_id: int, text: str) -> bool:
        """Rewrite one of the participant's answers; the earlier text is kept."""
        ...

    async def move_answer(self, visitor: Visitor, contribution_id: int, question_key: str) -> bool:
        """File an answer under a question: its author's, or any, by an organiser."""
        ...

    async def update_profile(self, participant_id: int, name: str | None, organisation: str | None, country: str | None) -> bool:
        """Each field given (None: left as it is); an empty one is cleared."""
        ...

    async def desk_page(self, organiser: tuple[str, str], language: str, query: DeskQuery) -> DeskPage | None:
        """None when they do not organise the discussion."""
        ...

    async def synthesis_draft(self, organiser: tuple[str, str], language: str) -> SynthesisDraft | None:
        """The key points' editable draft in `language`; None for anyone who does not organise the discussion."""
        ...

    async def save_synthesis_review(self, organiser: tuple[str, str], language: str, text: str) -> SynthesisReview | None:
        """Keep an edited draft as the organisers' review; None for anyone who does not organise the discussion."""
        ...
