"""What participants can do about their personal data, and what organisers
can do about contributions that must not be published.

- /mydata sends a participant everything stored about them, as JSON.
- /forget deletes their profile, platform accounts and chats with the bot,
  and deletes or anonymises their contributions as the discussion's file says
  (`on_forget`). Anonymised contributions are kept with no link to the
  person: no participant, no chat or message id that would find them on the
  platform, no earlier texts, and their name and organisation blanked out of
  the text where they wrote them.
- /hide N and /unhide N (organisers): a hidden contribution appears in no
  report or export, and stays in the database for the record.

"Stored about a participant" is found by following the schema's foreign keys
from their row, so a table added later is covered by both /mydata and
/forget without being listed here.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import json
from typing import cast

from sqlalchemy import Select, Table, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.handling import handled, outgoing
from bot.handling.buttons import button_data
from bot.handling.command import N_, Command
from bot.handling.turn import Turn
from bot.i18n import _
from bot.ports import Button, OutgoingMessage
from bot.storage.models import (
    Base,
    Contribution,
    Discussion,
    Message,
    MessageRevision,
    OrganiserGrant,
    Participant,
    PlatformIdentity,
    Question,
    Venue,
)
from bot.text import name_pattern, redact

FORGET_CONFIRMED, FORGET_CANCELLED = button_data("forget", "confirm"), button_data("forget", "cancel")

# --- what is stored about a participant ------------------------------------


def _linked_rows(participant_id: int) -> dict[Table, Select]:
    """For each table holding rows about the participant, a query of those
    rows' ids: their participant row, and every row that points at it,
    directly or through another such row (messages → contributions…)."""
    participants = cast(Table, Participant.__table__)  # a declarative model's table: typed as any FromClause
    linked: dict[Table, Select] = {participants: select(participants.c.id).where(participants.c.id == participant_id)}
    for table in Base.metadata.sorted_tables:  # parents before children
        conditions = [
            foreign_key.parent.in_(linked[foreign_key.column.table])
            for foreign_key in table.foreign_keys
            if foreign_key.column.table in linked and table not in linked
        ]
        if conditions:
            linked[table] = select(table.c.id).where(or_(*conditions))
    return linked


def _identity_grants(identities: list[tuple[str, str]]):
    return or_(
        *(and_(OrganiserGrant.platform == platform, OrganiserGrant.external_id == external_id) for platform, external_id in identities)
    )


async def _identities(session: AsyncSession, participant_id: int) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(PlatformIdentity.platform, PlatformIdentity.external_id).where(PlatformIdentity.participant_id == participant_id)
    )
    return [(platform, external_id) for platform, external_id in rows]


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):  # an answer's embedding: numbers, written as base64
        return base64.b64encode(value).decode()
    if isinstance(value, enum.Enum):
        return value.value
    return value


async def stored_about(session: AsyncSession, participant_id: int) -> dict[str, list[dict]]:
    """Every row stored about the participant, by table, every column."""
    data: dict[str, list[dict]] = {}
    for table, ids in _linked_rows(participant_id).items():
        rows = await session.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id))
        data[table.name] = [{key: _plain(value) for key, value in row.items()} for row in rows.mappings()]
    identities = await _identities(session, participant_id)
    if identities:
        grants = await session.execute(select(OrganiserGrant.__table__).where(_identity_grants(identities)))
        data[OrganiserGrant.__tablename__] = [{k: _plain(v) for k, v in row.items()} for row in grants.mappings()]
    # Which question each contribution answers, by its number rather than an internal id.
    keys = dict((await session.execute(select(Question.id, Question.key))).all())
    for contribution in data.get(Contribution.__tablename__, []):
        contribution["question"] = keys.get(contribution["question_id"])
    return data


# --- forgetting a participant ----------------------------------------------


async def forget_participant(session: AsyncSession, participant: Participant) -> None:
    """Delete everything about the participant; their contributions are
    deleted or anonymised per their discussion's `on_forget`."""
    identities = await _identities(session, participant.id)
    # Their private chats' ids, in the updates handled and the messages sent there, would name them too.
    chats = list((await session.execute(select(Venue.platform, Venue.chat_id).where(Venue.participant_id == participant.id))).tuples())
    await handled.forget(session, identities, chats)
    await outgoing.forget_chats(session, chats)
    names = name_pattern((participant.name, participant.display_name), (participant.organisation,))
    messages = await session.scalars(
        select(Message)
        .where(Message.participant_id == participant.id)
        .options(selectinload(Message.contributions), selectinload(Message.revisions))
    )
    policies = dict((await session.execute(select(Discussion.id, Discussion.on_forget))).all())
    for message in messages:
        if policies.get(message.discussion_id) == "delete":
            await session.delete(message)  # its contributions and earlier texts with it
            continue
        message.revisions.clear()  # earlier texts may say what the participant took out
        message.participant_id = None
        # The chat and message ids would find the message, and its author, on the platform.
        message.chat_id = "forgotten"
        message.message_id = f"forgotten-{message.id}"
        message.text = redact(message.text, names)
        for contribution in message.contributions:
            contribution.text = redact(contribution.text, names)
    await session.flush()

    messages_table = Message.__table__
    kept = {messages_table, Contribution.__table__, MessageRevision.__table__}
    linked = _linked_rows(participant.id)
    for table in reversed(list(linked)):  # children before parents
        if table not in kept:
            await session.execute(delete(table).where(table.c.id.in_(linked[table])), execution_options={"synchronize_session": False})
    if identities:
        await session.execute(delete(OrganiserGrant).where(_identity_grants(identities)), execution_options={"synchronize_session": False})
    session.expunge(participant)


# --- commands ----------------------------------------------------------------


async def mydata(turn: Turn, args: list[str]) -> None:
    if not turn.private:
        turn.reply(_("Write to me in a private chat: I send your data only there."))
        return
    if turn.participant is None:
        turn.reply(_("Nothing is stored about you."))
        return
    data = await stored_about(turn.session, turn.participant.id)
    content = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    turn.replies.append(
        OutgoingMessage(
            chat=turn.chat,
            text=_("Here is everything stored about you. /forget deletes it."),
            attachment=("my-data.json", content),
        )
    )


async def forget(turn: Turn, args: list[str]) -> None:
    if not turn.private:
        turn.reply(_("Write to me in a private chat to be forgotten."))
        return
    if turn.participant is None:
        turn.reply(_("Nothing is stored about you."))
        return
    deletes = turn.discussion is not None and turn.discussion.on_forget == "delete"
    turn.reply(
        _("This deletes your profile, your accounts with me and all your answers. It cannot be undone. Go ahead?")
        if deletes
        else _(
            "This deletes your profile and your accounts with me. Your answers stay in the discussion, with nothing "
            "left that links them to you (your name and organisation are blanked out where you wrote them). "
            "It cannot be undone. Go ahead?"
        ),
        buttons=(Button(_("Yes, forget me"), FORGET_CONFIRMED), Button(_("Cancel"), FORGET_CANCELLED)),
    )


async def handle_button(turn: Turn, data: str) -> bool:
    """The /forget confirmation. Returns False for any other button."""
    if data not in (FORGET_CONFIRMED, FORGET_CANCELLED):
        return False
    if turn.participant is None:
        turn.reply(_("Nothing is stored about you."))
        return True
    if data == FORGET_CANCELLED:
        turn.reply(_("Nothing was deleted."))
        return True
    deletes = turn.discussion is not None and turn.discussion.on_forget == "delete"
    if turn.venue is not None and turn.venue.participant_id == turn.participant.id:
        turn.session.expunge(turn.venue)
        turn.venue = None
    await forget_participant(turn.session, turn.participant)
    turn.participant = None
    turn.forgotten = True
    turn.reply(
        _("Done: your profile, your accounts with me and your answers are deleted. Goodbye!")
        if deletes
        else _("Done: your profile and your accounts with me are deleted; your answers are no longer linked to you. Goodbye!")
    )
    return True


COMMANDS: tuple[Command, ...] = (
    Command("mydata", N_("everything stored about you"), mydata),
    Command("forget", N_("delete your profile and data"), forget),
)
