"""The edge: a web form becomes the engine's own events. A participant's page
is their private chat on the platform "web" (chat and user id: their
participant number); an organiser at the desk writes as themself, by the
identity their grant names, in a desk "chat" of their own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

from bot.ports import ButtonPress, ChatKind, ChatRef, IncomingMessage, Person
from bot.ports.web import DeskQuery

PLATFORM = "web"


def form_text(raw: bytes) -> tuple[str, bool]:
    """A form field's bytes as text, and whether bytes that were not UTF-8 had to be replaced."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True


def participant_chat(participant_id: int) -> tuple[ChatRef, Person]:
    return ChatRef(PLATFORM, str(participant_id), ChatKind.private), Person(PLATFORM, str(participant_id))


def _form_id(nonce: str) -> str:
    """The form's nonce, when it is one the page wrote, else a fresh id."""
    return nonce if nonce and len(nonce) <= 64 and nonce.isalnum() else uuid.uuid4().hex


def participant_message(
    participant_id: int, text: str, *, undecodable: bool = False, question: str | None = None, nonce: str = ""
) -> IncomingMessage:
    """`nonce` comes with the form: a form sent twice (a reload, a double click) is one message, stored once."""
    chat, person = participant_chat(participant_id)
    return IncomingMessage(
        chat=chat, sender=person, message_id=_form_id(nonce), text=text, undecodable=undecodable, question=question or None
    )


def participant_edit(participant_id: int, message_id: str, text: str, *, question: str | None = None, nonce: str = "") -> IncomingMessage:
    """A message sent from the page, edited there: delivered as a chat delivers an edit (its id, its new
    text), so that the engine links it again. The edit form's `nonce` tells which edit it is: sent twice, it is one."""
    chat, person = participant_chat(participant_id)
    return IncomingMessage(
        chat=chat,
        sender=person,
        message_id=message_id[:64],
        text=text,
        edited=True,
        edit_version=_form_id(nonce),
        question=question or None,
    )


def participant_press(participant_id: int, data: str) -> ButtonPress:
    chat, person = participant_chat(participant_id)
    return ButtonPress(chat=chat, sender=person, data=data)


def desk_chat(organiser: tuple[str, str]) -> ChatRef:
    """The organiser's desk, as the chat their actions are sent from and answered in."""
    platform, user_id = organiser
    return ChatRef(PLATFORM, f"desk-{platform}-{user_id}", ChatKind.private)


def desk_command(organiser: tuple[str, str], language: str, command: str) -> IncomingMessage:
    """A desk button as the organiser's own chat command: the engine checks their rights as for any chat."""
    platform, user_id = organiser
    return IncomingMessage(
        chat=desk_chat(organiser),
        sender=Person(platform, user_id, language_code=language),
        message_id=uuid.uuid4().hex,
        text=command,
    )


def desk_query(params: Mapping[str, str]) -> DeskQuery:
    """The desk's filters from its query string; anything malformed is left out."""
    page = params.get("page", "1")
    return DeskQuery(
        question=params.get("question") or None,
        language=(params.get("language") or "")[:16] or None,
        late=params.get("late") == "on",
        edited=params.get("edited") == "on",
        hidden=params.get("hidden") == "on",
        search=(params.get("search") or "")[:200],
        page=int(page) if page.isdigit() and len(page) < 7 else 1,
        waiting=params.get("waiting") == "on",
        participants=params.get("participants") == "on",
    )


def desk_address(query: DeskQuery, page: int) -> str:
    """The desk's address for another page of the same list, its filters kept: `desk_query`'s inverse."""
    on = {"waiting": query.waiting, "participants": query.participants, "late": query.late, "edited": query.edited, "hidden": query.hidden}
    fields = {"question": query.question, "language": query.language, "search": query.search} | {
        name: "on" for name, chosen in on.items() if chosen
    }
    return "/desk?" + urlencode({**{name: value for name, value in fields.items() if value}, "page": page})
