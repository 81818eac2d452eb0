"""The Telegram adapter: python-telegram-bot on the engine's own event loop.

Receiving. Long polling by default, a webhook when a URL is configured.
Telegram forgets an update once a later getUpdates names an offset past it.
So each batch fetched is first held in the database (`Inbox.hold`, one write
of the updates as Telegram sent them), and only then does the next
getUpdates confirm it; while the database is out of reach, the batch waits,
unconfirmed, and polling with it. The updates are then handled from memory,
parsed at their chat's turn, the chats taking turns (`turns.ChatsInTurn`),
and released once handled. At start, what a crash left held is handled first.

Sending. Every request that posts a message goes through `PacingRateLimiter`
(Telegram's limits, 429, network errors and 5xx); a 403 or a vanished chat
becomes `RecipientUnreachable`. Text goes out plain (no parse mode), so what a
participant wrote and the bot echoes can inject no markup.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InputFile,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, TypeHandler

from adapters.telegram import inbound
from adapters.telegram.http import AiohttpRequest
from adapters.telegram.pacing import AdapterStopped, Limits, Pacer, PacingRateLimiter
from adapters.telegram.redaction import guard_library_logs, redact
from adapters.telegram.turns import ChatsInTurn, Fetched, Receipt, Releases
from adapters.telegram.webhook import WebhookServer
from bot.i18n import _, reading_in
from bot.ports import (
    ChatKind,
    HeldUpdate,
    Inbox,
    OutgoingMessage,
    RecipientUnreachable,
    Secret,
    SentMessage,
    StorageUnavailable,
    answering,
    keeps_updates,
)

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_LIMITS = Limits()  # Telegram's own
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
UPDATES_AT_ONCE = 100  # the most one getUpdates hands out: a full batch means more are waiting
CHATS_AT_ONCE = 16  # chats whose updates are handled side by side, the others waiting their turn
FETCHED_AT_MOST = 10_000  # updates in memory, not handled yet: fetching waits past that
LONGEST_STORAGE_WAIT = 30.0  # seconds between attempts to store an update while the database is out of reach

# Bad requests that will not pass by retrying: the bot cannot write there any more.
PERMANENT_REFUSALS = ("chat not found", "not enough rights", "have no rights", "chat_write_forbidden", "topic_closed")


@dataclass(frozen=True)
class Webhook:
    url: str  # the public HTTPS URL Telegram posts to
    listen: str = "127.0.0.1:8443"  # host:port of this process, behind the reverse proxy
    secret: Secret = field(default_factory=lambda: Secret(""))  # generated at start when empty


class TelegramChat:
    name = inbound.PLATFORM

    def __init__(
        self,
        token: Secret,
        api_url: str = DEFAULT_API_URL,
        *,
        limits: Limits = DEFAULT_LIMITS,
        webhook: Webhook | None = None,
        poll_timeout: int = 30,
        first_backoff: float = 0.5,
    ):
        self.webhook = webhook
        self._webhook_secret = (webhook.secret.reveal() or secrets.token_urlsafe(32)) if webhook else ""
        guard_library_logs([token.reveal(), self._webhook_secret])
        self.pacer = Pacer(limits)
        self._limiter = PacingRateLimiter(self.pacer, first_backoff=first_backoff)
        self._poll_timeout = poll_timeout
        self._offset = 0  # the next getUpdates confirms every update before it
        self._updates_request = AiohttpRequest(connection_pool_size=1)
        self.bot = _PollingBot(
            token.reveal(),
            base_url=api_url,
            request=AiohttpRequest(connection_pool_size=32),
            get_updates_request=self._updates_request,
            rate_limiter=self._limiter,
        )
        self._releases = Releases(self._release)
        self._processor = ChatsInTurn(CHATS_AT_ONCE, FETCHED_AT_MOST, self._releases, self._handle_update, self._answer_press)
        self.application = Application.builder().bot(self.bot).updater(None).build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._inbox: Inbox | None = None
        self.receiving = asyncio.Event()  # set while updates are being received
        self._stopped = False
        self._closing = False  # stopping: an update the database cannot take is left to Telegram
        self._first_backoff = first_backoff
        self._forums: dict[int, bool] = {}

    # --- receiving ------------------------------------------------------

    async def serve(self, inbox: Inbox) -> None:
        """Receive updates and hand them to the engine until cancelled; again
        after a failed start (the Bot API unreachable), when called again."""
        self._inbox = inbox
        self._stopped = self._closing = False
        webhook_server: WebhookServer | None = None
        polling: asyncio.Task[None] | None = None
        started = False
        try:
            async with self.application:  # getMe, then shutdown on the way out
                started = True
                await self._register_commands(inbox)
                await self.application.start()
                await self._handle_held(inbox)
                if self.webhook is not None:
                    webhook_server = WebhookServer(self.webhook.url, self.webhook.listen, self._webhook_secret, self._on_webhook_post)
                    await webhook_server.start()
                    await self.bot.set_webhook(self.webhook.url, secret_token=self._webhook_secret, allowed_updates=ALLOWED_UPDATES)
                else:
                    await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set
                    polling = asyncio.create_task(self._poll())
                self.receiving.set()
                log.info("Telegram bot @%s is receiving updates (%s)", self.bot.username, "webhook" if self.webhook else "polling")
                try:
                    await (polling if polling is not None else asyncio.Event().wait())
                finally:
                    # Updates fetched are handled to the end, their replies sent,
                    # before the last getUpdates acknowledges them; then no more sending.
                    self._closing = True
                    if webhook_server is not None:
                        await webhook_server.stop()
                    if polling is not None:
                        polling.cancel()
                        await asyncio.gather(polling, return_exceptions=True)
                        await self._confirm()
                    await self.application.stop()
                    await self.idle()  # the replies of the updates stored are sent
                    await self._releases.flush()
                    self._stopped = True
                    self.receiving.clear()
                    await self._limiter.settle()  # before the connections close
        finally:
            self._stopped = True  # also when starting failed: senders must not wait for it
            if not started:
                # A start that failed (getMe unanswered) leaves the bot's connections
                # open: the application shuts down only what it finished initialising.
                await self.bot.shutdown()

    async def idle(self) -> None:
        """Until every update being handled is handled to the end, its replies sent."""
        await self._processor.idle.wait()

    async def _handle_held(self, inbox: Inbox) -> None:
        """What a crash left held, before anything newly fetched: each chat's in the order it came."""
        self._processor.take([Fetched.of(json.loads(held.payload)) for held in await inbox.held(inbound.PLATFORM)])

    async def _poll(self) -> None:
        """Long polling, a batch held before the next getUpdates confirms it.
        A full batch tells that more are waiting: they are fetched first (see `turns`)."""
        wait = self._first_backoff
        try:
            while True:
                try:
                    batch = await self.bot.fetch_updates(self._offset, self._poll_timeout, self._read_timeout(self._poll_timeout))
                except InvalidToken:
                    raise
                except TelegramError as error:  # the pacing limiter retried network errors and 5xx already
                    self._processor.fetch_first(False)
                    log.warning(
                        "fetching Telegram updates failed (%s: %s); tried again in %.1f s", type(error).__name__, redact(str(error)), wait
                    )
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, LONGEST_STORAGE_WAIT)
                    continue
                wait = self._first_backoff
                self._processor.fetch_first(len(batch) >= UPDATES_AT_ONCE)
                if batch:
                    fetched = [Fetched.of(update) for update in batch]
                    if not await self._hold(fetched):
                        return
                    self._offset = fetched[-1].update_id + 1
        finally:
            self._processor.fetch_first(False)

    async def _confirm(self) -> None:
        """The updates held, confirmed before stopping, so that Telegram does not hand them out again."""
        try:
            await self.bot.fetch_updates(self._offset, 0, self._read_timeout(0))  # what it returns is not held: not confirmed
        except TelegramError as error:
            log.info("could not confirm the last Telegram updates (they come again, and change nothing): %s", redact(str(error)))

    def _read_timeout(self, poll_timeout: int) -> float:
        return (self._updates_request.read_timeout or 0) + poll_timeout

    async def _on_webhook_post(self, payload: dict) -> None:
        """Answered (which confirms it to Telegram) once held; a failure answers 500, and Telegram posts it again."""
        if not await self._hold([Fetched.of(payload)]):
            raise AdapterStopped("stopping: the update is left to Telegram")

    async def _hold(self, updates: Sequence[Fetched]) -> bool:
        """Hold fetched updates in the database, however long it stays out of
        reach (meanwhile they are not confirmed, and no more are fetched), then
        hand them over. False when stopping first: they are left to Telegram."""
        inbox = self._inbox
        assert inbox is not None
        await self._processor.room.wait()
        batch = [HeldUpdate(str(u.chat_id) if u.chat_id is not None else "", str(u.update_id), json.dumps(u.raw)) for u in updates]
        wait = self._first_backoff
        while not self._closing:
            try:
                await inbox.hold(inbound.PLATFORM, batch)
            except StorageUnavailable:
                log.warning("the database cannot be reached: Telegram updates wait, unconfirmed, tried again in %.1f s", wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, LONGEST_STORAGE_WAIT)
                continue
            self._processor.take(updates)
            return True
        return False

    async def _handle_update(self, fetched: Fetched) -> None:
        await self.application.process_update(Update.de_json(fetched.raw, self.bot))

    async def _release(self, update_ids: Collection[str]) -> None:
        assert self._inbox is not None
        await self._inbox.release(inbound.PLATFORM, update_ids)

    async def _answer_press(self, fetched: Fetched) -> None:
        query = Update.de_json(fetched.raw, self.bot).callback_query
        assert query is not None
        await self._answer(query.answer())

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        inbox = self._inbox
        assert inbox is not None
        keeps_updates.set(True)  # in this update's own context: Telegram delivers it again if it is not confirmed
        if update.callback_query is not None:  # answered already, on its arrival (`ChatsInTurn.take`)
            press = inbound.button_press(update.callback_query)
            if press is not None:
                await self._until_stored(lambda: inbox.handle_button(press))
            return
        message = update.message or update.edited_message
        if message is None:
            return
        if message.migrate_to_chat_id:  # the group became a supergroup, with a new id
            await inbox.chat_moved(inbound.PLATFORM, str(message.chat.id), str(message.migrate_to_chat_id))
            return
        self._forums[message.chat.id] = bool(message.chat.is_forum)
        if inbound.is_anonymous_admin(message) and (message.text or "").startswith("/"):
            await self._explain_anonymous_admin(inbox, message)
            return
        event = inbound.incoming_message(message, self.bot.username, edited=update.edited_message is not None)
        if event is None:
            return
        await self._until_stored(lambda: inbox.handle_message(event))

    async def _until_stored(self, handling: Callable[[], Awaitable[None]]) -> None:
        """Hand an update to the engine; while the database cannot be reached,
        again and again with back-off (its chat's next updates wait their
        turn). The update stays held meanwhile; stopping then leaves it held,
        to the next start."""
        wait = self._first_backoff
        while True:
            try:
                await handling()
                return
            except StorageUnavailable:
                if self._closing:
                    receipt = answering.get()
                    if isinstance(receipt, Receipt):
                        receipt.abandon()
                    return
                log.warning("the database cannot be reached: a Telegram update waits, tried again in %.1f s", wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, LONGEST_STORAGE_WAIT)

    async def _explain_anonymous_admin(self, inbox: Inbox, message: Message) -> None:
        """An administrator posting as the group is "GroupAnonymousBot" to the bot:
        no organiser check can pass, and the generic refusal would puzzle them."""
        with reading_in(await inbox.chat_language(inbound.PLATFORM, str(message.chat.id))):
            text = _(
                "You are writing as the group, so I cannot tell who you are. To use commands, switch off "
                "«Remain anonymous» in your administrator rights, or write to me in a private chat."
            )
        await self.bot.send_message(
            message.chat.id, text, reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True)
        )

    async def _answer(self, answering: Awaitable[Any]) -> None:
        try:
            await answering
        except TelegramError as error:  # a query answered too late: the press itself was handled
            log.info("could not answer a callback query: %s", error)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        log.error("handling a Telegram update failed: %s: %s", type(error).__name__, redact(str(error)), exc_info=error)

    async def _register_commands(self, inbox: Inbox) -> None:
        """The command menu, in each discussion language: participants' commands
        for everyone, all commands for group administrators and for organisers."""
        languages = await inbox.discussion_languages() or ["en"]
        organisers = await inbox.organiser_ids(inbound.PLATFORM)
        menu = inbox.menu()
        # Telegram knows users' languages by two-letter code: "pt_BR" and "pt-BR" are "pt".
        by_code = {language.replace("_", "-").split("-")[0].lower(): language for language in reversed(languages)}
        for code, language in ((None, languages[0]), *((c, lang) for c, lang in by_code.items() if len(c) == 2)):
            with reading_in(language):
                everyone = [BotCommand(c.name, _(c.description)) for c in menu if not c.organiser_only]
                everything = [BotCommand(c.name, _(c.description)) for c in menu]
            scopes = [(everyone, BotCommandScopeDefault()), (everything, BotCommandScopeAllChatAdministrators())]
            scopes += [(everything, BotCommandScopeChat(int(user_id))) for user_id in organisers]
            for commands, scope in scopes:
                try:
                    await self.bot.set_my_commands(commands, scope=scope, language_code=code)
                except BadRequest as error:  # an organiser who never wrote to the bot has no chat yet
                    log.info("no command menu for %s in %s: %s", scope.type, code or "the default language", error.message)

    # --- sending --------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> SentMessage:
        receipt = answering.get()
        if isinstance(receipt, Receipt):
            receipt.stored()  # the engine sends only once the update is committed
        if not self.receiving.is_set():
            if self._stopped:
                raise AdapterStopped("the Telegram adapter has stopped; nothing more is sent")
            await self.receiving.wait()  # the bot is being started
        chat_id = int(message.chat.chat_id)
        try:
            return await self._send(chat_id, message)
        except ChatMigrated as migrated:
            # A group that became a supergroup has a new id; the old one answers with it.
            if self._inbox is not None:
                await self._inbox.chat_moved(inbound.PLATFORM, str(chat_id), str(migrated.new_chat_id))
            return await self._send(int(migrated.new_chat_id), message)

    async def _send(self, chat_id: int, message: OutgoingMessage) -> SentMessage:
        thread_id = self._thread_for(chat_id, message)
        try:
            if message.new_thread_title and message.chat.kind != ChatKind.private and await self._is_forum(chat_id):
                thread_id = await self._open_topic(chat_id, message.new_thread_title) or thread_id
            if message.attachment is not None:
                first = await self._send_document(chat_id, message, thread_id)
            else:
                first = await self._send_text(chat_id, message, thread_id)
        except Forbidden as error:  # blocked by the user, removed from the group, user deactivated
            raise RecipientUnreachable(f"Telegram chat {chat_id}: {error.message}") from None
        except BadRequest as error:
            if any(refusal in error.message.lower() for refusal in PERMANENT_REFUSALS):
                raise RecipientUnreachable(f"Telegram chat {chat_id}: {error.message}") from None
            raise
        return SentMessage(message_id=str(first.message_id), thread_id=str(thread_id) if thread_id else None)

    def _thread_for(self, chat_id: int, message: OutgoingMessage) -> int | None:
        if message.chat.kind == ChatKind.private:
            return None
        return int(message.thread_id) if message.thread_id else None

    async def _send_text(self, chat_id: int, message: OutgoingMessage, thread_id: int | None) -> Message:
        parts = inbound.split_text(message.text) or [message.text]
        sent = []
        for number, part in enumerate(parts):
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    part,
                    message_thread_id=thread_id,
                    reply_parameters=_reply(message) if number == 0 else None,
                    reply_markup=inbound.inline_keyboard(message.buttons) if number == len(parts) - 1 else None,
                )
            )
        return sent[0]

    async def _send_document(self, chat_id: int, message: OutgoingMessage, thread_id: int | None) -> Message:
        assert message.attachment is not None
        filename, content = message.attachment
        caption = message.text if inbound.telegram_length(message.text) <= inbound.MAX_CAPTION else None
        first = None
        if caption is None and message.text.strip():
            first = await self._send_text(chat_id, OutgoingMessage(message.chat, message.text, reply_to=message.reply_to), thread_id)
        document = await self.bot.send_document(
            chat_id,
            InputFile(content, filename=filename, attach=True),
            caption=caption or None,
            message_thread_id=thread_id,
            reply_parameters=_reply(message) if first is None else None,
            reply_markup=inbound.inline_keyboard(message.buttons),
        )
        return first or document

    async def _is_forum(self, chat_id: int) -> bool:
        if chat_id not in self._forums:
            self._forums[chat_id] = bool((await self.bot.get_chat(chat_id)).is_forum)
        return self._forums[chat_id]

    async def _open_topic(self, chat_id: int, title: str) -> int | None:
        try:
            topic = await self.bot.create_forum_topic(chat_id, title[: inbound.MAX_TOPIC_NAME])
        except BadRequest as error:  # the bot lacks the right to manage topics: post in General
            log.warning("could not open a topic in Telegram chat %s (%s); posting in General", chat_id, error.message)
            return None
        return topic.message_thread_id


def _reply(message: OutgoingMessage) -> ReplyParameters | None:
    # The message replied to may be gone (deleted): then send it all the same.
    return ReplyParameters(int(message.reply_to), allow_sending_without_reply=True) if message.reply_to else None


class _PollingBot(ExtBot[None]):
    """getUpdates' batch as Telegram sent it: python-telegram-bot's parsing
    (15 ms for a hundred updates) would delay the next fetch; each is parsed at
    its chat's turn instead."""

    async def fetch_updates(self, offset: int, timeout: int, read_timeout: float) -> list[dict[str, Any]]:
        data = {"offset": offset, "timeout": timeout, "limit": UPDATES_AT_ONCE, "allowed_updates": ALLOWED_UPDATES}
        return cast(list[dict[str, Any]], await self._post("getUpdates", data, read_timeout=read_timeout))
