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
from bot.storage.models import Contribution, Question
from facilitator.assembly import make_engine
from tests.adapters.web.conftest import csrf_of
from tests.helpers import join, open_round, organiser, stored_contributions

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


async def test_an_answer_sent_in_a_chat_and_edited_on_the_page_moves_to_the_question_the_edit_names(served, platform, user):
    engine, client = served
    await open_round(engine, await organiser(engine, user))
    ana = await join(engine, user, "ana", "es")
    await engine.handle_message(ana.message("Q1: los hermanamientos con Dakar"))
    await engine.handle_message(ana.message("/web"))
    await client.get(link_in(platform.last(ana.dm).text))
    page = (await client.get("/me")).text
    [(contribution_id,)] = await stored_contributions(engine.sessions, Contribution.id)
    await client.post("/me/edit", data={"csrf": csrf_of(page), "contribution": str(contribution_id), "text": "Q3: una red de ciudades"})
    assert await stored_contributions(engine.sessions, Question.key, Contribution.text) == [("1.3", "una red de ciudades")]
    # An edit naming no question keeps the answer where it is.
    await client.post("/me/edit", data={"csrf": csrf_of(page), "contribution": str(contribution_id), "text": "Una red de ciudades."})
    assert await stored_contributions(engine.sessions, Question.key, Contribution.text) == [("1.3", "Una red de ciudades.")]
