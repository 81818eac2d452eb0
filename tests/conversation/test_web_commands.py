"""/web and /desk: links sent in a private chat, that open the participant's
page and the desk; never in a group; /desk for organisers only."""

from __future__ import annotations

import re

import httpx
import pytest

from adapters.web import WebChat
from adapters.web.app import make_app
from bot.ports import Secret
from bot.storage.database import session_factory
from facilitator.assembly import make_engine
from tests.helpers import organiser

URL = "http://127.0.0.1:8080"


@pytest.fixture
async def served(database, platform, clock, example):
    engine = make_engine(session_factory(database), [platform], clock=clock, web_url=URL)
    await engine.load(example)
    web = WebChat(URL, session_secret=Secret("test"))
    engine.attach(web)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app(engine, web.session_secret)), base_url=URL) as client:
        yield engine, client
    await engine.drain()


def link_in(text: str) -> str:
    match = re.search(re.escape(URL) + r"(/p/[A-Za-z0-9_-]{40,})", text)
    assert match, text
    return match.group(1)


async def test_web_sends_a_personal_link_that_opens_the_senders_page(served, platform, user):
    engine, client = served
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_message(ana.message("/web"))
    reply = platform.last(ana.dm).text
    assert "60" in reply and "página" in reply
    assert (await client.get(link_in(reply))).headers["location"] == "/me"
    page = await client.get("/me")
    assert page.status_code == 200 and '<html lang="es">' in page.text


async def test_no_link_is_given_in_a_group_and_the_desk_is_for_organisers(served, platform, user):
    engine, client = served
    ana = user("ana", "en")
    await engine.handle_message(ana.message("/web", group="g1"))
    assert URL not in " ".join(platform.texts("g1"))
    await engine.handle_message(ana.message("/desk"))
    assert URL not in platform.last(ana.dm).text
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/desk"))
    link = link_in(platform.last(boss.dm).text)
    assert (await client.get(link)).headers["location"] == "/desk"
    assert (await client.get("/desk")).status_code == 200
