"""The engine: every platform's events come in here (it is the adapters'
`Inbox`), every answer goes out through a `ChatPlatform` (it is the calendar's
`Outbox`). It imports no platform library.

Each update is handled in its own `AsyncSession` (a `Turn`); what it changed,
the update's identity and the replies it decided (the outbox) are committed
together, and only then are the replies sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import itertools
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import replace
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.conversation import catch_up, commands, contributions, embeddings, onboarding, web_access
from bot.discussion import store
from bot.discussion.spec import DiscussionSpec
from bot.handling import handled, outgoing
from bot.handling import held as held_updates
from bot.handling.command import ButtonHandler, Command
from bot.handling.flood import FloodWatch
from bot.handling.handled import UpdateIdentity
from bot.handling.turn import Turn
from bot.i18n import FALLBACK_LANGUAGE, _, catalog_languages, negotiate, reading_in
from bot.ports import (
    ButtonPress,
    ChatPlatform,
    ChatRef,
    HeldUpdate,
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
    ready_to_send,
    takes_commands,
    unsubscribed_chat,
)
from bot.ports.web import DeskPage, DeskQuery, ParticipantPage, SynthesisDraft, SynthesisReview, Visitor
from bot.storage import database
from bot.storage.models import Discussion, OrganiserGrant, Participant, Round, RoundStatus, Venue
from bot.text import clean_text
from schedules import rounds

log = logging.getLogger(__name__)

# An update that meets a uniqueness conflict, or a connection found dropped,
# is handled once more: the row another update wrote meanwhile is then seen
# (a redelivery conflicts again), or a new connection made.
HANDLING_ATTEMPTS = 2
LONGEST_BUTTON_DATA = 100
CHATS_RESENT_AT_ONCE = 32  # outbox rows left by a crash: chats served side by side, each in order


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
        # Turns and sent marks work on its connections; a turn opens a session on its own only for entities.
        self.database = database.bound_to(sessions)
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
        # Outbox rows being sent by this process (by the turn that wrote them, or
        # by `send_unsent`): no other sending takes them meanwhile.
        self._sending: set[int] = set()
        self.backoff = outgoing.Backoff()  # the chats whose sending failed, tried again by `resend_unsent`
        self._retry_now = asyncio.Event()  # a chat waiting for its retry wrote again: `resend_unsent` looks at once
        self._resending = False  # `resend_unsent` runs: a chat's later rows may wait for its retry
        self.flood = FloodWatch()

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
        await self._handle(
            message.chat,
            message.sender,
            lambda turn: self._dispatch_message(turn, message),
            thread_id=message.thread_id,
            update=handled.of_message(message),
            # What floods is text; a command's answer (Discord's one reply to a slash command) stays alone.
            paced=not message.text.lstrip().startswith("/"),
        )

    async def handle_button(self, press: ButtonPress) -> None:
        async def dispatch(turn: Turn) -> None:
            await turn.load_entities()  # a button changes something, or hands the entities on
            # Longer data is no button of ours (Telegram allows 64 bytes, Discord 100 characters).
            if len(press.data) <= LONGEST_BUTTON_DATA:
                for handler in self.button_handlers:
                    if await handler(turn, press.data):
                        return
            turn.reply(
                _("That button has expired. Send /help to see what you can do.") if turn.takes_commands else _("That button has expired."),
                private=True,
            )

        await self._handle(press.chat, press.sender, dispatch, thread_id=press.thread_id, update=handled.of_press(press))

    def _new_turn(self, transaction: AsyncConnection, chat: ChatRef, sender: Person, thread_id: str | None) -> Turn:
        return Turn(
            transaction=transaction,
            chat=chat,
            sender=sender,
            now=self.clock(),
            thread_id=thread_id,
            platform_names=self.platform_names,
            answers_by_reply=chat.platform not in self.platforms or answers_by_reply(self.platforms[chat.platform]),
            takes_commands=chat.platform not in self.platforms or takes_commands(self.platforms[chat.platform]),
            commands=self.commands,
            index_loader=self._index,
        )

    async def _handle(
        self,
        chat: ChatRef,
        sender: Person,
        dispatch: Callable[[Turn], Awaitable[None]],
        thread_id: str | None = None,
        update: UpdateIdentity | None = None,
        paced: bool = False,
    ) -> None:
        """One update, in its own transaction: dispatch, commit what it changed with
        its identity and its replies, then send them. An update already handled
        (delivered again) changes nothing and gets no second reply: the first
        handling's replies were sent, or are sent at the next start. The turn
        opens an ORM session on the transaction's connection only for a handler
        that needs entities: an answer is read and stored as plain rows."""
        # What the database can hold: no NUL, no lone surrogate (a broken client's name).
        sender = replace(sender, display_name=clean_text(sender.display_name))
        turn: Turn | None = None
        outbox: list[tuple[int, OutgoingMessage]] = []
        failed = False
        # `paced` updates count towards the sender's flood control: once, on the first attempt, if not handled before.
        flooding: bool | None = None if paced else False
        for attempt in range(1, HANDLING_ATTEMPTS + 1):
            try:  # around the connection too: reaching the database is part of what can fail
                async with self.database.connect() as connection, self._new_turn(connection, chat, sender, thread_id) as handling:
                    turn = handling  # None once it turns out to change nothing
                    await connection.begin()
                    if await turn.load_context(update):  # handled before
                        turn = None
                        break
                    if flooding is None:
                        flooding = self.flood.to_be_told(sender, turn.now)
                    with reading_in(turn.language):
                        if flooding:  # before the answer, which stays the last word
                            turn.reply(
                                _(
                                    "You are sending messages very fast. Everything you send is recorded, "
                                    "but please slow down: my answers to you will take a while."
                                ),
                                private=True,
                            )
                        await dispatch(turn)
                    # Someone just forgotten leaves no trace: not even this update's identity, nor its replies' chat.
                    if update is not None and not turn.forgotten:
                        await handled.record(connection, update, turn.now)
                    outbox = await self._commit_with_outbox(turn, [] if turn.forgotten else [*turn.replies, *turn.notices])
                    break
            except IntegrityError:
                # Another update wrote the same row first: this very update
                # (a redelivery, which the first handling acknowledged), or
                # another of the same person's (their /start and first
                # answer at once), which the next attempt sees committed.
                turn = None
            except Exception as error:
                if database.dropped(error) and attempt < HANDLING_ATTEMPTS:
                    turn = None  # a pooled connection found closed: once more, on a new one
                    continue
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
            log.info("an update was delivered again; it is handled once")
            return
        await self._deliver(outbox)
        if turn.forgotten:
            await self._send_straight(turn.replies)
        if turn.stored_answers:
            self.embeddings.soon()
        if turn.post_everywhere:
            self.kick()
        elif turn.post_questions and turn.venue_id is not None:
            async with self._posting:
                await rounds.post_missing_questions(self.sessions, self.send, self.platforms, self.clock, only_venue_id=turn.venue_id)

    async def _say_nothing_was_recorded(self, chat: ChatRef, sender: Person, thread_id: str | None) -> None:
        """Tell the sender, in their language, read on a fresh connection: the
        failed one may not be readable any more (rolled back, or gone)."""
        language = None
        with contextlib.suppress(Exception):  # the database itself failing: the sender's own language, if the catalogs have it
            async with self.database.connect() as connection, self._new_turn(connection, chat, sender, thread_id) as turn:
                await turn.load_context()
                language = turn.language
        with reading_in(language or negotiate(sender.language_code, catalog_languages()) or FALLBACK_LANGUAGE):
            said = _("Something went wrong on my side: nothing was recorded. Please send it again in a moment.")
        # Not through the outbox: it is the database that is failing.
        await self._send_straight([OutgoingMessage(chat=chat, text=said, thread_id=thread_id, private=True)])

    async def _send_straight(self, messages: list[OutgoingMessage]) -> None:
        """Send, with no row in the outbox (nothing to send again after a crash)."""
        for message in messages:
            try:
                await self.send(message)
            except RecipientUnreachable:
                log.info("a message on %s could not be delivered: recipient unreachable", message.chat.platform)

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
        if turn.discussion_row is None:
            if turn.private:
                turn.reply(_("No discussion is running here yet."))
            return
        if turn.venue_row is None:
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

    async def _commit_with_outbox(self, turn: Turn, messages: list[OutgoingMessage]) -> list[tuple[int, OutgoingMessage]]:
        """Commit the turn's transaction (its session's changes flushed first, if a handler opened
        one) with a row per message to send; the rows are this handling's to send (`_sending`)
        from before the commit makes them visible."""
        session = turn.opened_session
        if session is not None and (session.new or session.dirty or session.deleted):
            await session.flush()
        ids = await outgoing.keep(turn.transaction, messages, turn.now)
        self._sending.update(ids)
        try:
            await turn.transaction.commit()
        except BaseException:
            self._sending.difference_update(ids)
            raise
        return list(zip(ids, messages, strict=True))

    async def _deliver(self, outbox: list[tuple[int, OutgoingMessage]], *, retrying: bool = False, stale: Collection[int] = ()) -> None:
        """Send outbox rows in order; each one sent is recorded so at once,
        with its message id (a crash then resends only what was on the wire).
        A chat that refuses for good gets none of its later rows (they are
        given up); one that fails otherwise keeps them, in order, for its
        retry (`backoff`), and so does a chat still waiting for its retry
        while `resend_unsent` runs, unless this is the retry: its earlier rows
        go first. A `stale` row that fails is given up instead
        (`outgoing.GIVE_UP_AFTER`). Other chats' rows go on."""
        refused: set[tuple[str, str]] = set()
        stalled: set[tuple[str, str]] = set()
        try:
            for row_id, message in outbox:
                chat = (message.chat.platform, message.chat.chat_id)
                if self._resending and not retrying and chat not in stalled and self.backoff.waiting(chat):
                    self.backoff.hurry(chat, self.clock())
                    self._retry_now.set()
                    stalled.add(chat)
                if chat in stalled:
                    continue
                if chat not in refused:
                    try:
                        sent = await self.send(message)
                    except RecipientUnreachable:
                        log.info("a message on %s could not be delivered: recipient unreachable", message.chat.platform)
                        refused.add(chat)
                        self.backoff.cleared(chat)
                    except Exception as error:
                        if row_id not in stale:
                            failures = self.backoff.failed(chat, self.clock(), error)
                            # The first failure with its traceback; the retries of a platform failing for a while, briefly.
                            (log.warning if failures == 1 else log.info)(
                                "a message on %s could not be sent (%s); it is tried again shortly",
                                message.chat.platform,
                                type(error).__name__,
                                exc_info=failures == 1,
                            )
                            stalled.add(chat)
                            continue
                        log.exception("a message on %s still could not be sent after a day; given up", message.chat.platform)
                    else:
                        self.backoff.cleared(chat)
                        await self._record(partial(outgoing.mark_sent, row_id=row_id, message=message, sent=sent, now=self.clock()))
                        continue
                await self._record(partial(outgoing.give_up, row_ids=[row_id], now=self.clock()))
        finally:
            self._sending.difference_update(row_id for row_id, _message in outbox)

    async def _record(self, change: outgoing.Change) -> None:
        try:
            async with self.database.begin() as connection:
                await change(connection)
        except Exception:  # sent all the same; at worst it is sent again at the next start
            log.exception("recording a message sent failed")

    async def send_unsent(self, now: dt.datetime | None = None) -> int:
        """Send the outbox rows committed and not sent (a crash, a platform
        down when they were due) whose chat is not waiting for its retry at
        `now` (`backoff`), each chat's in order. Safe to call again and at any
        time: rows this process is sending are left to it, and a row sent is
        not sent again. Returns how many rows still wait: their platform not
        ready yet, their chat's retry not due, or failing meanwhile. (Another
        process never sends them meanwhile: only `facilitator run` sends, and
        one runs per database, `bot.storage.run_lock`.)"""
        now = now or self.clock()
        mark = self.backoff.mark()
        async with self.sessions() as session:
            unsent = await outgoing.unsent(session, self.platform_names)
        self.backoff.keep_only({(row.platform, row.chat_id) for row in unsent}, mark)
        rows = [row for row in unsent if row.id not in self._sending]
        claimed = {
            row.id for row in rows if ready_to_send(self.platforms[row.platform]) and self.backoff.due((row.platform, row.chat_id), now)
        }
        if not claimed:
            return len(rows)
        self._sending.update(claimed)
        try:
            async with self.sessions() as session:  # again, once claimed: a row whose sending ended during the first read is sent
                ready = [row for row in await outgoing.unsent(session, self.platform_names) if row.id in claimed]
            if not ready:
                return len(rows)
            log.info("sending %d messages left unsent", len(ready))
            by_chat = itertools.groupby(
                sorted(ready, key=lambda row: (row.platform, row.chat_id, row.id)), lambda row: (row.platform, row.chat_id)
            )
            stale = {row.id for row in ready if now - row.created_at >= outgoing.GIVE_UP_AFTER}
            slots = asyncio.Semaphore(CHATS_RESENT_AT_ONCE)

            async def resend(chat_rows: list[tuple[int, OutgoingMessage]]) -> None:
                async with slots:
                    await self._deliver(chat_rows, retrying=True, stale=stale)

            await asyncio.gather(*(resend([(row.id, outgoing.as_message(row)) for row in chat]) for _chat, chat in by_chat))
        finally:  # also when stopped meanwhile: what was not sent waits for the next look, or the next start
            self._sending.difference_update(claimed)
        async with self.sessions() as session:
            return len([row for row in await outgoing.unsent(session, self.platform_names) if row.id not in self._sending])

    async def resend_unsent(self, interval: float = 3.0) -> None:
        """For the whole run: `send_unsent` at start (what the last run left),
        then every `interval` seconds (a platform logging in, a chat whose
        retry fell due), and at once when a chat waiting for its retry writes again."""
        self._resending = True
        try:
            while True:
                self._retry_now.clear()
                try:
                    await self.send_unsent()
                except Exception:  # the database out of reach for a moment: the rows wait in it
                    log.exception("sending the messages left unsent failed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._retry_now.wait(), interval)
        finally:
            self._resending = False

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

        async def run() -> bool:
            """True when the last pass posted everything it could (no platform failed)."""
            while True:
                self._post_again = False
                try:
                    await self.post_pending()
                except Exception:
                    log.exception("posting questions failed; the next check retries")
                    failed = True
                else:
                    failed = False
                if not self._post_again:
                    return not failed

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

    async def watch(self, interval: float = 3.0, full_look_every: int = 100) -> None:
        """Follow the database: a round opened from the CLI, or left half-posted
        by a crash, is posted within `interval` seconds.

        Looking for questions left to post reads every chat (0.6 s of CPU at
        100,000), so it runs only when `posting_state` (a few index reads) has
        changed since a look that left nothing behind, or that look failed on
        some platform; and every `full_look_every` intervals whatever, for what
        leaves no trace there (a chat's own posting that failed on /start)."""
        settled: tuple | None = None  # the state in which nothing was left to post
        for tick in itertools.count():
            try:
                state: tuple | None = await self.posting_state()
            except Exception:  # the database gone for a moment: look, and let the look report it
                log.warning("the watch could not read what posting depends on; looking anyway", exc_info=True)
                state = None
            if state is None or state != settled or tick % full_look_every == 0:
                self.kick()
                if self._posting_task is not None:
                    await asyncio.wait([self._posting_task])  # its result, not its cancellation, if the watch is cancelled
                    done = not self._posting_task.cancelled() and self._posting_task.result()
                    settled = state if done else None
            await asyncio.sleep(interval)

    async def posting_state(self) -> tuple:
        """What the questions left to post depend on: the open rounds (their
        discussion's file and pause with them) and the chats that can be
        posted to. The watch reads it before it looks, so that a change
        during a look shows at the next."""
        async with self.sessions() as session:
            open_rounds = await session.execute(
                select(Round.id, Round.opened_at, Discussion.loaded_at, Discussion.paused)
                .join(Discussion, Round.discussion_id == Discussion.id)
                .where(Round.status == RoundStatus.open)
                .order_by(Round.id)
            )
            rounds_state = tuple(tuple(row) for row in open_rounds)
            chats = (
                await session.execute(select(func.count(), func.max(Venue.id)).where(Venue.active.is_(True), Venue.unreachable.is_(False)))
            ).one()
        return rounds_state, tuple(chats)

    # --- what a discussion's updates share ------------------------------

    async def index_for(self, session: AsyncSession, discussion: store.IndexedDiscussion) -> store.DiscussionIndex:
        """The discussion's questions and linker, rebuilt when its file is loaded again."""
        return await self._index(lambda: session, discussion)

    async def _index(self, session: Callable[[], AsyncSession], discussion: store.IndexedDiscussion) -> store.DiscussionIndex:
        """`index_for`, with a session asked for only to build it (a turn opens one only then)."""
        cached = self._indexes.get(discussion.id)
        if cached is None or cached[0] != discussion.loaded_at:
            cached = self._indexes[discussion.id] = (discussion.loaded_at, await store.build_index(session(), discussion))
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

    async def unsubscribe(self, platform: str, signed: str) -> bool:
        adapter = self.platforms.get(platform)
        chat_id = unsubscribed_chat(adapter, signed) if adapter is not None else None
        return chat_id is not None and await self.mark_unreachable(platform, chat_id)

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

    async def hold(self, platform: str, updates: Sequence[HeldUpdate]) -> None:
        try:
            async with self.sessions() as session:
                await held_updates.hold(session, platform, updates, self.clock())
                await session.commit()
        except Exception as error:
            if database.unreachable(error):
                raise StorageUnavailable("the database cannot be reached; the platform keeps the updates") from error
            raise

    async def held(self, platform: str) -> list[HeldUpdate]:
        async with self.sessions() as session:
            return await held_updates.held(session, platform)

    async def release(self, platform: str, external_ids: Collection[str]) -> None:
        async with self.sessions() as session:
            await held_updates.release(session, platform, external_ids)
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
            done = await web_access.revise_answer(session, participant_id, contribution_id, clean_text(text), self.clock(), self.index_for)
            await session.commit()
        self.embeddings.soon()
        return done

    async def move_answer(self, visitor: Visitor, contribution_id: int, question_key: str) -> bool:
        async with self.sessions() as session:
            done = await web_access.move_answer(session, visitor, contribution_id, question_key, self.clock(), self.index_for)
            await session.commit()
            return done

    async def update_profile(self, participant_id: int, name: str | None, organisation: str | None, country: str | None) -> bool:
        async with self.sessions() as session:
            done = await web_access.update_profile(session, participant_id, name, organisation, country)
            await session.commit()
            return done

    async def desk_page(self, organiser: tuple[str, str], language: str, query: DeskQuery) -> DeskPage | None:
        async with self.sessions() as session:
            return await web_access.desk_page(session, organiser, language, query, self.index_for)

    async def synthesis_draft(self, organiser: tuple[str, str], language: str) -> SynthesisDraft | None:
        async with self.sessions() as session:
            draft = await web_access.synthesis_draft(session, organiser, language, self.clock())
            await session.commit()
            return draft

    async def save_synthesis_review(self, organiser: tuple[str, str], language: str, text: str) -> SynthesisReview | None:
        async with self.sessions() as session:
            review = await web_access.save_synthesis_review(session, organiser, language, text, self.clock())
            await session.commit()
            return review
