"""The web's HTTP layer without a browser: links, sessions, CSRF, and bad
input answered in the reader's language, on the real database."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot.conversation import web_access
from bot.storage.models import Contribution, HidingAct, MessageRevision, Participant, Question
from tests.adapters.web.conftest import csrf_of, desk_link, participant_link
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
    form = {"csrf": csrf_of(page), "nonce": "n1", "question": "1.2", "text": "Hermanamientos con la diáspora."}
    answered = await web.post("/me/answer", data=form)
    assert answered.status_code == 200
    assert "1.2" in answered.text and "Gracias" in answered.text
    again = await web.post("/me/answer", data=form)  # a reload sends the same form again
    assert again.status_code == 200
    assert await stored_contributions(engine.sessions, Contribution.text) == [("Hermanamientos con la diáspora.",)]


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
    long = await web.post("/me/answer", data={"csrf": csrf, "question": "1.1", "text": "a" * 20_000})
    assert "20000" in long.text or "20.000" in long.text or "20 000" in long.text
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


async def test_an_organiser_opens_a_round_and_hides_a_contribution_from_the_desk(web, engine, user):
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    assert '<html lang="en">' in (await web.get("/desk?lang=en")).text
    confirm = await web.get("/desk/confirm?command=open_round&args=1")
    assert "/open_round 1" in confirm.text
    opened = await web.post("/desk/command", data={"csrf": csrf_of(confirm.text), "command": "open_round", "args": "1"})
    assert opened.status_code == 200 and "open" in opened.text
    person = user("ana", "es")
    await engine.handle_message(person.message("/start"))
    await engine.handle_message(person.message("1.1: Nuestra experiencia municipal con la diáspora."))
    [(contribution_id,)] = await stored_contributions(engine.sessions, Contribution.id)
    listed = await web.get("/desk?question=1.1")
    assert "Nuestra experiencia municipal" in listed.text
    hidden = await web.post("/desk/command", data={"csrf": csrf_of(listed.text), "command": "hide", "args": str(contribution_id)})
    assert hidden.status_code == 200
    assert await stored_contributions(engine.sessions, Contribution.hidden) == [(True,)]
    refused = await web.post("/desk/command", data={"csrf": csrf_of(listed.text), "command": "forget", "args": ""})
    assert refused.status_code == 200 and await stored_contributions(engine.sessions, Contribution.hidden) == [(True,)]


async def test_forget_me_after_a_confirmation(web, engine, user):
    page = await signed_in(web, engine)
    asked = await web.post("/me/forget", data={"csrf": csrf_of(page)})
    assert "forget:confirm" in asked.text
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.id)) is not None
    done = await web.post("/me/button", data={"csrf": csrf_of(asked.text), "data": "forget:confirm"})
    assert done.status_code == 200
    async with engine.sessions() as session:
        assert await session.scalar(select(Participant.id)) is None
    assert (await web.get("/me")).status_code == 401


async def test_the_desk_filters_searches_and_pages_a_questions_contributions_and_lists_participants(web, engine, user):
    boss = await organiser(engine, user)
    await open_round(engine, boss, 1)
    ana, john = user("ana", "es"), user("john", "en")
    for person in (ana, john):
        await engine.handle_message(person.message("/start"))
    await engine.handle_message(ana.message("1.1: Nuestra experiencia municipal con 50% de migrantes."))
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
    download = await web.get("/me/data.json")
    assert download.headers["content-disposition"].startswith("attachment;")
    data = json.loads(download.content)
    assert data["participants"][0]["name"] == "Ana Pérez"
    assert [c["text"] for c in data["contributions"]] == ["Segunda versión."]


async def test_the_desk_says_what_happens_next(web, engine, user, clock):
    boss = await organiser(engine, user)
    await web.get(await desk_link(engine, boss.platform.name, boss.user_id))
    page = await web.get("/desk/schedule?lang=en")
    assert page.status_code == 200
    assert "What happens next:" in page.text and "round 2 opens" in page.text.lower()


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
    assert (await web.post("/desk/command", data=form)).status_code == 200
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


async def test_links_tried_by_the_dozen_from_one_address_are_refused_for_a_while(web, engine):
    link = await participant_link(engine)
    for n in range(30):
        assert (await web.get(f"/p/forged-{n}")).status_code == 403
    assert (await web.get(link)).status_code == 429  # even a good one, until the minute has passed
