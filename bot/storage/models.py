"""The database schema. The database is the source of truth: every process
(the running bot, the CLI, scheduled jobs) reads and writes state here, never
keeps it only in memory.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import ClassVar, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.ports import ChatKind


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC times")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar = {dt.datetime: UTCDateTime()}


class RoundStatus(str, enum.Enum):
    scheduled = "scheduled"
    open = "open"
    closed = "closed"


class Role(str, enum.Enum):
    participant = "participant"
    local_authority = "local_authority"
    organiser = "organiser"


class ContributionStatus(str, enum.Enum):
    filed = "filed"
    pending = "pending"  # waiting for the participant to say which question


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, validate_strings=True)


class Discussion(Base):
    __tablename__ = "discussions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    languages: Mapped[list] = mapped_column(JSON)
    timezone: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict] = mapped_column(JSON)
    invitation: Mapped[dict] = mapped_column(JSON)
    reminder_offsets: Mapped[list] = mapped_column(JSON, default=list)  # seconds before closing
    on_forget: Mapped[str] = mapped_column(String(16), default="anonymise")
    # When the web page shows others' published answers under a question (spec.OTHERS_ANSWERS).
    others_answers: Mapped[str] = mapped_column(String(16), default="after_answering", server_default="after_answering")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_hours: Mapped[bool] = mapped_column(Boolean, default=True)  # reminders avoid nights; off in rehearsals
    quiet_from: Mapped[str] = mapped_column(String(5), default="21:00", server_default="21:00")  # local time, HH:MM
    quiet_until: Mapped[str] = mapped_column(String(5), default="08:00", server_default="08:00")
    source: Mapped[str] = mapped_column(Text, default="")
    loaded_at: Mapped[dt.datetime]

    rounds: Mapped[list[Round]] = relationship(back_populates="discussion", order_by="Round.number")


class RoundState(Protocol):
    """A round's times and status: a stored `Round`, or a turn's row of it."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def status(self) -> RoundStatus: ...
    @property
    def opens_at(self) -> dt.datetime: ...
    @property
    def closes_at(self) -> dt.datetime: ...
    @property
    def opened_at(self) -> dt.datetime | None: ...
    @property
    def closed_at(self) -> dt.datetime | None: ...


class TimedRound(RoundState, Protocol):
    """A round with what its times say (`RoundTiming`)."""

    def closed_by(self, moment: dt.datetime) -> bool: ...


class RoundTiming:
    """What a round's times say, for a stored `Round` and a turn's row of it alike."""

    __slots__ = ()

    def closed_by(self: RoundState, moment: dt.datetime) -> bool:
        """Whether it had closed at `moment`: an answer sent then to one of its questions is late."""
        return self.status == RoundStatus.closed and (self.closed_at or self.closes_at) <= moment

    @property
    def held(self: RoundState) -> tuple[dt.datetime, dt.datetime]:
        """When it opened and closed as it happened (by hand, early or late), else as planned."""
        opened = self.opened_at if self.status != RoundStatus.scheduled and self.opened_at else self.opens_at
        closed = self.closed_at if self.status == RoundStatus.closed and self.closed_at else self.closes_at
        return opened, closed


class Round(Base, RoundTiming):
    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("discussion_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    number: Mapped[int]
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus), default=RoundStatus.scheduled)
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]

    discussion: Mapped[Discussion] = relationship(back_populates="rounds")
    questions: Mapped[list[Question]] = relationship(back_populates="round", order_by="Question.position")


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("discussion_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    texts: Mapped[dict] = mapped_column(JSON)

    round: Mapped[Round] = relationship(back_populates="questions")


# The first step of subscribing: until it is answered, the language a participant reads in is a guess.
LANGUAGE_STEP = "language"


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.participant)
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    consent: Mapped[bool | None]  # None: not asked or skipped; published only when True
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: as their role has it (local authority staff get reminders, others do not); True/False: they chose.
    reminders: Mapped[bool | None] = mapped_column(Boolean, default=None)
    onboarding_step: Mapped[str | None] = mapped_column(String(20))  # the prompt the next message answers (LANGUAGE_STEP first)
    created_at: Mapped[dt.datetime]

    identities: Mapped[list[PlatformIdentity]] = relationship(back_populates="participant")


class PlatformIdentity(Base):
    __tablename__ = "platform_identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)

    participant: Mapped[Participant] = relationship(back_populates="identities")


class OrganiserGrant(Base):
    """Who may run a discussion, by platform identity, so an organiser can be
    named before they ever write to the bot."""

    __tablename__ = "organiser_grants"
    __table_args__ = (UniqueConstraint("discussion_id", "platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    from_file: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_at: Mapped[dt.datetime]


class Venue(Base):
    """A chat where the discussion is posted: a participant's private chat, or
    a group or channel with its language. A chat follows one discussion."""

    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ChatKind] = mapped_column(_enum(ChatKind))
    language: Mapped[str | None] = mapped_column(String(16))  # groups; private chats follow the participant
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]

    participant: Mapped[Participant | None] = relationship()


class Delivery(Base):
    """A question posted in a venue, with the platform's message id so that a
    reply to it, or a message in its thread, is tied to it."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("venue_id", "question_id"),
        Index("ix_deliveries_venue_message", "venue_id", "message_id"),
        Index("ix_deliveries_venue_thread", "venue_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    posted_at: Mapped[dt.datetime]


class Message(Base):
    """A participant's message as received. Unique per platform, chat and
    message id, so a message delivered twice is stored once."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "message_id"),
        # The desk's figures (contributions per language and day, contributors) read these alone, not the wide rows;
        # PostgreSQL's carries the id too (SQLite's holds its rowid anyway), to find each message's contributions.
        Index("ix_messages_discussion_language_received", "discussion_id", "language", "received_at", postgresql_include=["id"]),
        Index("ix_messages_discussion_participant", "discussion_id", "participant_id"),
        # In id order, as SQLite's holds it anyway: PostgreSQL's meets the contributions' (message_id, position)
        # index in a merge join for the desk's per-day figure, the language and time read from it alone.
        Index("ix_messages_discussion_id", "discussion_id", "id", postgresql_include=["language", "received_at"]),
        # A sender's latest message in a chat, which every turn reads (a text sent twice in a row is stored once):
        # one entry found, however many messages the participant wrote, in a busy group too.
        Index("ix_messages_participant_id", "participant_id", "platform", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime]
    edited_at: Mapped[dt.datetime | None]

    contributions: Mapped[list[Contribution]] = relationship(
        back_populates="message", order_by="Contribution.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[MessageRevision]] = relationship(order_by="MessageRevision.id", cascade="all, delete-orphan")


class MessageRevision(Base):
    """An earlier text of an edited message."""

    __tablename__ = "message_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    replaced_at: Mapped[dt.datetime]


class Contribution(Base):
    """One answer: the part of a message tied to one question (or pending)."""

    __tablename__ = "contributions"
    __table_args__ = (
        UniqueConstraint("message_id", "position"),
        # The desk's counts per question, and its answers still waiting for theirs.
        Index("ix_contributions_question_hidden_status", "question_id", "hidden", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"), index=True)
    status: Mapped[ContributionStatus] = mapped_column(_enum(ContributionStatus))
    text: Mapped[str] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[list] = mapped_column(JSON, default=list)  # offered question keys while pending
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    asked_at: Mapped[dt.datetime | None]  # when its author was last asked which question: a typed id answers the latest ask

    message: Mapped[Message] = relationship(back_populates="contributions")
    question: Mapped[Question | None] = relationship()


class ContributionEmbedding(Base):
    """A contribution's meaning, as the linking model sees it (`bot.linking.meaning`): computed
    after the commit, so that no reply waits for it, and kept for the synthesis to reuse."""

    __tablename__ = "contribution_embeddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), unique=True)
    model: Mapped[str] = mapped_column(String(64))  # which model made it: vectors of two models do not compare
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, unit length
    created_at: Mapped[dt.datetime]


class OrganiserQuestion(Base):
    """A participant's question to the organisers rather than an answer ("Can I send our
    report as a PDF?"): passed on to them in private, and listed in /status."""

    __tablename__ = "organiser_questions"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[dt.datetime]


class ContributionMove(Base):
    """A contribution tied to another question (moved by its author, or filed
    by an organiser): the earlier question is kept for the record and the report."""

    __tablename__ = "contribution_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    from_question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))  # None: it was pending
    to_question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    by_organiser: Mapped[bool] = mapped_column(Boolean, default=False)
    by_platform: Mapped[str | None] = mapped_column(String(20))  # the organiser who filed or moved it, as a platform identity
    by_user: Mapped[str | None] = mapped_column(String(64))  # ("cli", "") from the command line
    moved_at: Mapped[dt.datetime]


class Ask(Base):
    """A "which question does this answer?" as sent, with the platform's
    message id: a question id sent in reply to it answers about its text."""

    __tablename__ = "asks"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime]


class HandledUpdate(Base):
    """An update handled, by its platform's identity (a message, an edit of it,
    a button press), recorded in the transaction of its effects: the same update
    delivered again (Telegram after a crash, Discord's read-back) changes nothing."""

    __tablename__ = "handled_updates"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "kind", "external_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # "message", "edit", "press"
    external_id: Mapped[str] = mapped_column(String(64))  # the message's, or the press's, id on the platform
    version: Mapped[str] = mapped_column(String(100), default="")  # an edit's: which edit
    sender_id: Mapped[str] = mapped_column(String(64))  # who sent it: /forget takes their updates' ids away too
    handled_at: Mapped[dt.datetime]


class OutboxMessage(Base):
    """A reply decided while handling an update, written in the transaction
    that decided it and sent after the commit; one left unsent (a crash) is
    sent at the next start. Once sent it keeps the platform's message id, and
    its content is cleared (what it echoed is no longer kept twice)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    chat_kind: Mapped[ChatKind] = mapped_column(_enum(ChatKind))
    chat_title: Mapped[str] = mapped_column(Text, default="")
    thread_id: Mapped[str | None] = mapped_column(String(64))
    reply_to: Mapped[str | None] = mapped_column(String(64))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list] = mapped_column(JSON, default=list)  # [label, data] pairs
    attachment_name: Mapped[str | None] = mapped_column(Text)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    given_up_at: Mapped[dt.datetime | None]  # the platform refused it for good
    message_id: Mapped[str | None] = mapped_column(String(64))  # the platform's, once sent


# What a start looks for: the few rows not sent yet, among every reply ever sent.
_unsent = OutboxMessage.sent_at.is_(None) & OutboxMessage.given_up_at.is_(None)
Index("ix_outbox_unsent", OutboxMessage.id, sqlite_where=_unsent, postgresql_where=_unsent)


class InboundUpdate(Base):
    """An update fetched from a platform that confirms what it handed out
    (Telegram's getUpdates offset), kept from its fetching until it is handled:
    it is confirmed once held, so that one chat's backlog never holds up the
    fetching of another's, and a crash meanwhile leaves it here to be handled
    at the next start. Its payload is the platform's, opaque to the engine."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("platform", "external_id"), Index("ix_inbound_updates_platform_id", "platform", "id"))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(64))  # the platform's id of the update
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime]


class ReminderSent(Base):
    """A reminder already sent, so a re-run job never sends it twice."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("round_id", "participant_id", "offset_seconds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    offset_seconds: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[dt.datetime]


class WrapUp(Base):
    """A closed round's wrap-up posted in a venue, recorded right after the
    platform accepts it, so a re-run closing never posts it twice."""

    __tablename__ = "wrap_ups"
    __table_args__ = (UniqueConstraint("venue_id", "round_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[dt.datetime]


class RoundChange(Base):
    """An organiser's change to a round's dates (extended, postponed), with the
    file's dates it was made against: reloading an unchanged file keeps the
    change; a file that gives the round new dates wins over it."""

    __tablename__ = "round_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    file_opens_at: Mapped[dt.datetime]
    file_closes_at: Mapped[dt.datetime]
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    changed_at: Mapped[dt.datetime]


class PlatformCursor(Base):
    """How far a platform's messages were received live: on a platform that
    does not keep messages for an absent bot (Discord), what came after is
    read back from the chats' history at the next start."""

    __tablename__ = "platform_cursors"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    seen_up_to: Mapped[str] = mapped_column(String(64))  # the platform's own message id (or an id made from a time)
    updated_at: Mapped[dt.datetime]


class RegisteredMenu(Base):
    """The command menu last registered with a platform, as a digest: it is
    registered again only when it changes (Discord limits how often)."""

    __tablename__ = "registered_menus"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256, hex
    registered_at: Mapped[dt.datetime]


class HidingAct(Base):
    """An organiser hid a contribution, or showed it again: who, when, why.
    Kept for the record; the desk lists them."""

    __tablename__ = "hiding_acts"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="CASCADE"), index=True)
    hidden: Mapped[bool] = mapped_column(Boolean)  # False: shown again
    by_platform: Mapped[str] = mapped_column(String(20))
    by_user: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime]


class WebLink(Base):
    """A personal link to the web: a participant's page (used again until it
    expires or is revoked), or an organiser's one-time sign-in to the desk.
    Only the token's SHA-256 is kept, so the table cannot be read for links."""

    __tablename__ = "web_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    organiser_platform: Mapped[str | None] = mapped_column(String(20))  # a desk sign-in: whose
    organiser_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class SavedSynthesis(Base):
    """The consolidated response's themes per question, in one language
    (`bot.reports.synthesis.draft.Synthesis.as_dict`): as the organisers reviewed them, so
    that every later report and draft starts from their edits; or, before any review, as
    last grouped, so that a report need not group 100,000 contributions again."""

    __tablename__ = "syntheses"
    __table_args__ = (UniqueConstraint("discussion_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict] = mapped_column(JSON)
    reviewed_at: Mapped[dt.datetime | None]  # None: not reviewed yet
    saved_at: Mapped[dt.datetime]
