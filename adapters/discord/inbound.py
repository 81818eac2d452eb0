"""discord.py objects turned into the engine's events, at the adapter's edge.

A server channel is the chat the engine knows (the venue an organiser
attached); a thread inside it is only where a message was written, so a
message in a question's thread is a message in the channel with a
`thread_id`, which the engine ties to the question the thread was opened for.
"""

from __future__ import annotations

import logging

import discord

from bot.ports import ChatKind, ChatRef, IncomingMessage, Person

log = logging.getLogger(__name__)

PLATFORM = "discord"
# What people write; system messages (pins, "started a thread", joins) are not contributions.
PEOPLE_MESSAGES = (discord.MessageType.default, discord.MessageType.reply)


def person_of(user: discord.User | discord.Member, locale: discord.Locale | None, organiser_role_id: int | None) -> Person:
    """`locale` is the Discord client's language, known from interactions only."""
    has_role = organiser_role_id is not None and isinstance(user, discord.Member) and user.get_role(organiser_role_id) is not None
    return Person(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.display_name,
        language_code=locale.value if locale is not None else None,
        organiser=has_role,
    )


async def place_of(client: discord.Client, channel: discord.abc.Snowflake | None) -> tuple[ChatRef, str | None]:
    """The chat the engine sees, and the thread inside it the message was written in."""
    if isinstance(channel, discord.PartialMessageable) and channel.guild_id is not None:
        # A thread the cache does not hold (the process restarted since it was
        # opened): ask Discord which channel it belongs to.
        try:
            channel = client.get_channel(channel.id) or await client.fetch_channel(channel.id)
        except discord.HTTPException as error:
            log.info("channel %s could not be looked up (%s); its message is ignored", channel.id, error.code)
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        return ChatRef(PLATFORM, str(channel.parent_id), ChatKind.group, parent.name if parent else ""), str(channel.id)
    if isinstance(channel, (discord.DMChannel, discord.GroupChannel)) or (
        isinstance(channel, discord.PartialMessageable) and channel.guild_id is None
    ):
        return ChatRef(PLATFORM, str(channel.id), ChatKind.private), None
    assert channel is not None  # Discord names the channel of every message and interaction the bot is given
    return ChatRef(PLATFORM, str(channel.id), ChatKind.group, getattr(channel, "name", "") or ""), None


def written_by_a_person(message: discord.Message) -> bool:
    return not message.author.bot and message.webhook_id is None and message.type in PEOPLE_MESSAGES


async def incoming_message(
    client: discord.Client, message: discord.Message, organiser_role_id: int | None, edited: bool = False
) -> IncomingMessage:
    chat, thread_id = await place_of(client, message.channel)
    reply_to = None
    if message.type == discord.MessageType.reply and message.reference is not None and message.reference.message_id:
        reply_to = str(message.reference.message_id)
    return IncomingMessage(
        chat=chat,
        sender=person_of(message.author, None, organiser_role_id),
        message_id=str(message.id),
        text=message.content,
        reply_to=reply_to,
        thread_id=thread_id,
        edited=edited,
        attachment_only=not message.content.strip() and bool(message.attachments or message.stickers),
        sent_at=message.created_at,
    )
