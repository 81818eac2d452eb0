"""The engine: every platform's events come in here (it is the adapters'
`Inbox`), every answer goes out through a `ChatPlatform` (it is the calendar's
`Outbox`). It imports no platform library.

Each update is handled in its own `AsyncSession` (a `Turn`); what it changed
is committed before any reply is sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import catch_up, commands, contributions, embeddings, onboarding, web_access
from bot.discussion import store
from bot.discussion.spec import DiscussionSpec
from bot.handling import unfiled
from bot.handling.command import ButtonHandler, Command
from bot.handling.turn import Turn
from bot.i18n import FALLBACK_LANGUAGE, _, catalog_languages, negotiate, reading_in
from bot.ports import (
    ButtonPress,
    ChatPlatform,
    ChatRef,
    IncomingMessage,
    MenuEntry,
    OutgoingMessage,
    Person,
    PlaceToReread,
    RecipientUnreachable,
    SentMessage,
    StorageUnavailable,
    answers_by_reply,
    keeps_updates,
)
from bot.ports.web import DeskPage, DeskQuery, ParticipantPage, Visitor
from bot.storage import database
from bot.storage.models import Discussion, OrganiserGrant, Participant, Venue
from bot.text import clean_text
from schedules import rounds

log = logging.getLogger(__name__)

# An update that meets a uniqueness conflict is handled once more: the row
# another update wrote meanwhile is then seen (a redelivery conflicts again).
HANDLING_ATTEMPTS = 2
LONGEST_BUTTON_DATA = 100


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Engine:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        platforms: Iterable[ChatPlatform] = (),
        clock: Callable[[], dt.datetime] = utc_now,
        *,
        commands: Sequence[Command],
        button_handlers: Sequence[ButtonHandler],
    ):
        """`commands` and `button_handlers` are the whole product's, put
        together where the parts meet (`facilitator.assembly`)."""
        self.sessions = sessions
        self.platforms: dict[str, ChatPlatform] = {p.name: p for p in platforms}
        self.clock = clock
        self.commands = tuple(commands)
        self.button_handlers = tuple(button_handlers)
        self._indexes: dict[int, tuple[dt.datetime, store.DiscussionIndex]] = {}
        self._posting = asyncio.Lock()
        self._posting_task: asyncio.Task | None = None
        self._post_again = False
        self._posting_stopped = False  # shutting down: nothing more is posted in the background
        self.embeddings = embeddings.Backfill(sessions, self.index_for, clock)

    def attach(self, platform: ChatPlatform) -> None:
        self.platforms[platform.name] = platform

    @property
    def platform_names(self) -> Collection[str]:
        return self.platforms.keys()

    def menu(self) -> tuple[MenuEntry, ...]:
        return tuple(command.entry for command in self.commands)

    async def load(self, spec: DiscussionSpec) -> Discussion:
        async with self.sessions() as session:
            discussion = await store.store_discussion(session, spec, self.clock())
            await session.commit()
            await self.index_for(session, discussion)  # built now rather than on the first answer
            return discussion

    # --- incoming -------------------------------------------------------

    async def handle_message(self, message: IncomingMessage) -> None:
        await self._handle(message.chat, message.sender, lambda turn: self._dispatch_message(turn, message), thread_id=message.thread_id)

    async def handle_button(self, press: ButtonPress) -> None:
        async def dispatch(turn: Turn) -> None:
            # Longer data is no button of ours (Telegram allows 64 bytes, Discord 100 characters).
            if len(press.data) <= LONGEST_BUTTON_DATA:
                for handler in self.button_handlers:
                    if await handler(turn, press.data):
                        return
            turn.reply(_("That button has expired. Send /help to see what you can do."), private=True)

        await self._handle(press.chat, press.sender, dispatch, thread_id=press.thread_id)

    def _new_turn(self, session: AsyncSession, chat: ChatRef, sender: Person, thread_id: str | None) -> Turn:
        return Turn(
            session=session,
            chat=chat,
            sender=sender,
            now=self.clock(),
            thread_id=thread_id,
            platform_names=self.platform_names,
            answers_by_reply=chat.platform not in self.platforms or answers_by_reply(self.platforms[chat.platform]),
            commands=self.commands,
            index_loader=self.index_for,
        )

    async def _handle(
        self, chat: ChatRef, sender: Person, dispatch: Callable[[Turn], Awaitable[None]], thread_id: str | None = None
    ) -> None:
        """One update, in its own session: dispatch, commit, then answer."""
        # What the database can hold: no NUL, no lone surrogate (a broken client's name).
        sender = replace(sender, display_name=clean_text(sender.display_name))
        turn: Turn | None = None
        failed = False
        for _attempt in range(HANDLING_ATTEMPTS):
            async with self.sessions() as session:
                turn = self._new_turn(session, chat, sender, thread_id)
                try:
                    await turn.load_context()
                    with reading_in(turn.language):
                        await dispatch(turn)
                    await session.commit()
                    break
                except IntegrityError:
                    # Another update wrote the same row first: this very update
                    # (a redelivery, which the first handling acknowledged), or
                    # another of the same person's (their /start and first
                    # answer at once), which the next attempt sees committed.
                    turn = None
                except Exception as error:
                    if keeps_updates.get() and database.unreachable(error):
                        raise StorageUnavailable("the database cannot be reached; the platform keeps the update") from error
                    # Our fault, not the sender's: say so, rather than fall silent or stop the bot.
                    log.exception("handling an update failed; nothing of it was stored")
                    failed = True
                    break
        if failed:
            await self._say_nothing_was_recorded(chat, sender, thread_id)
            return
        if turn is None:
            log.info("a message was delivered again; it is stored once")
            return
        await self._flush(turn)
        if turn.stored_answers:
            self.embeddings.soon()
        if turn.post_everywhere:
            self.kick()
        elif turn.post_questions and turn.venue is not None:
            async with self._posting:
                await rounds.post_missing_questions(self.sessions, self.send, self.platforms, self.clock, only_venue_id=turn.venue.id)

    async def _say_nothing_was_recorded(self, chat: ChatRef, sender: Person, thread_id: str | None) -> None:
        """Tell the sender, in their language, read in a fresh session: the
        failed one may not be readable any more (rolled back, or its
        connection gone)."""
        async with self.sessions() as session:
            turn = self._new_turn(session, chat, sender, thread_id)
            try:
                await turn.load_context()
                language = turn.language
            except Exception:  # the database itself is failing: the sender's own language, if the catalogs have it
                language = negotiate(sender.language_code, catalog_languages()) or FALLBACK_LANGUAGE
        with reading_in(language):
            turn.reply(_("Something went wrong on my side: nothing was recorded. Please send it again in a moment."), private=True)
        await self._flush(turn)

    async def _dispatch_message(self, turn: Turn, message: IncomingMessage) -> None:
        if message.undecodable:
            turn.reply(_("Part of your message could not be read (it was not valid text). Nothing was recorded; please send it again."))
            return
        if message.attachment_only:
            turn.reply(_("Only text is recorded. Please write your answer as a message (a caption on a photo counts)."))
            return
        text = clean_text(message.text)
        if text.startswith("/"):
            if message.edited:  # an old message edited into a command: commands run when sent
                turn.reply(
                    _("Commands run from new messages only: send {command} again as a new message.").format(command=text.split()[0][:40])
                )
                return
            await commands.handle(turn, text)
            return
        if turn.discussion is None:
            if turn.private:
                turn.reply(_("No discussion is running here yet."))
            return
        if turn.venue is None:
            if turn.private:
                turn.reply(_("Welcome! Send /start to join the discussion."))
            return  # a group that follows no discussion: stay silent
        if not text:
            turn.reply(_("Your message is empty: nothing was recorded."))
            return
        if len(text) > contributions.MAX_LENGTH:
            turn.reply(
                _(
                    "Your message is too long ({length} characters; the limit is {limit}). Nothing was recorded: please send it in several parts."
                ).format(length=len(text), limit=contributions.MAX_LENGTH)
            )
            return
        if await onboarding.handle_text(turn, text, message):
            return
        await contributions.receive(turn, message, text)

    async def chat_moved(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """The platform gave a chat a new id; it keeps its discussion and what was posted there."""
        async with self.sessions() as session:
            if await store.move_chat(session, platform, old_chat_id, new_chat_id):
                await session.commit()
                log.info("%s chat %s is now %s", platform, old_chat_id, new_chat_id)

    # --- outgoing -------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> SentMessage:
        platform = self.platforms.get(message.chat.platform)
        if platform is None:
            raise RecipientUnreachable(f"no {message.chat.platform} adapter is running")
        return await platform.send(message)

    async def _flush(self, turn: Turn) -> None:
        asks: list[tuple[OutgoingMessage, SentMessage]] = []  # "which question?" sent: a reply to one answers it
        for reply in turn.replies:
            try:
                sent = await self.send(reply)
            except RecipientUnreachable:
                log.info("a reply on %s could not be delivered: recipient unreachable", reply.chat.platform)
                break
            if unfiled.asked_about(reply) is not None:
                asks.append((reply, sent))
        for notice in turn.notices:
            try:
                sent = await self.send(notice)
            except RecipientUnreachable:
                log.info("a message on %s could not be delivered: recipient unreachable", notice.chat.platform)
                continue
            if unfiled.asked_about(notice) is not None:
                asks.append((notice, sent))
        if asks:
            await self._record_asks(asks)

    async def _record_asks(self, asks: list[tuple[OutgoingMessage, SentMessage]]) -> None:
        try:
            async with self.sessions() as session:
                for message, sent in asks:
                    unfiled.record_ask(session, message, sent, self.clock())
                await session.commit()
        except Exception:  # the asks' buttons and typed ids still work; only a reply to them would not
            log.exception("recording the asks sent failed")

    # --- posting rounds -------------------------------------------------

    async def post_pending(self) -> int:
        """Post whatever open rounds' questions are missing in any venue. Safe
        to call at any time, from anywhere: one posting runs at a time."""
        async with self._posting:
            return await rounds.post_missing_questions(self.sessions, self.send, self.platforms, self.clock)

    def kick(self) -> None:
        """Post pending questions in the background (after a round opens, a
        chat subscribes...), without holding up the update that caused it."""
        if self._posting_stopped:
            return
        if self._posting_task is not None and not self._posting_task.done():
            self._post_again = True
            return

        async def run() -> None:
            while True:
                self._post_again = False
                try:
                    await self.post_pending()
                except Exception:
                    log.exception("posting questions failed; the next check retries")
                if not self._post_again:
                    return

        # A fresh context: posting belongs to no update (nor to its reader's language).
        self._posting_task = asyncio.get_running_loop().create_task(run(), context=contextvars.Context())

    async def stop_posting(self) -> None:
        """Shutting down: background posting stops, the posts under way end
        recorded as delivered, and the rest wait for the next start."""
        self._posting_stopped = True
        if self._posting_task is not None and not self._posting_task.done():
            self._posting_task.cancel()
            await asyncio.gather(self._posting_task, return_exceptions=True)

    async def drain(self) -> None:
        """Wait for background posting to finish, and embed the answers stored (end of input, shutdown, tests)."""
        while self._posting_task is not None and not self._posting_task.done():
            await self._posting_task
        await self.embeddings.drain()

    async def watch(self, interval: float = 3.0) -> None:
        """Follow the database: a round opened from the CLI, or left half-posted
        by a crash, is posted within `interval` seconds."""
        while True:
            self.kick()
            await asyncio.sleep(interval)

    # --- what a discussion's updates share ------------------------------

    async def index_for(self, session: AsyncSession, discussion: Discussion) -> store.DiscussionIndex:
        """The discussion's questions and linker, rebuilt when its file is loaded again."""
        cached = self._indexes.get(discussion.id)
        if cached is None or cached[0] != discussion.loaded_at:
            cached = self._indexes[discussion.id] = (discussion.loaded_at, await store.build_index(session, discussion))
        return cached[1]

    # --- what adapters need to know from the database -------------------

    async def discussion_languages(self) -> list[str]:
        async with self.sessions() as session:
            discussions = await store.list_discussions(session)
        return list(dict.fromkeys(code for discussion in discussions for code in discussion.languages))

    async def organiser_ids(self, platform: str) -> Collection[str]:
        async with self.sessions() as session:
            return set(await session.scalars(select(OrganiserGrant.external_id).where(OrganiserGrant.platform == platform)))

    async def chat_language(self, platform: str, chat_id: str) -> str | None:
        async with self.sessions() as session:
            venue = await store.venue_for_chat(session, platform, chat_id)
            discussion = await store.find_discussion(session)
        if venue is not None and venue.language:
            return venue.language
        return discussion.languages[0] if discussion else None

    async def reader_language(self, platform: str, chat_id: str) -> str | None:
        async with self.sessions() as session:
            # One query: adapters that write their own words around every message (e-mail) ask it each time.
            found = (
                await session.execute(
                    select(Venue, Discussion, Participant)
                    .join(Discussion, Venue.discussion_id == Discussion.id)
                    .outerjoin(Participant, Venue.participant_id == Participant.id)
                    .where(Venue.platform == platform, Venue.chat_id == chat_id)
                )
            ).first()
            if found is None:
                discussion = await store.find_discussion(session)
                return discussion.languages[0] if discussion else None
            venue, discussion, participant = found
            return store.venue_language(venue, participant, discussion)

    async def mark_unreachable(self, platform: str, chat_id: str) -> bool:
        async with self.sessions() as session:
            venue = await store.venue_for_chat(session, platform, chat_id)
            if venue is None:
                return False
            venue.unreachable = True
            await session.commit()
            return True

    async def seen_up_to(self, platform: str) -> str | None:
        async with self.sessions() as session:
            return await catch_up.seen_up_to(session, platform)

    async def places_to_reread(self, platform: str) -> list[PlaceToReread]:
        async with self.sessions() as session:
            return await catch_up.places_to_reread(session, platform)

    async def record_seen(self, platform: str, seen_up_to: str, at: dt.datetime) -> None:
        async with self.sessions() as session:
            await catch_up.record_seen(session, platform, seen_up_to, at)
            await session.commit()

    async def registered_menu(self, platform: str) -> str | None:
        async with self.sessions() as session:
            return await catch_up.registered_menu(session, platform)

    async def record_registered_menu(self, platform: str, digest: str) -> None:
        async with self.sessions() as session:
            await catch_up.record_registered_menu(session, platform, digest, self.clock())
            await session.commit()

    # --- the web: links, a participant's page, the desk -------------------

    async def open_web_link(self, token: str) -> Visitor | None:
        async with self.sessions() as session:
            visitor = await web_access.open_link(session, token, self.clock())
            await session.commit()
            return visitor

    async def web_visitor(self, link_id: int) -> Visitor | None:
        async with self.sessions() as session:
            return await web_access.visitor(session, link_id, self.clock())

    async def participant_page(self, participant_id: int) -> ParticipantPage | None:
        async with self.sessions() as session:
            return await web_access.participant_page(session, participant_id, self.index_for)

    async def revise_answer(self, participant_id: int, contribution_id: int, text: str) -> bool:
        async with self.sessions() as session:
            done = await web_access.revise_answer(session, participant_id, contribution_id, clean_text(text), self.clock())
            await session.commit()
            return done

    async def move_answer(self, visitor: Visitor, contribution_id: int, question_key: str) -> bool:
        async with self.sessions() as session:
            done = await web_access.move_answer(session, visitor, contribution_id, question_key, self.clock(), self.index_for)
            await session.commit()
            return done

    async def update_profile(self, participant_id: int, name: str, organisation: str, country: str) -> bool:
        async with self.sessions() as session:
            done = await web_access.update_profile(session, participant_id, name, organisation, country)
            await session.commit()
            return done

    async def desk_page(self, organiser: tuple[str, str], language: str, query: DeskQuery) -> DeskPage | None:
        async with self.sessions() as session:
            return await web_access.desk_page(session, organiser, language, query, self.index_for)
