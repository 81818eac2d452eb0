"""One update being handled: its session, who sent it, where, and the replies
to send once what it changed is committed (an acknowledged contribution must
survive a crash, so nothing is acknowledged before it is stored)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import defer

from bot.discussion import store
from bot.discussion.store import DiscussionIndex
from bot.handling import handled
from bot.handling.handled import UpdateIdentity
from bot.i18n import negotiate
from bot.ports import Button, ChatKind, ChatRef, OutgoingMessage, Person
from bot.storage.models import Discussion, Message, Participant, PlatformIdentity, Round, Venue

if TYPE_CHECKING:
    from bot.handling.command import Command

IndexLoader = Callable[[AsyncSession, Discussion], Awaitable[DiscussionIndex]]

# Built once, bound per update: an update's context is read before anything
# else it does. The discussion's source file is not read (nothing in a turn uses it).
_SENDER_IDENTITY = and_(PlatformIdentity.platform == bindparam("sender_platform"), PlatformIdentity.external_id == bindparam("sender_id"))
# The text of the sender's latest message in this chat: the same text sent again is not stored twice.
_LAST_TEXT = (
    select(Message.text)
    .where(Message.participant_id == Participant.id, Message.platform == Venue.platform, Message.chat_id == Venue.chat_id)
    .order_by(Message.id.desc())
    .limit(1)
    .scalar_subquery()
)
_CONTEXT = (
    select(Venue, Discussion, Participant, Round, handled.KNOWN, _LAST_TEXT)
    .join(Discussion, Venue.discussion_id == Discussion.id)
    .outerjoin(Round, Round.discussion_id == Discussion.id)
    .outerjoin(PlatformIdentity, _SENDER_IDENTITY)
    .outerjoin(Participant, PlatformIdentity.participant_id == Participant.id)
    .where(Venue.platform == bindparam("platform"), Venue.chat_id == bindparam("chat_id"))
    .order_by(Round.number)
    .options(defer(Discussion.source))
)
_SENDER = select(Participant).join(PlatformIdentity).where(_SENDER_IDENTITY)


def _chat_and_sender(chat: ChatRef, sender: Person) -> dict[str, str]:
    return {"platform": chat.platform, "chat_id": chat.chat_id, "sender_platform": sender.platform, "sender_id": sender.user_id}


@dataclass
class Turn:
    session: AsyncSession
    chat: ChatRef
    sender: Person
    now: dt.datetime
    thread_id: str | None = None  # the thread or topic the update was posted in
    discussion: Discussion | None = None
    venue: Venue | None = None
    participant: Participant | None = None
    rounds: list[Round] = field(default_factory=list)  # the discussion's, in order, as they stand now
    last_text: str | None = None  # the text of the sender's latest message in this chat, if any
    replies: list[OutgoingMessage] = field(default_factory=list)
    post_questions: bool = False  # post the open round's missing questions in this chat, after the replies
    post_everywhere: bool = False  # a round opened: post its questions in every chat, in the background
    # Messages to other chats (reminders an organiser asked for), sent after the
    # commit and the replies; one unreachable chat does not stop the others.
    notices: list[OutgoingMessage] = field(default_factory=list)
    stored_answers: bool = False  # contributions were stored: their embeddings follow, in the background
    forgotten: bool = False  # the sender was just forgotten (/forget): nothing of this update is kept, not even its replies
    # What the engine lends the handlers: the platforms running, the command
    # table, and the discussion's questions and linker (built once, kept).
    platform_names: Collection[str] = ()
    answers_by_reply: bool = True  # the chat's platform lets people reply to a message (`ChatPlatform.answers_by_reply`)
    takes_commands: bool = True  # people type commands there (`bot.ports.takes_commands`): not on the web pages
    commands: Sequence[Command] = ()
    index_loader: IndexLoader | None = None
    _connection: AsyncConnection | None = field(default=None, init=False, repr=False)

    @property
    def private(self) -> bool:
        return self.chat.kind == ChatKind.private

    @property
    def language(self) -> str:
        """The language this turn answers in: the sender's, else the chat's, else the discussion's first."""
        languages = self.discussion.languages if self.discussion else []
        if self.participant and self.participant.language:
            return self.participant.language
        negotiated = negotiate(self.sender.language_code, languages) if languages else None
        if negotiated:
            return negotiated
        if self.venue and self.venue.language:
            return self.venue.language
        return languages[0] if languages else "en"

    def reply(self, text: str, buttons: tuple[Button, ...] = (), reply_to: str | None = None, private: bool = False) -> None:
        """Answer in the chat, and in the thread, the update came from."""
        self.replies.append(
            OutgoingMessage(chat=self.chat, text=text, buttons=buttons, reply_to=reply_to, thread_id=self.thread_id, private=private)
        )

    async def connection(self) -> AsyncConnection:
        """The connection of the turn's transaction, for its plain statements (rows written without
        entities): asked of the session once, each ask being a trip through its greenlet. The
        same one until the turn commits, which it does once, at its end."""
        if self._connection is None:
            self._connection = await self.session.connection()
        return self._connection

    async def index(self) -> DiscussionIndex:
        """The discussion's questions and linker."""
        assert self.discussion is not None and self.index_loader is not None
        return await self.index_loader(self.session, self.discussion)

    async def load_context(self, update: UpdateIdentity | None = None) -> bool:
        """The chat's venue, discussion and rounds, and the sender as a
        participant: one query (a row per round) on the usual path, which also
        tells whether `update` was handled before (returned)."""
        rows = (await self.session.execute(_CONTEXT, {**_chat_and_sender(self.chat, self.sender), **handled.parameters(update)})).all()
        if rows:
            self.venue, self.discussion, self.participant, _round, known, self.last_text = rows[0]
            self.rounds = [row[3] for row in rows if row[3] is not None]
            return bool(known)
        if update is not None and await handled.already_handled(self.session, update):
            return True
        self.discussion = await store.find_discussion(self.session)
        self.participant = await self.session.scalar(_SENDER, _chat_and_sender(self.chat, self.sender))
        self.rounds = await store.rounds_of(self.session, self.discussion) if self.discussion else []
        return False

    async def ensure_participant(self) -> Participant:
        """The sender as a participant, created on first contact."""
        if self.participant is None:
            languages = self.discussion.languages if self.discussion else []
            self.participant = Participant(
                display_name=self.sender.display_name[:200],
                language=negotiate(self.sender.language_code, languages) if languages else None,
                created_at=self.now,
            )
            self.session.add(self.participant)
            await self.session.flush()
            self.session.add(
                PlatformIdentity(platform=self.sender.platform, external_id=self.sender.user_id, participant_id=self.participant.id)
            )
            await self.session.flush()
        elif self.sender.display_name and self.participant.display_name != self.sender.display_name[:200]:
            self.participant.display_name = self.sender.display_name[:200]
        return self.participant

    async def is_organiser(self) -> bool:
        return self.discussion is not None and (
            self.sender.organiser or await store.is_organiser(self.session, self.discussion, self.sender.platform, self.sender.user_id)
        )
