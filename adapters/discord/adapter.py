"""The Discord adapter: the same discussion on Discord servers and in direct
messages, on discord.py in the engine's own event loop.

- A server text channel follows a discussion once an organiser runs /attach
  there; each question is posted as its own message and opens a thread.
- Participants subscribe and answer in direct messages, as on Telegram.
- Slash commands, built from the engine's `COMMANDS`, are handed to the engine
  as the text "/name argument"; their answers are the interaction's answers,
  shown to the sender only in a server channel.
- discord.py paces REST calls and waits out rate limits (429) itself; a
  permanent refusal (DMs closed, channel gone) becomes `RecipientUnreachable`,
  and a 429 still there after its tries `RetryLater`.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, cast

import discord

from adapters.discord.client import DiscordClient
from adapters.discord.inbound import PLATFORM
from adapters.discord.views import Choices
from bot import ports
from bot.ports import ChatKind, ChatRef, Inbox, OutgoingMessage, RecipientUnreachable, RetryLater, Secret, SentMessage

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000  # characters per Discord message
THREADS_REMEMBERED = 10_000
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10_080
# Discord error codes that mean "never here again": unknown channel, missing
# access, missing permissions, cannot send messages to this user (DMs closed
# or bot blocked). An organiser who fixes the channel runs /attach again.
UNREACHABLE_CODES = {10003, 50001, 50013, 50007}


@dataclass
class Answering:
    """An interaction being answered: replies to its chat go to it."""

    interaction: discord.Interaction
    chat: ChatRef
    only_to_sender: bool  # in a server channel, a slash command's answers are the sender's alone
    answered: bool = False


@dataclass
class Written:
    """A message someone wrote in a chat, being answered: what only they
    should read goes to their direct messages, never to the channel."""

    chat: ChatRef
    author: discord.User | discord.Member


class DiscordChat:
    name = PLATFORM

    def __init__(self, token: Secret, organiser_role: str = ""):
        role = organiser_role.strip()
        if role and not role.isdigit():
            raise ValueError(
                "FACILITATOR_DISCORD_ORGANISER_ROLE must be a role ID (digits): in Discord, turn on Developer Mode, "
                "then right-click the role and choose Copy Role ID"
            )
        self._token = token
        self._organiser_role_id = int(role) if role else None
        self.client = DiscordClient(self, organiser_role_id=self._organiser_role_id)
        # Message id → the thread it was written in, so that the engine's reply
        # to it (addressed to the channel) lands in that thread too.
        self._threads: OrderedDict[str, str] = OrderedDict()

    async def serve(self, inbox: Inbox) -> None:
        if self.client.is_closed():  # a start that failed (Discord unreachable): a client closed stays closed
            self.client = DiscordClient(self, organiser_role_id=self._organiser_role_id)
        async with self.client:
            await self.login(inbox)
            await self.client.connect()

    async def login(self, inbox: Inbox) -> None:
        """Everything `serve` does before opening the gateway (tests stop here):
        log in, then `setup_hook` registers the slash commands."""
        self.client.inbox = inbox
        await self.client.login(self._token.reveal())

    def remember_thread(self, message_id: str, thread_id: str) -> None:
        self._threads[message_id] = thread_id
        if len(self._threads) > THREADS_REMEMBERED:
            self._threads.popitem(last=False)

    @property
    def ready(self) -> bool:
        """Logged in: before that, nothing can be posted (the engine waits)."""
        return self.client.user is not None

    @contextmanager
    def answering_message(self, chat: ChatRef, author: discord.User | discord.Member) -> Iterator[None]:
        token = ports.answering.set(Written(chat, author))
        try:
            yield
        finally:
            ports.answering.reset(token)

    @asynccontextmanager
    async def answering(self, interaction: discord.Interaction, chat: ChatRef) -> AsyncIterator[Answering]:
        answer = Answering(interaction, chat, only_to_sender=chat.kind != ChatKind.private)
        token = ports.answering.set(answer)
        try:
            yield answer
        finally:
            ports.answering.reset(token)

    async def send(self, message: OutgoingMessage) -> SentMessage:
        answer = ports.answering.get()
        try:
            # Question posts are channel messages even while a slash command
            # (/attach, /start) is being answered: people reply to them.
            if isinstance(answer, Answering) and message.chat == answer.chat and message.new_thread_title is None:
                return await self._answer(answer, message)
            if message.private and message.chat.kind != ChatKind.private:
                return await self._tell_author(answer, message)
            return await self._post(message)
        except discord.HTTPException as error:
            if error.code in UNREACHABLE_CODES:
                raise RecipientUnreachable(f"Discord refuses to deliver there (error {error.code})") from None
            if error.status == 429:  # still limited after discord.py's own tries, each waited in place
                raise RetryLater(float(error.response.headers.get("Retry-After") or 0)) from error
            raise

    async def _tell_author(self, answer: object, message: OutgoingMessage) -> SentMessage:
        """A private answer to a message typed in a channel (an organiser
        command refused), sent to its author alone: in their direct messages."""
        if not (isinstance(answer, Written) and answer.chat == message.chat):
            log.warning("a private answer in channel %s has no addressee; it is not posted", message.chat.chat_id)
            return SentMessage(message_id="")
        try:
            sent = [await answer.author.send(**extras) for extras in _parts(message)]
        except discord.HTTPException as error:  # their DMs are closed: the channel is not told instead
            log.info("a private answer could not reach its addressee (error %s)", error.code)
            return SentMessage(message_id="")
        return SentMessage(message_id=str(sent[0].id))

    async def _post(self, message: OutgoingMessage) -> SentMessage:
        channel = await self._channel_for(message)
        reference = None
        if message.reply_to and message.reply_to.isdigit():
            reference = discord.MessageReference(message_id=int(message.reply_to), channel_id=channel.id, fail_if_not_exists=False)
        sent: list[discord.Message] = []
        for extras in _parts(message):
            # discord.py's overloads of send() leave out the None its implementation takes (and defaults to).
            sent.append(await channel.send(reference=None if sent else reference, **extras))  # type: ignore[arg-type]
        first = sent[0]
        thread_id = message.thread_id
        if message.new_thread_title and message.chat.kind != ChatKind.private and thread_id is None:
            try:
                # Open for answers as long as a round lasts: the longest Discord allows (7 days).
                thread = await first.create_thread(name=message.new_thread_title, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
                thread_id = str(thread.id)
            except discord.HTTPException as error:
                # Without the "Create Public Threads" permission, answers are
                # still tied by replying to the question's message.
                log.warning("no thread could be opened in channel %s (error %s)", channel.id, error.code)
        return SentMessage(message_id=str(first.id), thread_id=thread_id)

    async def _channel_for(self, message: OutgoingMessage) -> discord.abc.MessageableChannel:
        thread = message.thread_id or (self._threads.get(message.reply_to) if message.reply_to else None)
        channel_id = int(thread or message.chat.chat_id)
        if message.chat.kind == ChatKind.private:
            return self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        # A server channel, as a full object: opening a thread needs its guild.
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):  # a forum or a category: nothing can be posted in it
            raise RecipientUnreachable(f"Discord channel {channel_id} takes no messages")
        return cast("discord.abc.MessageableChannel", channel)

    async def _answer(self, answer: Answering, message: OutgoingMessage) -> SentMessage:
        followup = answer.interaction.followup
        only_to_sender = answer.only_to_sender or message.private
        sent = [await followup.send(wait=True, ephemeral=only_to_sender, **extras) for extras in _parts(message)]
        answer.answered = True
        return SentMessage(message_id=str(sent[0].id), thread_id=message.thread_id)


def _parts(message: OutgoingMessage) -> list[dict[str, Any]]:
    """The message as Discord messages of at most 2,000 characters; the
    buttons and the attachment go with the last."""
    parts: list[dict[str, Any]] = [{"content": chunk or None} for chunk in split_text(message.text)]
    if message.buttons:
        parts[-1]["view"] = Choices(message.buttons)
    if message.attachment is not None:
        filename, content = message.attachment
        parts[-1]["file"] = discord.File(io.BytesIO(content), filename=filename)
    return parts


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """At line breaks where possible, else at spaces, else anywhere."""
    chunks = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    chunks.append(text)
    return chunks
