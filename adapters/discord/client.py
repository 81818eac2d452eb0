"""The discord.py client: gateway events in, handed to the engine as its own events."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from adapters.discord.inbound import PLATFORM, incoming_message, person_of, place_of, written_by_a_person
from adapters.discord.slash import CatalogTranslator, add_commands, menu_digest
from adapters.discord.views import pressed
from bot.i18n import _, catalog_languages, negotiate, reading_in
from bot.ports import ButtonPress, ChatKind, ChatRef, Inbox, IncomingMessage

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordChat

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """A sentence to translate later (extracted with `-k N_`)."""
    return message


# Message Content (privileged) to read what people write in server channels;
# no Server Members: the organiser role is read from the member data that
# comes with each message and interaction.
INTENTS = discord.Intents(guilds=True, guild_messages=True, dm_messages=True, message_content=True)

# How far messages were received live is recorded this often, a little behind
# the clock (a message reaches the gateway a moment after its id is made).
CURSOR_EVERY = dt.timedelta(seconds=10)
CURSOR_MARGIN = dt.timedelta(seconds=5)
REREAD_LIMIT = 1000  # messages per channel or thread read back at a start
ATTACH = "attach"  # the command that makes a channel a venue
# What the bot needs where it posts the questions: discord.py's permission
# names, and the names Discord shows them under (msgids).
NEEDED_TO_POST = {
    "view_channel": N_("View Channel"),
    "send_messages": N_("Send Messages"),
    "create_public_threads": N_("Create Public Threads"),
    "send_messages_in_threads": N_("Send Messages in Threads"),
    "read_message_history": N_("Read Message History"),
}


class DiscordClient(discord.Client):
    inbox: Inbox  # set by `DiscordChat.login`, before any event comes in

    def __init__(self, chat: DiscordChat, organiser_role_id: int | None):
        # Texts quote what participants wrote: never let them ping anyone.
        super().__init__(intents=INTENTS, allowed_mentions=discord.AllowedMentions.none())
        self.chat = chat
        self.organiser_role_id = organiser_role_id
        self.tree = app_commands.CommandTree(self)
        self._caught_up = False  # whether what came before this moment has all been received
        self._read_back = False  # whether what came while the process was away has been read back
        self._cursor_keeper: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        add_commands(self.tree, self.inbox.menu(), self.relay_command)
        await self.tree.set_translator(CatalogTranslator())
        await self._sync_commands()
        self._cursor_keeper = asyncio.create_task(self._keep_cursor())

    async def _sync_commands(self) -> None:
        """Register the slash commands with Discord only when they changed
        (discord.py's advice: syncing is rate-limited hard). A refusal leaves
        the commands Discord has and the rest of the bot running; the next
        start tries again."""
        digest = await menu_digest(self.tree)
        if digest == await self.inbox.registered_menu(PLATFORM):
            return
        try:
            await self.tree.sync()
        except discord.DiscordException as error:
            log.warning("the Discord slash commands could not be registered (%s); the next start tries again", error)
            return
        await self.inbox.record_registered_menu(PLATFORM, digest)

    async def on_ready(self) -> None:
        # Not set-up: each new gateway session may follow a gap (a restart, a
        # reconnection that could not resume), and READY is when a session starts.
        await self.reread_missed()

    async def on_disconnect(self) -> None:
        self._caught_up = False  # the cursor waits for the next session's rereading

    async def on_resumed(self) -> None:
        # Discord replayed what the session missed: the cursor goes on, if this
        # process had read back what came while it was away.
        self._caught_up = self._read_back

    async def close(self) -> None:
        if self._cursor_keeper is not None:
            self._cursor_keeper.cancel()
        if self._caught_up:
            self._caught_up = False
            await self._record_cursor()
        await super().close()

    async def reread_missed(self) -> None:
        """Hand the engine what people wrote, where a round is open, after the
        cursor: messages written while the bot was away. Commands typed then
        are not replayed; messages already stored are dropped by the engine."""
        seen_up_to = await self.inbox.seen_up_to(PLATFORM)
        places = await self.inbox.places_to_reread(PLATFORM) if seen_up_to else []
        missed: list[discord.Message] = []
        for place in places:
            assert seen_up_to is not None  # places are read back only after a cursor
            for channel_id in place.channel_ids:
                # One channel that cannot be read (gone, no access, not a text
                # channel) leaves the others to be read.
                try:
                    channel = await self._readable(place.chat, int(channel_id))
                    if channel is None:
                        log.info("Discord channel %s has no messages to read back (not a text channel)", channel_id)
                        continue
                    async for message in channel.history(after=discord.Object(int(seen_up_to)), limit=REREAD_LIMIT):
                        if written_by_a_person(message) and not message.content.startswith("/"):
                            missed.append(message)
                except discord.HTTPException as error:
                    log.info("the history of Discord channel %s could not be read (error %s)", channel_id, error.code)
                except Exception:
                    log.exception("the history of Discord channel %s could not be read", channel_id)
        for message in sorted(missed, key=lambda m: m.id):  # in the order they were written
            await self._relay(message)
        if places:
            log.info("read back %d Discord messages written while the bot was away", len(missed))
        self._caught_up = self._read_back = True

    async def _readable(self, chat: ChatRef, channel_id: int) -> discord.abc.Messageable | None:
        if chat.kind == ChatKind.private:
            return self.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        # A channel or thread people wrote in; None for a place without messages (a forum, a category).
        channel = self.get_channel(channel_id) or await self.fetch_channel(channel_id)
        return channel if isinstance(channel, discord.abc.Messageable) else None

    async def _keep_cursor(self) -> None:
        while True:
            await asyncio.sleep(CURSOR_EVERY.total_seconds())
            if self._caught_up:
                try:
                    await self._record_cursor()
                except Exception:
                    log.exception("the Discord cursor could not be recorded; the next attempt follows")

    async def _record_cursor(self) -> None:
        received_until = discord.utils.utcnow() - CURSOR_MARGIN
        await self.inbox.record_seen(PLATFORM, str(discord.utils.time_snowflake(received_until)), received_until)

    async def on_message(self, message: discord.Message) -> None:
        if written_by_a_person(message):
            await self._relay(message)

    async def on_raw_message_edit(self, update: discord.RawMessageUpdateEvent) -> None:
        # An embed unfolding under a link also updates a message, without
        # marking it edited: only the author's edits count.
        if update.data.get("edited_timestamp") and written_by_a_person(update.message):
            await self._relay(update.message, edited=True)

    async def _relay(self, written: discord.Message, edited: bool = False) -> None:
        message = await incoming_message(self, written, self.organiser_role_id, edited=edited)
        if message.thread_id is not None:
            self.chat.remember_thread(message.message_id, message.thread_id)
        with self.chat.answering_message(message.chat, written.author):
            await self.inbox.handle_message(message)

    async def relay_command(self, interaction: discord.Interaction, name: str, argument: str | None) -> None:
        """A slash command, handed to the engine as "/name argument"."""
        chat, thread_id = await place_of(self, interaction.channel)
        if name == ATTACH and chat.kind != ChatKind.private and (refusal := await self._cannot_attach(interaction)):
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        async with self.chat.answering(interaction, chat) as answer:
            # "Thinking…" until the engine answers: Discord allows 3 s for a first response.
            await interaction.response.defer(ephemeral=answer.only_to_sender, thinking=True)
            message = IncomingMessage(
                chat=chat,
                sender=person_of(interaction.user, interaction.locale, self.organiser_role_id),
                message_id=str(interaction.id),
                text=f"/{name} {argument}" if argument else f"/{name}",
                thread_id=thread_id,
            )
            if await self._handled(interaction, self.inbox.handle_message(message)) and not answer.answered:
                await interaction.delete_original_response()

    async def _cannot_attach(self, interaction: discord.Interaction) -> str | None:
        """Why the questions could not be posted where /attach was run, in the
        sender's language: not a text channel (a forum, a voice channel), or
        permissions the bot lacks there (the interaction says which it has)."""
        place: object = interaction.channel
        if isinstance(place, discord.Thread):  # /attach in a thread attaches the channel it belongs to
            place = place.parent or await self.fetch_channel(place.parent_id)
        with reading_in(negotiate(interaction.locale.value, catalog_languages())):
            if not isinstance(place, discord.TextChannel):
                return _(
                    "I can post the questions only in a text channel: run /attach in one, not in a forum, its posts or a voice channel."
                )
            missing = [label for permission, label in NEEDED_TO_POST.items() if not getattr(interaction.app_permissions, permission)]
            if missing:
                return _(
                    "I cannot post the questions here: I lack the permissions {permissions} in this channel. Grant them, then run /attach again."
                ).format(permissions=", ".join(_(label) for label in missing))
        return None

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A button pressed or a select menu option chosen (slash commands go through the tree)."""
        if interaction.type != discord.InteractionType.component:
            return
        data = pressed(interaction)
        if not data:
            return
        chat, _thread_id = await place_of(self, interaction.channel)
        async with self.chat.answering(interaction, chat):
            await interaction.response.defer()  # acknowledged; the engine's answers follow
            press = ButtonPress(
                chat=chat,
                sender=person_of(interaction.user, interaction.locale, self.organiser_role_id),
                data=data,
                message_id=str(interaction.message.id) if interaction.message else None,
                press_id=str(interaction.id),
            )
            await self._handled(interaction, self.inbox.handle_button(press))

    async def _handled(self, interaction: discord.Interaction, handling: Awaitable[None]) -> bool:
        """Run the engine on an interaction; if it fails, tell the person rather than leave them waiting."""
        try:
            await handling
        except Exception:
            log.exception("a Discord interaction could not be handled")
            with reading_in(negotiate(interaction.locale.value, catalog_languages())):
                await interaction.followup.send(_("Something went wrong. Please try again in a moment."), ephemeral=True)
            return False
        return True
