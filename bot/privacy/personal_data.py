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
/forget without being listed here; and, in the tables that name people and
chats by their platform's ids instead, by those ids: every row of one of their
private chats (the replies sent there, the updates received), and the rows
naming one of their accounts (organiser grants and sign-ins to the desk, the
updates they sent, the answers they moved or hid as an organiser). The
saved syntheses quote contributions in their content (`QUOTING`): /mydata
gives the parts placing or quoting the participant's, and /forget takes those
out. `tests/privacy` checks that every table is reached one of these ways, or
holds nothing about anyone (`ABOUT_NO_ONE`).
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import json
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, delete, false, or_, select, tuple_, update
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
    ContributionMove,
    Discussion,
    HandledUpdate,
    HidingAct,
    Message,
    MessageRevision,
    OrganiserGrant,
    Participant,
    PlatformIdentity,
    Question,
    SavedSynthesis,
    Venue,
    WebLink,
)
from bot.text import MIN_REDACTED_LENGTH, NamePattern, name_pattern, redact

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


# The columns that name a person by an account (platform, their id there) rather than by a foreign key.
_ACCOUNT_COLUMNS: dict[type[Base], tuple] = {
    OrganiserGrant: (OrganiserGrant.platform, OrganiserGrant.external_id),
    WebLink: (WebLink.organiser_platform, WebLink.organiser_id),  # a sign-in to the desk
    HandledUpdate: (HandledUpdate.platform, HandledUpdate.sender_id),
    ContributionMove: (ContributionMove.by_platform, ContributionMove.by_user),
    HidingAct: (HidingAct.by_platform, HidingAct.by_user),
}
# What holds nothing about any one person: the discussion's own file and state, and the bot's bookkeeping.
# (A group's questions posted and wrap-ups hang on its venue; a private chat's, on the participant's.)
ABOUT_NO_ONE = frozenset({"discussions", "rounds", "questions", "round_changes", "platform_cursors", "registered_menus"})
# What quotes people in its content, by their contributions' ids: the saved syntheses, whose `content`
# is `bot.reports.synthesis.draft.Synthesis.as_dict` (read here as stored: privacy does not import reports).
QUOTING = frozenset({SavedSynthesis.__tablename__})


def _naming(identities: list[tuple[str, str]], chats: list[tuple[str, str]]) -> dict[Table, ColumnElement[bool]]:
    """For each table that names people or chats by their platform's ids, which rows name one of
    `identities`, or are in one of the participant's private `chats`."""
    conditions: dict[Table, list[ColumnElement[bool]]] = {}
    for model, naming in _naming_accounts(identities).items():
        conditions.setdefault(cast(Table, model.__table__), []).append(naming)
    if chats:
        for table in Base.metadata.sorted_tables:
            if "platform" in table.c and "chat_id" in table.c:
                conditions.setdefault(table, []).append(tuple_(table.c.platform, table.c.chat_id).in_(chats))
    return {table: or_(*each) for table, each in conditions.items()}


def _naming_accounts(identities: list[tuple[str, str]]) -> dict[type[Base], ColumnElement[bool]]:
    return {model: tuple_(*columns).in_(identities) for model, columns in _ACCOUNT_COLUMNS.items()} if identities else {}


async def _private_chats(session: AsyncSession, participant_id: int) -> list[tuple[str, str]]:
    rows = await session.execute(select(Venue.platform, Venue.chat_id).where(Venue.participant_id == participant_id))
    return [(platform, chat_id) for platform, chat_id in rows]


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
    linked = _linked_rows(participant_id)
    named = _naming(await _identities(session, participant_id), await _private_chats(session, participant_id))
    data: dict[str, list[dict]] = {}
    for table in Base.metadata.sorted_tables:
        about = or_(table.c.id.in_(linked[table]) if table in linked else false(), named.get(table, false()))
        if table in linked or table in named:
            rows = await session.execute(select(table).where(about).order_by(table.c.id))
            if found := [{key: _plain(value) for key, value in row.items()} for row in rows.mappings()]:
                data[table.name] = found
    # Which question each contribution answers, by its number rather than an internal id.
    keys = dict((await session.execute(select(Question.id, Question.key))).all())
    for contribution in data.get(Contribution.__tablename__, []):
        contribution["question"] = keys.get(contribution["question_id"])
    theirs = {contribution["id"] for contribution in data.get(Contribution.__tablename__, [])}
    for saved in await session.scalars(select(SavedSynthesis).order_by(SavedSynthesis.id)) if theirs else ():
        if parts := _placing(saved.content, theirs):
            data.setdefault(SavedSynthesis.__tablename__, []).append(
                {"id": saved.id, "discussion_id": saved.discussion_id, "language": saved.language, "themes": parts}
            )
    return data


def _placing(content: dict, contributions: set[int]) -> list[dict]:
    """Where a saved synthesis places `contributions` (a theme, `other` or `new`), with the sentences it took from them."""
    found = []
    for question in content.get("questions", []):
        for theme in question.get("themes", []):
            placed = [number for number in theme.get("contributions", []) if number in contributions]
            sentences = [sentence for sentence in theme.get("sentences", []) if sentence.get("contribution") in contributions]
            if placed or sentences:
                quotes = set(theme.get("quotes", []))
                found.append(
                    {
                        "question": question.get("question"),
                        "theme": theme.get("label"),
                        "contributions": placed,
                        "sentences": [
                            {"contribution": s.get("contribution"), "text": s.get("text"), "quoted": s.get("n") in quotes}
                            for s in sentences
                        ],
                    }
                )
        for part in ("other", "new"):
            if placed := [number for number in question.get(part, []) if number in contributions]:
                found.append({"question": question.get("question"), "theme": part, "contributions": placed, "sentences": []})
    return found


def _without(content: dict, contributions: set[int]) -> dict:
    """A saved synthesis with none of `contributions`: in no theme, `other` or `new`, and none
    of their sentences among a theme's candidates and quotes. The organisers' labels and
    summaries stay, and so does a theme left with nothing, in its place; its counts are
    the bot's, made again at every run."""
    questions = []
    for question in content.get("questions", []):
        themes = []
        for theme in question.get("themes", []):
            sentences = [sentence for sentence in theme.get("sentences", []) if sentence.get("contribution") not in contributions]
            numbers = {sentence.get("n") for sentence in sentences}
            themes.append(
                {
                    **theme,
                    "contributions": [number for number in theme.get("contributions", []) if number not in contributions],
                    "sentences": sentences,
                    "quotes": [number for number in theme.get("quotes", []) if number in numbers],
                }
            )
        others = {part: [number for number in question.get(part, []) if number not in contributions] for part in ("other", "new")}
        questions.append({**question, "themes": themes, **others})
    return {**content, "questions": questions}


async def _forget_in_syntheses(session: AsyncSession, contributions: set[int]) -> None:
    if not contributions:
        return
    for saved in await session.scalars(select(SavedSynthesis)):
        content = _without(saved.content, contributions)
        if content != saved.content:
            saved.content = content  # a new value: the JSON column is not watched for changes in place


# --- forgetting a participant ----------------------------------------------


_SCANNED_MESSAGES = 2_000  # texts read and tested for a forgotten name at a time


async def _forget_mentions(session: AsyncSession, participant: Participant) -> None:
    """Take the participant's name out of what others wrote in the discussions they took part in
    ("I disagree with Marco Grandi's contribution…"): left there, it would name them beside their
    anonymised answers. Their full name and its parts; a platform's display name only whole."""
    display_name = (participant.display_name or "").strip()
    if participant.name:
        mentions = name_pattern((participant.name,))
    elif len(display_name) >= MIN_REDACTED_LENGTH:
        mentions = NamePattern({display_name})
    else:
        return
    if mentions is None:
        return
    discussions = (
        select(Venue.discussion_id)
        .where(Venue.participant_id == participant.id)
        .union(select(Message.discussion_id).where(Message.participant_id == participant.id))
    )
    # Streamed, a batch at a time: every text of the discussion is tested, and neither all of
    # them at once in memory nor one stretch of testing that holds up the bot's other chats.
    connection = await session.connection()
    others = await connection.stream(
        select(Message.id, Message.text)
        .where(
            Message.discussion_id.in_(discussions),
            or_(Message.participant_id.is_(None), Message.participant_id != participant.id),
        )
        .execution_options(yield_per=_SCANNED_MESSAGES)
    )
    naming = [message_id async for batch in others.partitions() for message_id, text in batch if mentions.may_appear_in(text)]
    if not naming:
        return
    messages = await session.scalars(
        select(Message).where(Message.id.in_(naming)).options(selectinload(Message.contributions), selectinload(Message.revisions))
    )
    for message in messages:
        message.text = redact(message.text, mentions)
        for contribution in message.contributions:
            contribution.text = redact(contribution.text, mentions)
        for revision in message.revisions:
            revision.text = redact(revision.text, mentions)


async def forget_participant(session: AsyncSession, participant: Participant) -> None:
    """Delete everything about the participant; their contributions are
    deleted or anonymised per their discussion's `on_forget`."""
    identities = await _identities(session, participant.id)
    # Their private chats' ids, in the updates handled and the messages sent there, would name them too.
    chats = await _private_chats(session, participant.id)
    await handled.forget(session, identities, chats)
    await outgoing.forget_chats(session, chats)
    # Deleted or anonymised below, their contributions are in no synthesis either: not even saved ones.
    await _forget_in_syntheses(
        session, set(await session.scalars(select(Contribution.id).join(Message).where(Message.participant_id == participant.id)))
    )
    names = name_pattern((participant.name, participant.display_name), (participant.organisation,))
    await _forget_mentions(session, participant)
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
    accounts = _naming_accounts(identities)
    unsynchronised = {"synchronize_session": False}
    deleted: tuple[type[Base], ...] = (OrganiserGrant, WebLink)  # their grants and sign-ins to the desk
    for model in deleted:
        if model in accounts:
            await session.execute(delete(model).where(accounts[model]), execution_options=unsynchronised)
    # What they did as an organiser stays on the record of others' answers, no longer saying who did it.
    blanks: tuple[tuple[type[Base], str | None], ...] = ((ContributionMove, None), (HidingAct, "forgotten"))  # `by_user` may be NULL in one
    for model, blank in blanks:
        if model in accounts:
            await session.execute(update(model).where(accounts[model]).values(by_user=blank), execution_options=unsynchronised)
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
