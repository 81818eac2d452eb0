"""The web's fixtures: the app on the engine of tests/conftest.py, an HTTP
client in the test's own event loop, and personal links made as the CLI
and the chat commands make them."""

from __future__ import annotations

import re

import httpx
import pytest

from adapters.web import WebChat
from adapters.web.app import make_app
from bot.conversation import web_access
from bot.discussion import store
from bot.ports import Secret
from bot.storage.models import Participant


@pytest.fixture
async def web(engine):
    """The web platform attached to the engine, and a client of its app."""
    chat = WebChat("http://127.0.0.1:8080", session_secret=Secret("test-session-secret"))
    engine.attach(chat)
    app = make_app(engine, chat.session_secret)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8080") as client:
        yield client


async def participant_link(engine, name: str = "Ana Pérez", language: str | None = "es") -> str:
    """A contact's personal link, as `facilitator web links` prints it (the path only)."""
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        participant = Participant(display_name=name, name=name, language=language, created_at=engine.clock())
        session.add(participant)
        await session.flush()
        token = await web_access.issue_participant_link(session, discussion, participant, engine.clock())
        await session.commit()
    return f"/p/{token}"


async def desk_link(engine, platform: str, user_id: str) -> str:
    async with engine.sessions() as session:
        discussion = await store.find_discussion(session)
        token = await web_access.issue_desk_link(session, discussion, platform, user_id, engine.clock())
        await session.commit()
    return f"/p/{token}"


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def button_of(page: str, label: str) -> str:
    """The data a button of the page sends, found by the start of its label, as a reader finds it."""
    match = re.search(r'name="data" value="([^"]+)">\s*<button type="submit"[^>]*>' + re.escape(label), page)
    assert match, f"the page has no button labelled {label!r}…"
    return match.group(1)


def edit_form_of(page: str, contribution_id: int) -> dict[str, str]:
    """The fields of the page's edit form for an answer, as the browser sends them (the text to be filled in)."""
    match = re.search(
        r'<form method="post" action="/me/edit">((?:(?!</form>).)*id="edit-' + str(contribution_id) + r'".*?)</form>', page, re.S
    )
    assert match, f"the page has no edit form for answer #{contribution_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(1)))
