"""Telegram objects to the engine's events, and the engine's messages to what
the Bot API accepts. Nothing from python-telegram-bot goes past this edge."""

from __future__ import annotations

import re

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from bot.ports import Button, ButtonPress, ChatKind, ChatRef, IncomingMessage, Person

PLATFORM = "telegram"
MAX_TEXT = 4096  # a message's limit, in UTF-16 code units as Telegram counts them
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_TOPIC_NAME = 128
ANONYMOUS_ADMIN_ID = 1087968824  # "GroupAnonymousBot": the sender of an admin posting as the group

_CHAT_KINDS = {Chat.PRIVATE: ChatKind.private, Chat.GROUP: ChatKind.group, Chat.SUPERGROUP: ChatKind.group, Chat.CHANNEL: ChatKind.channel}


def chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(PLATFORM, str(chat.id), _CHAT_KINDS.get(chat.type, ChatKind.group), chat.title or chat.full_name or "")


def person(user: User) -> Person:
    return Person(PLATFORM, str(user.id), user.full_name, user.language_code)


def incoming_message(message: Message, bot_username: str, edited: bool = False) -> IncomingMessage | None:
    """The engine's view of a message, or None for what the engine should not
    see: service messages (someone joined, a topic was created…), channel
    posts and messages sent in a channel's name (a linked channel's automatic
    forwards included: no person wrote them), commands addressed to another
    bot, and, in groups, photos or stickers that answer nothing of ours."""
    if message.from_user is None or message.sender_chat is not None or message.is_automatic_forward:
        return None
    raw = message.text if message.text is not None else message.caption
    if raw is None:
        if message.effective_attachment is None:
            return None  # a service message
        if message.chat.type != Chat.PRIVATE and not _replies_to(message, bot_username):
            return None  # pictures shared in a group are not addressed to the bot
    if raw and raw.startswith("/") and not _addressed_to_us(raw, bot_username):
        return None
    text, undecodable = _valid_text(raw or "")
    forum_topic = bool(message.chat.is_forum and message.is_topic_message and message.message_thread_id)
    reply = message.reply_to_message
    # In a forum, a message that replies to nothing "replies" to its topic's creation; that is no reply.
    replied = reply is not None and not (forum_topic and reply.forum_topic_created is not None)
    return IncomingMessage(
        chat=chat_ref(message.chat),
        sender=person(message.from_user),
        message_id=str(message.message_id),
        text=text,
        reply_to=str(reply.message_id) if replied and reply is not None else None,
        # Outside forums, message_thread_id names a chain of replies, not a topic: the reply says enough.
        thread_id=str(message.message_thread_id) if forum_topic else None,
        edited=edited,
        edit_version=str(int(message.edit_date.timestamp())) if edited and message.edit_date else None,
        undecodable=undecodable,
        attachment_only=raw is None,
        sent_at=message.date,
    )


def button_press(query: CallbackQuery) -> ButtonPress | None:
    if query.data is None or query.message is None:
        return None
    topic = query.message.message_thread_id if isinstance(query.message, Message) and query.message.is_topic_message else None
    return ButtonPress(
        chat=chat_ref(query.message.chat),
        sender=person(query.from_user),
        data=query.data,
        message_id=str(query.message.message_id),
        thread_id=str(topic) if topic else None,
        press_id=query.id,
    )


def is_anonymous_admin(message: Message) -> bool:
    return message.from_user is not None and message.from_user.id == ANONYMOUS_ADMIN_ID


def _addressed_to_us(text: str, bot_username: str) -> bool:
    """In groups, "/start@other_bot" is for another bot."""
    command = text.split(maxsplit=1)[0]
    _name, at, addressee = command.partition("@")
    return not at or addressee.lower() == bot_username.lower()


def _replies_to(message: Message, bot_username: str) -> bool:
    original = message.reply_to_message
    return original is not None and original.from_user is not None and (original.from_user.username or "").lower() == bot_username.lower()


def _valid_text(text: str) -> tuple[str, bool]:
    """Telegram's JSON can carry lone UTF-16 surrogates, which are not text."""
    try:
        text.encode("utf-8")
        return text, False
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace").decode("utf-8"), True


# --- outgoing -------------------------------------------------------------------


def inline_keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One button a row: the engine's labels are short sentences."""
    if not buttons:
        return None
    for button in buttons:
        if len(button.data.encode("utf-8")) > MAX_CALLBACK_DATA:
            raise ValueError(f"button data longer than Telegram's {MAX_CALLBACK_DATA} bytes: {button.data[:20]!r}…")
    return InlineKeyboardMarkup([[InlineKeyboardButton(button.label, callback_data=button.data)] for button in buttons])


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# From the widest cut to the narrowest: paragraphs, lines, sentences, words.
_BOUNDARIES = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"(?<=[.!?…;。！？])\s+"), re.compile(r"\s+"))


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Text in parts Telegram accepts, cut at paragraph, else line, else
    sentence, else word boundaries; only a word longer than a whole message
    is cut inside."""
    return [part for part in _split(text, limit, 0) if part.strip()]


def _split(text: str, limit: int, level: int) -> list[str]:
    if telegram_length(text) <= limit:
        return [text.strip()]
    if level == len(_BOUNDARIES):
        return _hard_cut(text, limit)
    parts: list[str] = []
    current = ""
    for piece in _cut_after(text, _BOUNDARIES[level]):
        if telegram_length(current + piece.rstrip()) <= limit:
            current += piece
            continue
        if current.strip():
            parts.append(current.strip())
        current = ""
        if telegram_length(piece.rstrip()) <= limit:
            current = piece
        else:
            parts.extend(_split(piece, limit, level + 1))
    if current.strip():
        parts.append(current.strip())
    return parts


def _cut_after(text: str, boundary: re.Pattern[str]) -> list[str]:
    pieces, start = [], 0
    for match in boundary.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _hard_cut(text: str, limit: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    length = 0
    for char in text:
        size = telegram_length(char)
        if length + size > limit:
            parts.append("".join(current))
            current, length = [], 0
        current.append(char)
        length += size
    if current:
        parts.append("".join(current))
    return parts
