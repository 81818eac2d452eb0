"""One update being handled: its session, who sent it, where, and the replies
to send once what it changed is committed (an acknowledged contribution must
survive a crash, so nothing is acknowledged before it is stored)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, and_, bindparam, cast, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import defer

from bot.discussion import store
from bot.discussion.store import DiscussionIndex
from bot.handling import handled
from bot.handling.handled import UpdateIdentity
from bot.i18n import negotiate
from bot.ports import Button, ChatKind, ChatRef, OutgoingMessage, Person
from bot.storage.models import Discussion, Message, Participant, PlatformIdentity, Round, RoundStatus, RoundTiming, Venue

if TYPE_CHECKING:
    from bot.handling.command import Command

# The discussion's questions and linker, given a way to the turn's session (asked for only to build them).
IndexLoader = Callable[[Callable[[], AsyncSession], store.IndexedDiscussion], Awaitable[DiscussionIndex]]


@dataclass(frozen=True, slots=True)
class DiscussionRow:
    """The chat's discussion as a turn reads it: what an answer needs, none of its texts."""

    id: int
    languages: tuple[str, ...]
    timezone: str
    loaded_at: dt.datetime  # which load of its file: the index kept for it is rebuilt at the next

    @classmethod
    def read(cls, id: int, languages: str, timezone: str, loaded_at: dt.datetime) -> DiscussionRow:
        """From its columns, its languages as stored (`_DISCUSSION_COLUMNS`)."""
        return cls(id, _decoded_languages(languages), timezone, loaded_at)


@functools.lru_cache(maxsize=64)
def _decoded_languages(stored: str) -> tuple[str, ...]:
    """A discussion's languages, decoded once for all the updates (and rounds' rows) that read the same list."""
    return tuple(json.loads(stored))


@dataclass(frozen=True, slots=True)
class VenueRow:
    id: int
    language: str | None


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    id: int
    display_name: str
    language: str | None
    onboarding_step: str | None


@dataclass(frozen=True, slots=True)
class RoundRow(RoundTiming):
    """A round as it stood when the turn began (a command that changes rounds reads them itself)."""

    id: int
    number: int
    status: RoundStatus
    opens_at: dt.datetime
    closes_at: dt.datetime
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None


@dataclass
class _Entities:
    discussion: Discussion | None
    venue: Venue | None
    participant: Participant | None


# Built once, bound per update: an update's context is read before anything
# else it does, as the columns it needs (no entity: most updates change none of them).
_SENDER_IDENTITY = and_(PlatformIdentity.platform == bindparam("sender_platform"), PlatformIdentity.external_id == bindparam("sender_id"))
# The text of the sender's latest message in this chat: the same text sent again is not stored twice.
_LAST_TEXT = (
    select(Message.text)
    .where(Message.participant_id == Participant.id, Message.platform == Venue.platform, Message.chat_id == Venue.chat_id)
    .order_by(Message.id.desc())
    .limit(1)
    .scalar_subquery()
)
# Its languages as their stored JSON text: decoded once (`DiscussionRow.read`), not on every row of every update.
_DISCUSSION_COLUMNS = (Discussion.id, cast(Discussion.languages, Text), Discussion.timezone, Discussion.loaded_at)
_VENUE_COLUMNS = (Venue.id, Venue.language)
_PARTICIPANT_COLUMNS = (Participant.id, Participant.display_name, Participant.language, Participant.onboarding_step)
_ROUND_COLUMNS = (Round.id, Round.number, Round.status, Round.opens_at, Round.closes_at, Round.opened_at, Round.closed_at)
_CONTEXT = (
    select(*_DISCUSSION_COLUMNS, *_VENUE_COLUMNS, *_PARTICIPANT_COLUMNS, *_ROUND_COLUMNS, handled.KNOWN, _LAST_TEXT)
    .select_from(Venue)
    .join(Discussion, Venue.discussion_id == Discussion.id)
    .outerjoin(Round, Round.discussion_id == Discussion.id)
    .outerjoin(PlatformIdentity, _SENDER_IDENTITY)
    .outerjoin(Participant, PlatformIdentity.participant_id == Participant.id)
    .where(Venue.platform == bindparam("platform"), Venue.chat_id == bindparam("chat_id"))
    .order_by(Round.number)
)
# Where each part of a context row starts.
_VENUE_AT = len(_DISCUSSION_COLUMNS)
_PARTICIPANT_AT = _VENUE_AT + len(_VENUE_COLUMNS)
_ROUND_AT = _PARTICIPANT_AT + len(_PARTICIPANT_COLUMNS)
_KNOWN_AT = _ROUND_AT + len(_ROUND_COLUMNS)
# A chat that follows no discussion yet: the latest discussion, the sender, the rounds, each read alone.
_LATEST_DISCUSSION = select(*_DISCUSSION_COLUMNS).order_by(Discussion.loaded_at.desc(), Discussion.id.desc()).limit(1)
_SENDER = select(*_PARTICIPANT_COLUMNS).join(PlatformIdentity).where(_SENDER_IDENTITY)
_ROUNDS = select(*_ROUND_COLUMNS).where(Round.discussion_id == bindparam("discussion_id")).order_by(Round.number)
_SOURCE_UNREAD = (defer(Discussion.source),)  # the discussion's file: nothing in a turn reads it


def _chat_and_sender(chat: ChatRef, sender: Person) -> dict[str, str]:
    return {"platform": chat.platform, "chat_id": chat.chat_id, "sender_platform": sender.platform, "sender_id": sender.user_id}


@dataclass
class Turn:
    """What a handler is given. The chat's context is read as columns (`discussion_row`, `venue_row`,
    `participant_row`, `rounds`): an answer needs no more. A handler that changes the venue or the
    participant, or hands the discussion on, has them as entities (`discussion`, `venue`,
    `participant`) once the turn loaded them (`load_entities`: commands, buttons, prompts do); they are
    then what the turn knows of them."""

    # The connection of the turn's one transaction, begun, for its plain statements (rows read or
    # written without entities); committed at the turn's end.
    transaction: AsyncConnection
    chat: ChatRef
    sender: Person
    now: dt.datetime
    thread_id: str | None = None  # the thread or topic the update was posted in
    discussion_row: DiscussionRow | None = None
    venue_row: VenueRow | None = None
    participant_row: ParticipantRow | None = None  # the sender, if a participant
    rounds: tuple[RoundRow, ...] = ()  # the discussion's, in order, as they stood when the turn began
    last_text: str | None = None  # the text of the sender's latest message in this chat, if any
    replies: list[OutgoingMessage] = field(default_factory=list)
    post_questions: bool = False  # post the open round's missing questions in this chat, after the replies
    post_everywhere: bool = False  # a round opened: post its questions in every chat, in the background
    # Messages to other chats (reminders an organiser asked for), sent after the
    # commit and the replies; one unreachable chat does not stop the others.
    notices: list[OutgoingMessage] = field(default_factory=list)
    stored_answers: bool = False  # contributions were stored: their embeddings follow, in the background
    asked_which_question: bool = False  # a reply asks which question a text answers: its choices are what is typed next
    forgotten: bool = False  # the sender was just forgotten (/forget): nothing of this update is kept, not even its replies
    # What the engine lends the handlers: the platforms running, the command
    # table, and the discussion's questions and linker (built once, kept).
    platform_names: Collection[str] = ()
    answers_by_reply: bool = True  # the chat's platform lets people reply to a message (`ChatPlatform.answers_by_reply`)
    takes_commands: bool = True  # people type commands there (`bot.ports.takes_commands`): not on the web pages
    commands: Sequence[Command] = ()
    index_loader: IndexLoader | None = None
    _session: AsyncSession | None = field(default=None, init=False, repr=False)
    _entities: _Entities | None = field(default=None, init=False, repr=False)

    @property
    def private(self) -> bool:
        return self.chat.kind == ChatKind.private

    def _known(self) -> tuple[Discussion | DiscussionRow | None, Venue | VenueRow | None, Participant | ParticipantRow | None]:
        """The discussion, the venue and the participant as the turn knows them: the entities once
        loaded (a handler may have changed them), else the rows read with the context."""
        if self._entities is not None:
            return self._entities.discussion, self._entities.venue, self._entities.participant
        return self.discussion_row, self.venue_row, self.participant_row

    @property
    def language(self) -> str:
        """The language this turn answers in: the sender's, else the chat's, else the discussion's first."""
        discussion, venue, participant = self._known()
        languages = discussion.languages if discussion else []
        if participant and participant.language:
            return participant.language
        negotiated = negotiate(self.sender.language_code, languages) if languages else None
        if negotiated:
            return negotiated
        if venue and venue.language:
            return venue.language
        return languages[0] if languages else "en"

    @property
    def venue_id(self) -> int | None:
        """The chat's venue, if it follows a discussion (one a handler just made included)."""
        _discussion, venue, _participant = self._known()
        return venue.id if venue else None

    def reply(self, text: str, buttons: tuple[Button, ...] = (), reply_to: str | None = None, private: bool = False) -> None:
        """Answer in the chat, and in the thread, the update came from."""
        self.replies.append(
            OutgoingMessage(chat=self.chat, text=text, buttons=buttons, reply_to=reply_to, thread_id=self.thread_id, private=private)
        )

    @property
    def session(self) -> AsyncSession:
        """The turn's ORM session, for handlers that read or change entities: opened on the turn's
        connection the first time one asks (an answer needs none), within its transaction. It
        never commits that transaction (the turn does, once, at its end); a failed flush rolls it back."""
        if self._session is None:
            self._session = AsyncSession(bind=self.transaction, expire_on_commit=False, join_transaction_mode="rollback_only")
        return self._session

    @property
    def opened_session(self) -> AsyncSession | None:
        """The session, if a handler opened it."""
        return self._session

    async def __aenter__(self) -> Turn:
        return self

    async def __aexit__(self, *_exception: object) -> None:
        """The session's end, if one was opened; the connection is its owner's to close."""
        if self._session is not None:
            await self._session.close()

    async def index(self) -> DiscussionIndex:
        """The discussion's questions and linker."""
        discussion, _venue, _participant = self._known()
        assert discussion is not None and self.index_loader is not None
        return await self.index_loader(lambda: self.session, discussion)

    async def load_context(self, update: UpdateIdentity | None = None) -> bool:
        """The chat's venue, discussion and rounds, and the sender as a
        participant, as columns: one query (a row per round) on the usual path,
        which also tells whether `update` was handled before (returned)."""
        connection = self.transaction
        found = _chat_and_sender(self.chat, self.sender)
        rows: Sequence[Any] = (await connection.execute(_CONTEXT, {**found, **handled.parameters(update)})).all()
        if rows:
            first = rows[0]
            self.discussion_row = DiscussionRow.read(*first[:_VENUE_AT])
            self.venue_row = VenueRow(*first[_VENUE_AT:_PARTICIPANT_AT])
            self.participant_row = ParticipantRow(*first[_PARTICIPANT_AT:_ROUND_AT]) if first[_PARTICIPANT_AT] is not None else None
            self.rounds = tuple(RoundRow(*row[_ROUND_AT:_KNOWN_AT]) for row in rows if row[_ROUND_AT] is not None)
            known, self.last_text = first[_KNOWN_AT:]
            return bool(known)
        if update is not None and await handled.already_handled(connection, update):
            return True
        discussion = (await connection.execute(_LATEST_DISCUSSION)).first()
        sender = (await connection.execute(_SENDER, found)).first()
        self.discussion_row = DiscussionRow.read(*discussion) if discussion else None
        self.participant_row = ParticipantRow(*sender) if sender else None
        if self.discussion_row is not None:
            self.rounds = tuple(RoundRow(*row) for row in await connection.execute(_ROUNDS, {"discussion_id": self.discussion_row.id}))
        return False

    async def load_entities(self) -> None:
        """The discussion, the venue and the participant as entities (`discussion`, `venue`,
        `participant`), for a handler that changes them or hands them on; once a turn."""
        if self._entities is not None:
            return
        get = self.session.get
        self._entities = _Entities(
            discussion=await get(Discussion, self.discussion_row.id, options=_SOURCE_UNREAD) if self.discussion_row else None,
            venue=await get(Venue, self.venue_row.id) if self.venue_row else None,
            participant=await get(Participant, self.participant_row.id) if self.participant_row else None,
        )

    def _loaded(self) -> _Entities:
        assert self._entities is not None, "the turn's entities are read first (`Turn.load_entities`)"
        return self._entities

    @property
    def discussion(self) -> Discussion | None:
        return self._loaded().discussion

    @discussion.setter
    def discussion(self, discussion: Discussion | None) -> None:
        self._loaded().discussion = discussion

    @property
    def venue(self) -> Venue | None:
        return self._loaded().venue

    @venue.setter
    def venue(self, venue: Venue | None) -> None:
        self._loaded().venue = venue

    @property
    def participant(self) -> Participant | None:
        return self._loaded().participant

    @participant.setter
    def participant(self, participant: Participant | None) -> None:
        self._loaded().participant = participant

    async def ensure_participant(self) -> Participant:
        """The sender as a participant entity, created on first contact."""
        await self.load_entities()
        entities = self._loaded()
        if entities.participant is None:
            languages = entities.discussion.languages if entities.discussion else []
            entities.participant = Participant(
                display_name=self.sender.display_name[:200],
                language=negotiate(self.sender.language_code, languages) if languages else None,
                created_at=self.now,
            )
            self.session.add(entities.participant)
            await self.session.flush()
            self.session.add(
                PlatformIdentity(platform=self.sender.platform, external_id=self.sender.user_id, participant_id=entities.participant.id)
            )
            await self.session.flush()
        elif self._renamed(entities.participant.display_name):
            entities.participant.display_name = self.sender.display_name[:200]
        return entities.participant

    async def sender_as_participant(self) -> ParticipantRow | Participant:
        """The sender as a participant, to read (its id, its language): the row read with the
        context when nothing of it changes, else the entity (`ensure_participant`)."""
        row = self.participant_row
        if self._entities is None and row is not None and not self._renamed(row.display_name):
            return row
        return await self.ensure_participant()

    def _renamed(self, display_name: str) -> bool:
        """Whether the sender's name on the platform is not the one stored."""
        return bool(self.sender.display_name) and display_name != self.sender.display_name[:200]

    async def is_organiser(self) -> bool:
        await self.load_entities()
        return self.discussion is not None and (
            self.sender.organiser or await store.is_organiser(self.session, self.discussion, self.sender.platform, self.sender.user_id)
        )
