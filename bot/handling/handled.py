"""Which updates were handled: a message, an edit of it, a button press, by
the identity its platform gives it. The identity is recorded in the
transaction of the update's effects, so an update delivered again (Telegram's
unconfirmed batch after a crash, Discord's read-back of a message it saw live)
is known and changes nothing: no profile field set twice, no typed choice
filing another answer, no command run again, no second reply."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.ports import ButtonPress, IncomingMessage
from bot.storage.models import HandledUpdate

MESSAGE, EDIT, PRESS = "message", "edit", "press"


@dataclass(frozen=True)
class UpdateIdentity:
    platform: str
    chat_id: str
    kind: str
    external_id: str
    sender_id: str
    version: str = ""


def of_message(message: IncomingMessage) -> UpdateIdentity | None:
    """A message is known by its id; an edit by its id and which edit it is, when
    the platform tells (else None: an edit that changes nothing changes nothing)."""
    chat = message.chat
    if not message.edited:
        return UpdateIdentity(chat.platform, chat.chat_id, MESSAGE, message.message_id[:64], message.sender.user_id[:64])
    if message.edit_version is None:
        return None
    # Two edits within the same second of the platform's clock differ by their text.
    digest = hashlib.sha256(message.text.encode("utf-8", errors="replace")).hexdigest()[:32]
    version = f"{message.edit_version[:60]}:{digest}"
    return UpdateIdentity(chat.platform, chat.chat_id, EDIT, message.message_id[:64], message.sender.user_id[:64], version)


def of_press(press: ButtonPress) -> UpdateIdentity | None:
    """A press is known by the platform's id for it; without one (the console,
    e-mail's numbered replies), a press is taken as it comes."""
    if press.press_id is None:
        return None
    return UpdateIdentity(press.chat.platform, press.chat.chat_id, PRESS, press.press_id[:64], press.sender.user_id[:64])


# Whether the update bound as `update_*` was handled: read as a column of the
# turn's context query, or alone. Without an identity, `update_kind` is NULL and matches nothing.
_HANDLED = select(HandledUpdate.id).where(
    HandledUpdate.platform == bindparam("update_platform"),
    HandledUpdate.chat_id == bindparam("update_chat_id"),
    HandledUpdate.kind == bindparam("update_kind"),
    HandledUpdate.external_id == bindparam("update_external_id"),
    HandledUpdate.version == bindparam("update_version"),
)
KNOWN = _HANDLED.exists().label("handled_before")


def parameters(update: UpdateIdentity | None) -> dict[str, str | None]:
    """The bound values `KNOWN` reads."""
    if update is None:
        return {"update_platform": None, "update_chat_id": None, "update_kind": None, "update_external_id": None, "update_version": None}
    return {
        "update_platform": update.platform,
        "update_chat_id": update.chat_id,
        "update_kind": update.kind,
        "update_external_id": update.external_id,
        "update_version": update.version,
    }


async def already_handled(connection: AsyncConnection, update: UpdateIdentity) -> bool:
    return await connection.scalar(_HANDLED, parameters(update)) is not None


_RECORD = insert(cast(Table, HandledUpdate.__table__))  # no entity: nothing reads the row back in the turn


async def record(connection: AsyncConnection, update: UpdateIdentity, now: dt.datetime) -> None:
    """Recorded with the update's effects, on the connection of their transaction (a plain insert:
    the session's own execution adds nothing to it); two handlings at once meet the table's uniqueness."""
    await connection.execute(
        _RECORD,
        {
            "platform": update.platform,
            "chat_id": update.chat_id,
            "kind": update.kind,
            "external_id": update.external_id,
            "version": update.version,
            "sender_id": update.sender_id,
            "handled_at": now,
        },
    )


async def forget(session: AsyncSession, identities: list[tuple[str, str]], chats: list[tuple[str, str]]) -> None:
    """A forgotten person's updates (their ids would find what they wrote on the
    platform) and those of their private chats go with them."""
    conditions = [tuple_(HandledUpdate.platform, HandledUpdate.sender_id).in_(identities)] if identities else []
    if chats:
        conditions.append(tuple_(HandledUpdate.platform, HandledUpdate.chat_id).in_(chats))
    if conditions:
        await session.execute(delete(HandledUpdate).where(or_(*conditions)))
