"""The round's mail: one mail per round, in the participant's language, its
questions numbered with their ids, each with its own reply address; replies
to it tied to their questions by the linking engine; posting it killed half
way loses and doubles nothing."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

from sqlalchemy import func, select

from bot.discussion import store
from bot.storage.models import Delivery, Question
from schedules import rounds
from tests.adapters.email.conftest import ADDRESS
from tests.adapters.email.servers import plain_text
from tests.adapters.email.test_adapter import ANA, PATRICIO, addressing, filed
from tests.helpers import add_subscriber

QUESTIONS = ["1.1", "1.2", "1.3", "1.4", "1.5"]


def reply_to(mail, sender: str, text: str, message_id: str) -> bytes:
    return (
        f"From: Ana Ruiz <{sender}>\r\nTo: {mail['Reply-To']}\r\nSubject: Re: {mail['Subject']}\r\n"
        f"Message-ID: {message_id}\r\nIn-Reply-To: {mail['Message-ID']}\r\nReferences: {mail['Message-ID']}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\nEl lun., 8 jul. 2013, {ADDRESS} escribió:\r\n> Pregunta 1.1\r\n"
    ).encode()


async def test_the_round_is_one_mail_in_the_participants_language_each_question_with_its_reply_address(mailbot):
    await mailbot.join(PATRICIO, "es")
    mailbot.relay.clear()

    await mailbot.open_round(1)

    [round_mail] = mailbot.relay.to(PATRICIO)
    assert round_mail["Subject"].startswith("Ronda 1 · ")
    assert round_mail.get_content_type() == "multipart/alternative"
    text, html = plain_text(round_mail), round_mail.get_body(preferencelist=("html",)).get_content()
    assert "La ronda 1 está abierta" in text and "marcos de cooperación descentralizada" in text
    headings = re.findall(r"^Pregunta (\d\.\d)$", text, re.MULTILINE)
    assert headings == QUESTIONS  # numbered with their ids, in order
    for key in QUESTIONS:
        own = addressing.reply_address(PATRICIO, key)
        assert own in text and f'href="mailto:{own}?subject=' in html
    assert round_mail["Reply-To"] == addressing.reply_address(PATRICIO) == "discussion+uzgwebjdqurl@example.org"
    assert round_mail["Auto-Submitted"] == "auto-generated"
    async with mailbot.engine.sessions() as session:
        ids = (await session.scalars(select(Delivery.message_id))).all()
    assert len(ids) == len(QUESTIONS) and set(ids) == {round_mail["Message-ID"]}  # the one mail delivered every question


async def test_a_reply_to_the_rounds_mail_answering_two_questions_is_split_under_each(mailbot):
    await mailbot.join(ANA, "es")
    mailbot.relay.clear()
    await mailbot.open_round(1)
    [round_mail] = mailbot.relay.to(ANA)
    answer = (
        "1.2: En Murcia los convenios con los municipios de origen se firman cada dos años.\r\n\r\n"
        "1.4: El plan municipal de cooperación incluye a las asociaciones de la diáspora."
    )

    await mailbot.receive(reply_to(round_mail, ANA, answer, "<two-answers@municipio.example>"))

    assert await filed(mailbot) == [
        ("1.2", "En Murcia los convenios con los municipios de origen se firman cada dos años."),
        ("1.4", "El plan municipal de cooperación incluye a las asociaciones de la diáspora."),
    ]
    assert "1.2" in plain_text(mailbot.relay.to(ANA)[-1]) and "1.4" in plain_text(mailbot.relay.to(ANA)[-1])


async def test_answers_written_inside_the_rounds_mail_quoted_by_outlook_are_filed_under_their_questions(mailbot):
    await mailbot.join(ANA, "es")
    mailbot.relay.clear()
    await mailbot.open_round(1)
    [round_mail] = mailbot.relay.to(ANA)
    # Outlook quotes without ">", under its block of headers; the answers are typed under a question's
    # "write to" line, or under its text: after a blank line, or right under its question mark.
    quoted = []
    for line in plain_text(round_mail).split("\n"):
        if addressing.reply_address(ANA, "1.3") in line:  # typed under the question's text, after a blank line
            quoted += ["", "Con la universidad de Murcia."]
        if addressing.reply_address(ANA, "1.5") in line:  # right under the question's text
            quoted += ["Con ferias de empleo en las ciudades de origen.", "Y un servicio de orientación."]
        quoted.append(line)
        if addressing.reply_address(ANA, "1.2") in line:
            quoted.append("Firmamos convenios con los municipios de origen cada dos años.")
        if addressing.reply_address(ANA, "1.4") in line:
            quoted += ["Sí: el plan municipal de cooperación incluye a la diáspora.", "", "Y lo revisamos cada año."]
    body = (
        "Buenos días, mis respuestas van en el texto.\r\n\r\nAna Ruiz\r\nMunicipio de Murcia\r\n\r\n"
        f"De: Promouvoir une approche territoriale <{ADDRESS}>\r\nEnviado el: lunes, 8 de julio de 2013 11:02\r\n"
        f"Para: Ana Ruiz\r\nAsunto: {round_mail['Subject']}\r\n\r\n" + "\r\n".join(quoted)
    )
    reply = (
        f"From: Ana Ruiz <{ANA}>\r\nTo: {round_mail['Reply-To']}\r\nSubject: RE: {round_mail['Subject']}\r\n"
        f"Message-ID: <outlook-inline@municipio.example>\r\nIn-Reply-To: {round_mail['Message-ID']}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()

    await mailbot.receive(reply)

    assert await filed(mailbot) == [
        ("1.2", "Firmamos convenios con los municipios de origen cada dos años."),
        ("1.3", "Con la universidad de Murcia."),
        ("1.4", "Sí: el plan municipal de cooperación incluye a la diáspora.\n\nY lo revisamos cada año."),
        ("1.5", "Con ferias de empleo en las ciudades de origen.\nY un servicio de orientación."),
    ]


async def test_a_reply_to_the_rounds_mail_naming_no_question_is_not_filed_under_its_first(mailbot):
    await mailbot.join(ANA, "es")
    mailbot.relay.clear()
    await mailbot.open_round(1)
    [round_mail] = mailbot.relay.to(ANA)
    answer = "Nuestras radios comunitarias llegan a las familias mejor que cualquier folleto."

    await mailbot.receive(reply_to(round_mail, ANA, answer, "<unmarked@municipio.example>"))

    [(key, text)] = await filed(mailbot)
    assert text == answer
    assert key != "1.1"  # a mail that carried five questions says nothing about which one this answers


async def test_the_rounds_mail_to_a_questions_own_address_files_the_reply_under_it(mailbot):
    await mailbot.join(ANA, "es")
    await mailbot.open_round(1)
    mail_to_question = (
        f"From: {ANA}\r\nTo: {addressing.reply_address(ANA, '1.3')}\r\nSubject: Re: 1.3\r\nMessage-ID: <own-address@municipio.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nSí, con la universidad.\r\n"
    ).encode()

    await mailbot.receive(mail_to_question)

    assert await filed(mailbot) == [("1.3", "Sí, con la universidad.")]


async def test_killed_while_the_rounds_mail_goes_out_nothing_is_lost_or_doubled(mailbot):
    participants = [f"p{n}@municipio.example" for n in range(40)]
    async with mailbot.engine.sessions() as session:
        discussion = await store.find_discussion(session)
        for address in participants:
            await add_subscriber(session, discussion, "email", address, mailbot.engine.clock(), display_name=address, language="fr")
        round_ = await store.round_by_number(session, discussion, 1)
        await rounds.open_round(session, discussion, round_, mailbot.engine.clock())
        await session.commit()
    mailbot.adapter.relay._interval = 1 / 100  # paced, so that the kill falls in the middle

    posting = asyncio.create_task(mailbot.engine.post_pending())
    while len(mailbot.relay.raw) < 10:
        await asyncio.sleep(0.005)
    posting.cancel()
    await asyncio.gather(posting, return_exceptions=True)
    sent_before = len(mailbot.relay.raw)
    await mailbot.restart()
    while await mailbot.engine.post_pending():
        pass

    assert 10 <= sent_before < len(participants)
    mails_to = Counter(recipient for recipient, _raw in mailbot.relay.raw)
    assert [mails_to[address] for address in participants] == [1] * len(participants)
    async with mailbot.engine.sessions() as session:
        assert await session.scalar(select(func.count(Delivery.id))) == len(participants) * len(QUESTIONS)
        questions = await session.scalar(select(func.count(Question.id)).where(Question.position > 0, Question.key.like("1.%")))
    assert questions == len(QUESTIONS)
