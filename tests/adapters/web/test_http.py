"""The web's HTTP layer without a browser: links, sessions, CSRF, and bad
input answered in the reader's language, on the real database."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import json
import re
import socket

import httpx
from sqlalchemy import func, select

from adapters.web import WebChat
from adapters.web.app import REPORT_FORMATS
from bot.conversation import web_access
from bot.ports import Secret
from bot.storage.models import Contribution, ContributionMove, HidingAct, MessageRevision, Participant, Question, Round, RoundStatus
from tests.adapters.web.conftest import button_of, csrf_of, desk_link, edit_form_of, participant_link
from tests.helpers import join, open_round, organiser, stored_contributions


async def signed_in(web, engine, **kwargs) -> str:
    response = await web.get(await participant_link(engine, **kwargs))
    assert response.status_code == 303 and response.headers["location"] == "/me"
    page = await web.get("/me")
    assert page.status_code == 200
    return page.text


async def test_a_participant_answers_a_question_in_its_box_and_is_answered_in_their_language(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine)
    assert '<html lang="es">' in page
    assert "1.1" in page and 'for="answer-1.1"' in page
    assert "La ronda 1 está abierta hasta el " in page and "(Europe/Brussels)" in page, "when it closes"
    form = {"csrf": csrf_of(page), "nonce": "n1", "question": "1.2", "text": "Hermanamientos con la diáspora."}
    answered = await web.post("/me/answer", data=form)
    assert answered.status_code == 200
    assert "1.2" in answered.text and "Gracias" in answered.text
    again = await web.post("/me/answer", data=form)  # a reload sends the same form again
    assert again.status_code == 200
    assert await stored_contributions(engine.sessions, Contribution.text) == [("Hermanamientos con la diáspora.",)]


async def test_a_box_of_a_round_not_yet_open_files_nothing_under_its_question(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine)
    form = {"csrf": csrf_of(page), "nonce": "n1", "question": "2.1", "text": "Hermanamientos con la diáspora."}
    await web.post("/me/answer", data=form)
    assert [key for (key,) in await stored_contributions(engine.sessions, Question.key)] != ["2.1"]


async def test_before_the_first_round_the_page_says_when_it_opens(web, engine, user):
    page = await signed_in(web, engine)
    assert "La ronda 1 se abre el " in page


async def test_what_people_typed_is_escaped_and_the_page_is_locked_down(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine, name="<b>Ana</b>")
    form = {"csrf": csrf_of(page), "question": "1.1", "text": "<script>alert('x')</script> Nuestra experiencia municipal."}
    answered = await web.post("/me/answer", data=form)
    assert "<script>alert" not in answered.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in answered.text
    assert "&lt;b&gt;Ana&lt;/b&gt;" in answered.text  # the profile form shows the name, escaped
    assert "default-src 'none'" in answered.headers["content-security-policy"]
    assert answered.headers["referrer-policy"] == "no-referrer"


async def test_bad_answers_are_refused_in_the_readers_language(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine)
    csrf = csrf_of(page)
    empty = await web.post("/me/answer", data={"csrf": csrf, "question": "1.1", "text": "   "})
    assert "vacío" in empty.text
    long_text = "Nuestra experiencia municipal." * 700  # 21,000 characters
    long = await web.post("/me/answer", data={"csrf": csrf, "question": "1.1", "text": long_text})
    assert re.search(r"21[.\s\u202f]?000", long.text), "the refusal says how long it was"
    assert f"required>{long_text}</textarea>" in long.text, "the refused text is back in its box, none of it lost"
    body = b"csrf=" + csrf.encode() + b"&question=1.1&text=caf%E9+municipal"  # Latin-1, not UTF-8
    broken = await web.post("/me/answer", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert broken.status_code == 200 and "no se pudo leer" in broken.text.lower()
    assert await stored_contributions(engine.sessions, Contribution.text) == []


async def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_stored(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    await signed_in(web, engine)
    for form in (
        {"question": "1.1", "text": "Nuestra experiencia."},
        {"csrf": "forged", "question": "1.1", "text": "Nuestra experiencia."},
    ):
        refused = await web.post("/me/answer", data=form, headers={"accept-language": "es-ES,es;q=0.9"})
        assert refused.status_code == 403
    assert await stored_contributions(engine.sessions, Contribution.id) == []


async def test_forged_expired_and_revoked_links_open_nothing(web, engine, clock):
    forged = await web.get("/p/" + "A" * 43, headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert forged.status_code == 403 and '<html lang="fr">' in forged.text
    link = await participant_link(engine)
    clock.advance(days=61)
    expired = await web.get(link)
    assert expired.status_code == 403
    assert "set-cookie" not in expired.headers

    clock.now -= dt.timedelta(days=61)
    assert (await web.get(link)).status_code == 303
    assert (await web.get("/me")).status_code == 200
    async with engine.sessions() as session:
        participant_id = await session.scalar(select(Participant.id))
        assert await web_access.revoke_links(session, participant_id, clock()) == 1
        await session.commit()
    assert (await web.get("/me")).status_code == 401  # the session ends with its link
    assert (await web.get(link)).status_code == 403


async def test_the_desk_refuses_participants_and_its_sign_in_link_works_once(web, engine, user):
    await signed_in(web, engine)
    assert (await web.get("/desk")).status_code == 403
    boss = await organiser(engine, user)
    sign_in = await desk_link(engine, boss.platform.name, boss.user_id)
    assert (await web.get(sign_in)).headers["location"] == "/desk"
    desk = await web.get("/desk")
    assert desk.status_code == 200 and "Open round 1" in desk.text
    assert (await web.get(sign_in)).status_code == 403  # single use
    stranger = await desk_link(engine, "memory", "nobody")
    assert (await web.get(stranger)).status_code == 303
    assert (await web.get("/desk")).status_code == 403  # signed in, but organises nothing
    for path in ("/desk/confirm?command=open_round&args=1", "/desk/schedule", "/desk/report?lang=en&format=docx"):
        assert (await web.get(path)).status_code == 403, path
    for path in ("/desk/command", "/desk/file"):
        assert (await web.post(path, data={"command": "open_round", "args": "1"})).status_code == 403, path


async def test_an_organiser_who_takes_part_keeps_their_page_and_the_desk_in_one_browser(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    await signed_in(web, engine)  # a participant's own link
    assert (await web.get(await desk_link(engine, boss.platform.name, boss.user_id))).headers["location"] == "/desk"
    assert (await web.get("/desk")).status_code == 200
    page = await web.get("/me")
    assert page.status_code == 200 and 'for="answer-1.1"' in page.text, "their page, still"
    form = {"csrf": csrf_of(page.text), "nonce": "n1", "question": "1.2", "text": "Hermanamientos con la diáspora."}
    assert (await web.post("/me/answer", data=form)).status_code == 200
    assert "Hermanamientos con la diáspora." in (await web.get("/desk?question=1.2")).text


async def test_an_organiser_opens_a_round_and_hides_a_contribution_from_the_desk(web, engine, user):
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    assert '<html lang="en">' in (await web.get("/desk?lang=en")).text
    confirm = await web.get("/desk/confirm?command=open_round&args=1")
    assert '<p class="action">Open round 1</p>' in confirm.text and "/open_round" not in confirm.text, "in the desk's words"
    opened = await web.post(
        "/desk/command", data={"csrf": csrf_of(confirm.text), "command": "open_round", "args": "1"}, follow_redirects=True
    )
    assert opened.status_code == 200 and "open" in opened.text
    assert [step.status_code for step in opened.history] == [303], "answered by a redirect to the desk"
    reloaded = await web.get("/desk")
    assert "its questions are being posted" in opened.text and "its questions are being posted" not in reloaded.text
    person = user("ana", "es")
    await engine.handle_message(person.message("/start"))
    await engine.handle_message(person.message("1.1: Nuestra experiencia municipal con la diáspora."))
    [(contribution_id,)] = await stored_contributions(engine.sessions, Contribution.id)
    listed = await web.get("/desk?question=1.1")
    assert "Nuestra experiencia municipal" in listed.text
    hidden = await web.post(
        "/desk/command", data={"csrf": csrf_of(listed.text), "command": "hide", "args": str(contribution_id)}, follow_redirects=True
    )
    assert hidden.status_code == 200 and "is hidden" in hidden.text and "/unhide" not in hidden.text, "the desk has its button"
    assert await stored_contributions(engine.sessions, Contribution.hidden) == [(True,)]
    refused = await web.post("/desk/command", data={"csrf": csrf_of(listed.text), "command": "forget", "args": ""}, follow_redirects=True)
    assert refused.status_code == 200 and await stored_contributions(engine.sessions, Contribution.hidden) == [(True,)]


async def test_forget_me_after_a_confirmation(web, engine, user):
    page = await signed_in(web, engine)
    asked = await web.post("/me/forget", data={"csrf": csrf_of(page)})
    assert "forget:confirm" in asked.text
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.id)) is not None
    done = await web.post("/me/button", data={"csrf": csrf_of(asked.text), "data": "forget:confirm"}, headers={"accept-language": "en"})
    assert done.status_code == 200
    assert '<html lang="es">' in done.text, "the goodbye is in the language of her page, not of her browser"
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.id)) is None
    assert (await web.get("/me")).status_code == 401


async def test_the_desk_filters_searches_and_pages_a_questions_contributions_and_lists_participants(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    ana, john = user("ana", "es"), user("john", "en")
    for person in (ana, john):
        await engine.handle_message(person.message("/start"))
    await engine.handle_message(ana.message("1.1: Nuestra experiencia municipal con 50% de migrantes, más o menos."))
    await engine.handle_message(john.message("1.1: Twinning between towns works, in our experience."))
    for n in range(55):
        await engine.handle_message(john.message(f"1.1: Answer number {n} about twinning."))
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))

    everything = (await web.get("/desk?question=1.1")).text
    assert "Contributions that match: 57." in everything and everything.count('class="answer"') == 50
    assert "page=2#shown" in everything
    second = (await web.get("/desk?question=1.1&page=2")).text
    assert second.count('class="answer"') == 7
    spanish = (await web.get("/desk?question=1.1&language=es")).text
    assert "Contributions that match: 1." in spanish and "Nuestra experiencia" in spanish
    literal = (await web.get("/desk?question=1.1&search=50%25")).text  # "50%": the % is a character, not a wildcard
    assert "Contributions that match: 1." in literal
    shouted = (await web.get("/desk?question=1.1&search=M%C3%81S+O+MENOS")).text
    assert "Contributions that match: 1." in shouted, "the accented capital is found as the small letter written"
    nothing = (await web.get("/desk?question=1.1&hidden=on")).text
    assert "Contributions that match: 0." in nothing

    people = (await web.get("/desk?participants=on")).text
    assert "Ana" in people and "John" in people
    assert "Europe/Brussels" in people  # the rounds' times in the discussion's zone, beside UTC


async def test_an_answer_edited_keeps_its_earlier_text_moves_and_my_data_downloads(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine)
    csrf = csrf_of(page)
    await web.post("/me/answer", data={"csrf": csrf, "question": "1.1", "text": "Primera versión de la respuesta."})
    [(contribution_id,)] = await stored_contributions(engine.sessions, Contribution.id)
    edited = await web.post("/me/edit", data={"csrf": csrf, "contribution": str(contribution_id), "text": "Segunda versión."})
    assert "el texto anterior se conserva" in edited.text
    moved = await web.post("/me/move", data={"csrf": csrf, "contribution": str(contribution_id), "question": "1.3"})
    assert "pregunta 1.3" in moved.text
    assert await stored_contributions(engine.sessions, Question.key, Contribution.text) == [("1.3", "Segunda versión.")]
    async with engine.sessions() as session:
        assert list(await session.scalars(select(MessageRevision.text))) == ["Primera versión de la respuesta."]
    refused = await web.post("/me/edit", data={"csrf": csrf, "contribution": "999999", "text": "No es mía."})
    assert "no es suya" in refused.text
    await web.post("/me/move", data={"csrf": csrf, "contribution": str(contribution_id), "question": "2.1"})
    assert await stored_contributions(engine.sessions, Question.key) == [("1.3",)], "round 2 has not opened"
    await web.post("/me/move", data={"csrf": csrf, "contribution": str(contribution_id), "question": "1.3"})
    async with engine.sessions() as session:
        assert await session.scalar(select(func.count(ContributionMove.id))) == 1, "moved once: 1.3 to 1.3 is no move"
    download = await web.get("/me/data.json")
    assert download.headers["content-disposition"].startswith("attachment;")
    data = json.loads(download.content)
    assert data["participants"][0]["name"] == "Ana Pérez"
    assert [c["text"] for c in data["contributions"]] == ["Segunda versión."]


async def test_a_profile_form_changes_only_the_fields_it_sends_each_cut_to_what_it_holds(web, engine, user):
    page = await signed_in(web, engine, name="Ana Pérez")
    csrf = csrf_of(page)
    await web.post("/me/profile", data={"csrf": csrf})
    await web.post("/me/profile", data={"csrf": csrf, "country": "España " * 40})
    async with engine.sessions() as session:
        ana = await session.scalar(select(Participant))
    assert ana.name == "Ana Pérez", "a form without the name keeps it"
    assert ana.country is not None and len(ana.country) == 100 and ana.country.startswith("España España")
    await web.post("/me/profile", data={"csrf": csrf, "name": "", "organisation": "", "country": ""})
    async with engine.sessions() as session:
        ana = await session.scalar(select(Participant))
    assert (ana.name, ana.organisation, ana.country) == (None, None, None), "emptied on purpose"


async def test_the_desk_says_what_happens_next(web, engine, user, clock):
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    page = await web.get("/desk/schedule?lang=en")
    assert page.status_code == 200
    assert "What happens next:" in page.text and "round 2 opens" in page.text.lower()


async def test_the_desk_counts_answers_per_language_and_utc_day_each_answer_of_a_message_once(web, engine, user, clock):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    ana, john = user("ana", "es"), user("john", "en")
    for person in (ana, john):
        await engine.handle_message(person.message("/start"))
    await engine.handle_message(ana.message("1.1: Nuestra experiencia municipal con la diáspora es muy positiva."))
    clock.advance(hours=13, minutes=30)  # 23:30 UTC, already the next day in Brussels: the day counted is UTC's
    await engine.handle_message(
        john.message("1.1: Twinning between towns works well for us.\n\n1.2: A common fund managed by the municipalities.")
    )
    clock.advance(hours=1)
    await engine.handle_message(ana.message("1.2: Un fondo común gestionado por los municipios y la diáspora."))
    assert len(await stored_contributions(engine.sessions, Contribution.id)) == 4
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    desk = (await web.get("/desk?lang=en")).text
    assert "<li>es: 2</li>" in desk and "<li>en: 2</li>" in desk
    days = re.findall(r'<th scope="row">([\d-]+)</th><td><meter[^>]*>(\d+)</meter>', desk)
    assert days == [("2013-07-08", "3"), ("2013-07-09", "1")]


async def test_hiding_from_the_desk_keeps_who_when_and_why_and_the_desk_shows_it(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_message(ana.message("1.1: Nuestra experiencia municipal con la diáspora."))
    [(contribution_id,)] = await stored_contributions(engine.sessions, Contribution.id)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    listed = (await web.get("/desk?question=1.1")).text
    form = {"csrf": csrf_of(listed), "command": "hide", "args": str(contribution_id), "reason": "<i>spam</i> link"}
    assert (await web.post("/desk/command", data=form, follow_redirects=True)).status_code == 200
    await engine.handle_message(boss.message(f"/unhide {contribution_id} appeal accepted"))
    async with engine.sessions() as session:
        acts = (await session.execute(select(HidingAct.hidden, HidingAct.by_user, HidingAct.reason).order_by(HidingAct.id))).all()
    assert [tuple(act) for act in acts] == [(True, "boss", "<i>spam</i> link"), (False, "boss", "appeal accepted")]
    overview = (await web.get("/desk")).text
    assert "&lt;i&gt;spam&lt;/i&gt; link" in overview and "appeal accepted" in overview and "memory:boss" in overview


async def test_others_answers_are_shown_after_answering_named_only_with_consent(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    named = await join(engine, user, "named", "es", consent="named", name="Mamadou Sene", organisation="Ville de Dakar", country="Sénégal")
    unnamed = await join(engine, user, "unnamed", "fr", name="Jeanne Martin")
    await engine.handle_message(named.message("1.1: Como señaló la diáspora, los hermanamientos funcionan."))
    await engine.handle_message(unnamed.message("1.1: Je suis Jeanne Martin et le jumelage marche."))
    await engine.handle_message(unnamed.message("1.2: Un fonds commun."))
    page = await signed_in(web, engine, name="Howard Duncan", language="en")
    assert "Como señaló" not in page  # nothing before answering the question
    answered = (await web.post("/me/answer", data={"csrf": csrf_of(page), "question": "1.1", "text": "I agree with Mamadou Sene."})).text
    assert '<blockquote class="published" lang="es">' in answered
    assert "Mamadou Sene, Ville de Dakar, Sénégal" in answered
    assert "le jumelage marche" in answered and "Jeanne Martin" not in answered  # anonymous, her name taken out
    assert "Un fonds commun" not in answered  # a question the reader has not answered


async def test_a_discussion_file_may_show_others_answers_at_once(web, engine, user, example):
    await engine.load(dataclasses.replace(example, others_answers="at_once"))
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    named = await join(engine, user, "named", "es", consent="named", name="Mamadou Sene", organisation="Ville de Dakar", country="Sénégal")
    await engine.handle_message(named.message("1.2: Un fondo común gestionado por los municipios."))
    page = await signed_in(web, engine, name="Howard Duncan", language="en")
    assert "under each question" in page
    assert '<blockquote class="published" lang="es">' in page  # before the reader answered anything
    assert "Un fondo común" in page and "Mamadou Sene, Ville de Dakar, Sénégal" in page


async def test_links_tried_by_the_dozen_from_one_address_are_refused_for_a_while(web, engine):
    link = await participant_link(engine)
    for n in range(30):
        assert (await web.get(f"/p/forged-{n}")).status_code == 403
    assert (await web.get(link)).status_code == 429  # even a good one, until the minute has passed


async def test_every_form_refuses_a_post_without_its_csrf_token(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    await signed_in(web, engine)
    for path in ("/me/answer", "/me/button", "/me/edit", "/me/move", "/me/profile", "/me/forget"):
        refused = await web.post(path, data={"question": "1.1", "text": "Nuestra experiencia.", "data": "lang:fr", "name": "X"})
        assert refused.status_code == 403, path
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    assert (await web.get("/desk")).status_code == 200
    for path in ("/desk/command", "/desk/file"):
        refused = await web.post(path, data={"command": "close_round", "args": "1", "contribution": "1", "question": "1.2"})
        assert refused.status_code == 403, path
    assert await stored_contributions(engine.sessions, Contribution.id) == []
    async with engine.sessions() as session:
        assert await session.scalar(select(Round.status).where(Round.number == 1)) == RoundStatus.open


async def test_a_wrong_question_is_corrected_with_the_buttons_the_chats_offer(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine)
    answered = await web.post("/me/answer", data={"csrf": csrf_of(page), "question": "1.1", "text": "Un fondo común municipal."})
    wrong = button_of(answered.text, "¿Pregunta equivocada?")  # as in a chat
    offered = await web.post("/me/button", data={"csrf": csrf_of(answered.text), "data": wrong})
    assert "¿A qué pregunta responde? Elija una." in offered.text and "envíe /move" not in offered.text, "no chat command on a page"
    moved = await web.post("/me/button", data={"csrf": csrf_of(offered.text), "data": button_of(offered.text, "1.2 · ")})
    assert moved.status_code == 200 and "1.2" in moved.text
    assert await stored_contributions(engine.sessions, Question.key) == [("1.2",)]


async def test_the_language_and_consent_buttons_are_the_chats_own(web, engine, user):
    page = await signed_in(web, engine)
    french = await web.post("/me/button", data={"csrf": csrf_of(page), "data": button_of(page, "Français")})
    assert '<html lang="fr">' in french.text
    anonymous = await web.post("/me/button", data={"csrf": csrf_of(page), "data": button_of(french.text, "Anonymement")})
    assert 'aria-pressed="true">Anonymement<' in anonymous.text
    async with engine.sessions() as session:
        participant = await session.scalar(select(Participant))
        assert (participant.language, participant.consent, participant.anonymous) == ("fr", True, True)


async def test_the_desk_postpones_a_round_moves_an_answer_and_lists_who_did_what(web, engine, user):
    boss = await organiser(engine, user)
    await engine.handle_message(boss.message("/timezone America/Bogota"))
    await open_round(engine, boss, 1)
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    await engine.handle_message(ana.message("1.1: Nuestra experiencia municipal con la diáspora."))
    [(contribution_id,)] = await stored_contributions(engine.sessions, Contribution.id)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    overview = (await web.get("/desk?lang=en")).text
    assert "Your time (America/Bogota)" in overview and "Times in Europe/Brussels" in overview
    assert "/desk/confirm?command=postpone_round&amp;args=2%201d" in overview
    async with engine.sessions() as session:
        opens = await session.scalar(select(Round.opens_at).where(Round.number == 2))
    confirm = await web.get("/desk/confirm?command=postpone_round&args=2%201d")
    assert "Postpone round 2 by a day" in confirm.text
    await web.post(
        "/desk/command", data={"csrf": csrf_of(confirm.text), "command": "postpone_round", "args": "2 1d"}, follow_redirects=True
    )
    async with engine.sessions() as session:
        assert await session.scalar(select(Round.opens_at).where(Round.number == 2)) == opens + dt.timedelta(days=1)

    listed = (await web.get("/desk?question=1.1")).text
    assert f'for="move-{contribution_id}"' in listed
    moved = await web.post(
        "/desk/file", data={"csrf": csrf_of(listed), "contribution": str(contribution_id), "question": "1.3"}, follow_redirects=True
    )
    assert f"Answer #{contribution_id} is filed under question 1.3." in moved.text
    assert await stored_contributions(engine.sessions, Question.key) == [("1.3",)]
    overview = (await web.get("/desk")).text
    assert f"moved to question 1.3</td><td>{boss.platform.name}:{boss.user_id}</td>" in overview  # who moved it, kept


async def test_the_answers_waiting_for_their_question_are_listed_searched_and_filed_a_page_at_a_time(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    ana = user("ana", "es")
    await engine.handle_message(ana.message("/start"))
    for n in range(52):  # no question named: each waits for an organiser
        await engine.handle_message(ana.message(f"Respuesta sin número {n}: los ayuntamientos colaboran."))
    waiting = [cid for (cid,) in await stored_contributions(engine.sessions, Contribution.id)]
    assert len(waiting) == 52
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    overview = (await web.get("/desk?lang=en")).text
    assert overview.count('action="/desk/file"') == 50 and "All 52 answers waiting" in overview
    listed = (await web.get("/desk?waiting=on&page=2")).text
    assert "Contributions that match: 52." in listed and listed.count('class="answer"') == 2
    assert "/desk?waiting=on&amp;page=1#shown" in listed
    searched = (await web.get("/desk?waiting=on&search=n%C3%BAmero+7%3A")).text
    assert "Contributions that match: 1." in searched
    filed = await web.post(
        "/desk/file", data={"csrf": csrf_of(searched), "contribution": str(waiting[7]), "question": "1.2"}, follow_redirects=True
    )
    assert f"Answer #{waiting[7]} is filed under question 1.2." in filed.text
    assert "Contributions that match: 51." in (await web.get("/desk?waiting=on")).text
    assert "filed under question 1.2" in (await web.get("/desk")).text


async def test_the_overview_counts_contributions_per_question_language_day_country_and_role(web, engine, user, clock):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    ana = await join(engine, user, "ana", "es", consent="named", name="Ana Pérez", country="España", role="local_authority")
    john = await join(engine, user, "john", "en")
    await engine.handle_message(ana.message("1.1: Nuestra experiencia municipal con la diáspora es muy positiva."))
    await engine.handle_message(
        ana.message("1.1: Los hermanamientos funcionan bien.\n\n1.2: Un fondo común gestionado por los municipios.")
    )
    clock.advance(days=1)
    await engine.handle_message(john.message("1.2: Twinning between towns works well in our experience."))
    hidden_id = (await stored_contributions(engine.sessions, Contribution.id))[-1][0]
    await engine.handle_message(boss.message(f"/hide {hidden_id} off topic"))
    marie = await join(engine, user, "marie", "fr")
    await engine.handle_message(marie.message("Je réponds à la 1.2 dans mon prochain message."))  # an answer announced, none yet
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    overview = (await web.get("/desk?lang=en")).text
    assert "Participants who answered: 2." in overview
    assert re.search(r"1\.1</a></th>.*?2 shown, 0 hidden", overview, re.S) and re.search(
        r"1\.2</a></th>.*?1 shown, 1 hidden", overview, re.S
    )
    assert "<li>es: 3</li>" in overview and "<li>en: 1</li>" in overview
    days = re.findall(r'<th scope="row">(2013-07-\d\d)</th><td><meter[^>]*>\d+</meter></td><td>(\d+)</td>', overview)
    assert days == [("2013-07-08", "3"), ("2013-07-09", "1")]
    assert "<li>España: 1</li>" in overview and "<li>—: 1</li>" in overview
    assert "<li>local or regional authority staff: 1</li>" in overview and "<li>participant: 1</li>" in overview


async def test_without_a_session_every_page_asks_for_the_personal_link_again(web):
    for path in ("/me", "/me/data.json", "/desk", "/desk/confirm?command=pause", "/desk/schedule", "/desk/report?lang=en&format=md"):
        refused = await web.get(path, headers={"accept-language": "es"})
        assert refused.status_code == 401 and "Abra de nuevo su enlace personal" in refused.text, path
    for path in ("/me/answer", "/me/button", "/me/edit", "/me/move", "/me/profile", "/me/forget", "/desk/command", "/desk/file"):
        assert (await web.post(path, data={"text": "x"})).status_code == 401, path


TITLES = {"fr": "Promouvoir une approche territoriale", "en": "Promoting a territorial approach", "es": "Promover un enfoque territorial"}


async def test_the_desk_downloads_the_report_in_every_format_and_language(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    ana = await join(engine, user, "ana", "es", consent="named", name="Ana Pérez")
    await engine.handle_message(ana.message("1.1: Nuestra experiencia municipal con la diáspora."))
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    for language, format in [*(("fr", format) for format in REPORT_FORMATS), ("en", "md"), ("es", "md")]:
        download = await web.get(f"/desk/report?lang={language}&format={format}")
        assert download.status_code == 200, (language, format)
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;") and disposition.endswith(f".{format}"), disposition
        assert download.content
        if format == "md":  # the report speaks the language asked
            assert TITLES[language] in download.content.decode(), language


async def test_an_edit_on_the_page_is_linked_again_as_a_chat_edit_is(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine, language="en")
    await web.post("/me/answer", data={"csrf": csrf_of(page), "question": "1.1", "nonce": "n1", "text": "Twinning works well in our town."})
    await web.post(
        "/me/answer",
        data={"csrf": csrf_of(page), "nonce": "n2", "text": "Q2: a common fund for the towns.\n\nQ3: training local officials."},
    )
    boxed, fund, training = (cid for (cid,) in await stored_contributions(engine.sessions, Contribution.id))
    page = (await web.get("/me")).text
    assert "Edit what you sent, answers #2, #3" in page, "a message of several answers is edited whole, as in a chat"

    typo = await web.post("/me/edit", data=edit_form_of(page, boxed) | {"text": "Twinning works very well in our town."})
    assert "Your edit is saved under 1.1" in typo.text, "an edit without a question's number stays under its box's"
    moved = await web.post("/me/edit", data=edit_form_of(page, boxed) | {"text": "Q4: Twinning works very well in our town."})
    assert "Your edit is saved under 1.4" in moved.text
    again = await web.post("/me/edit", data=edit_form_of(page, boxed) | {"text": "Q4: Twinning works very well in our town."})
    assert again.status_code == 200  # the same form sent twice is one edit
    both = edit_form_of(page, fund) | {"text": "Q5: a common fund for the towns.\n\nQ3: training local officials."}
    await web.post("/me/edit", data=both)
    assert await stored_contributions(engine.sessions, Contribution.id, Question.key, Contribution.text) == [
        (boxed, "1.4", "Twinning works very well in our town."),
        (fund, "1.5", "a common fund for the towns."),
        (training, "1.3", "training local officials."),
    ]
    async with engine.sessions() as session:
        assert len(list(await session.scalars(select(MessageRevision.text)))) == 3


async def test_only_the_answer_whose_text_changed_is_marked_edited(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    page = await signed_in(web, engine, language="en")
    text = "Q2: a common fund for the towns.\n\nQ3: training local officials."
    await web.post("/me/answer", data={"csrf": csrf_of(page), "nonce": "n1", "text": text})
    fund, training = (cid for (cid,) in await stored_contributions(engine.sessions, Contribution.id))
    page = (await web.get("/me")).text
    edited = await web.post("/me/edit", data=edit_form_of(page, fund) | {"text": text.replace("training", "training and paying")})
    tags = dict(re.findall(r"<h3[^>]*>#(\d+) · .*?\n(.*?)</h3>", edited.text))
    assert "edited" not in tags[str(fund)] and "edited" in tags[str(training)], tags
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    for key, shown in (("1.2", False), ("1.3", True)):
        listed = (await web.get(f"/desk?question={key}&edited=on")).text
        assert ("Contributions that match: 1." in listed) is shown, key
        if shown:
            assert '<span class="tag">edited</span>' in listed


async def test_a_page_refused_after_too_many_links_says_when_to_try_again_and_good_links_do_not_count(web, engine):
    links = [await participant_link(engine, name=f"Person {n}") for n in range(31)]
    for link in links:  # behind a proxy, everyone's opening shares one address: opening is not trying
        assert (await web.get(link)).status_code == 303
    for n in range(30):
        assert (await web.get(f"/p/forged-{n}")).status_code == 403
    refused = await web.get(links[0])
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_an_unknown_link_says_whom_to_ask_without_a_chat_command_for_those_who_have_no_chat(web):
    refused = (await web.get("/p/" + "A" * 43, headers={"accept-language": "en"})).text
    assert "Ask the organisers for a new one; if you also write to the bot in a chat app, sending it /web there" in refused


async def test_a_confirmation_asks_only_for_what_the_desks_own_links_ask(web, engine, user):
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    for command, args in (("postpone_round", "2 30d"), ("extend_round", "9d"), ("open_round", "x"), ("next_round", ""), ("forget", "")):
        asked = await web.get(f"/desk/confirm?command={command}&args={args}")
        assert asked.status_code == 303 and asked.headers["location"] == "/desk", (command, args)
    extend = (await web.get("/desk/confirm?command=extend_round&args=1d&lang=en")).text
    assert '<p class="action">Extend the open round by a day</p>' in extend


@contextlib.asynccontextmanager
async def served_by_uvicorn(engine):
    """The web served by Uvicorn on a port of this machine, as `facilitator run` serves it, and a client of it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chat = WebChat(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}", Secret("test-session-secret"))
    engine.attach(chat)
    serving = asyncio.create_task(chat.serve(engine))
    while chat.server is None or not chat.server.started:
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=chat.public_url) as client:
            yield client
    finally:
        chat.stop()
        await serving


async def tried_from_everywhere(client) -> int:
    """30 forged links, each said to come from another address (X-Forwarded-For), then the answer to one more."""
    for n in range(30):
        await client.get(f"/p/forged-{n}", headers={"x-forwarded-for": f"203.0.113.{n}"})
    return (await client.get("/p/forged-last", headers={"x-forwarded-for": "198.51.100.1"})).status_code


async def test_a_forwarded_address_is_not_believed_unless_a_proxy_is_trusted(engine, monkeypatch):
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    async with served_by_uvicorn(engine) as client:
        assert await tried_from_everywhere(client) == 429, "each attempt counts against the address the server sees"


async def test_behind_a_trusted_proxy_the_forwarded_address_is_the_clients(engine, monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")  # Uvicorn's own setting: the proxy on this machine names the client
    async with served_by_uvicorn(engine) as client:
        assert await tried_from_everywhere(client) == 403
