"""The e-mail adapter end to end: real mail, in the shapes Gmail, Outlook,
Apple Mail and Thunderbird write it, put in a real Dovecot mailbox; the bot's
mail through a real SMTP relay (aiosmtpd)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import smtplib
from dataclasses import replace

import aiosmtplib
import pytest
from sqlalchemy import func, select

from adapters.email.addresses import Addressing
from bot.ports import ChatKind, ChatRef, OutgoingMessage, RecipientUnreachable, Secret
from bot.storage.models import Contribution, Message, Question, Round, RoundStatus, Venue
from tests.adapters.email.conftest import ADDRESS, TOKEN_KEY, MailBot, mail, store_participant
from tests.adapters.email.servers import free_port, plain_text
from tests.helpers import stored_contributions

PATRICIO = "patricio@rimhuch.example"
AYAD = "ayad.zarouali@example.ma"
HOWARD = "howard.duncan@metropolis.example"
ANTONIO = "antonio.garcia@carm.example"
ANA = "ana@municipio.example"
FATOU = "fatou.diallo@commune-thies.example"
QUOTED_OR_SIGNED = (">", "escribió", "wrote:", "a écrit", "De :", "Envoyé", "Saludos", "cordialement", "Best regards", "Sent from my", "--")
addressing = Addressing(ADDRESS, "+", TOKEN_KEY.encode())


async def filed(bot: MailBot) -> list[tuple[str | None, str]]:
    return await stored_contributions(bot.engine.sessions, Question.key, Contribution.text)


def assert_clean(text: str) -> None:
    for mark in QUOTED_OR_SIGNED:
        assert mark not in text, f"{mark!r} left in {text!r}"


async def test_a_seed_reply_answering_three_questions_is_split_without_its_quote_or_signature(mailbot):
    await mailbot.join(PATRICIO, "es")
    await mailbot.open_round(1)
    mailbot.relay.clear()

    await mailbot.receive(mail("es_gmail_several_questions.eml"))

    contributions = await filed(mailbot)
    assert [key for key, _text in contributions] == ["1.1", "1.3", "1.5"]
    assert contributions[0][1].startswith("Se deberían coordinar") or contributions[0][1].startswith("Pregunta 1: Se deberían")
    for _key, text in contributions:
        assert_clean(text)
        assert "Patricio" not in text and "RIMHUCH" not in text
    [acknowledgement] = mailbot.relay.to(PATRICIO)
    assert acknowledgement["In-Reply-To"] == "<CAJx5Zq3v9m2dT+0n=Yb8kR1cW6pL4sQe7uHfGa2oN0xVbE@mail.gmail.com>"
    assert acknowledgement["Subject"].startswith("Re: Pregunta 1.1")
    assert all(key in plain_text(acknowledgement) for key in ("1.1", "1.3", "1.5"))
    assert await mailbot.mailbox.seen() == 0  # \Seen stays for the people who read the mailbox


async def test_an_outlook_reply_in_latin_1_to_a_question_address_is_filed_under_it(mailbot):
    await mailbot.join(AYAD, "fr")
    await mailbot.open_round(1)

    await mailbot.receive(mail("fr_outlook_latin1.eml"))

    [(key, text)] = await filed(mailbot)
    assert key == "1.1"
    assert "codéveloppement" in text and "Nord du Maroc" in text
    assert_clean(text)
    assert "Ayad" not in text and "Comment les autorités" not in text


async def test_answers_written_between_quoted_lines_are_kept(mailbot):
    await mailbot.join(HOWARD, "en")
    await mailbot.open_round(1)

    await mailbot.receive(mail("en_apple_inline_reply.eml"))

    [(key, text)] = await filed(mailbot)
    assert key == "1.2"
    assert "municipal immigration councils" in text and "renewed every three years" in text
    assert "What coordination mechanisms" not in text
    assert_clean(text)


async def test_answers_written_under_the_round_mails_quoted_questions_are_filed_under_them(mailbot):
    await mailbot.join(FATOU, "fr")
    await mailbot.open_round(1)

    await mailbot.receive(mail("fr_thunderbird_inline_round.eml"))

    filed_answers = await filed(mailbot)
    assert [key for key, _text in filed_answers] == ["1.1", "1.3"]
    assert filed_answers[0][1].startswith("Nous passons par le jumelage") and "Thiès" in filed_answers[1][1]
    for _key, text in filed_answers:
        assert_clean(text)
        assert "Question 1." not in text and "Fatou" not in text


async def test_an_html_only_mail_becomes_text_and_its_marker_files_it(mailbot):
    await mailbot.join(ANTONIO, "es")
    await mailbot.open_round(1)

    await mailbot.receive(mail("es_thunderbird_html_only.eml"))

    [(key, text)] = await filed(mailbot)
    assert key == "1.2"
    assert "convenios de cooperación" in text and "<" not in text
    assert "Un saludo" not in text and "Antonio" not in text


async def test_a_mail_handled_again_after_a_crash_is_stored_and_acknowledged_once(mailbot, dovecot):
    await mailbot.join(AYAD, "fr")
    await mailbot.open_round(1)
    await mailbot.stop()  # down: mail waits in the mailbox
    await mailbot.mailbox.deliver(mail("fr_outlook_latin1.eml"))
    mailbot.relay.clear()

    await mailbot.restart()
    await mailbot.all_handled()
    assert len(await filed(mailbot)) == 1  # nothing lost while the bot was down

    # The process dies after storing the mail, before marking it handled: it is read again.
    client = await mailbot.mailbox._client()
    await client.uid("store", "1:*", "-FLAGS", "(FacilitatorHandled)")
    await client.logout()
    await mailbot.restart()
    await mailbot.all_handled()

    assert len(await filed(mailbot)) == 1
    async with mailbot.engine.sessions() as session:
        assert await session.scalar(select(func.count(Message.id))) == 1
    assert len(mailbot.relay.to(AYAD)) == 1  # one acknowledgement


async def test_killed_while_reading_the_mailbox_nothing_is_lost_or_doubled(mailbot):
    participants = [f"p{n}@municipio.example" for n in range(6)]
    for address in participants:
        await mailbot.join(address, "es")
    await mailbot.open_round(1)
    await mailbot.stop()
    for n, address in enumerate(participants):
        await mailbot.mailbox.deliver(
            f"From: {address}\r\nTo: {addressing.reply_address(address, '1.2')}\r\nSubject: Re: 1.2\r\n"
            f"Message-ID: <answer-{n}@municipio.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Convenio número {n} con el ministerio.\r\n".encode()
        )
    mailbot.relay.clear()

    await mailbot.start()
    while len(mailbot.relay.raw) < 2:  # killed in the middle: some mail stored and acknowledged, some not yet read
        await asyncio.sleep(0.005)
    mailbot.task.cancel()
    await asyncio.gather(mailbot.task, return_exceptions=True)
    mailbot.task = None
    await mailbot.restart()
    await mailbot.all_handled()

    contributions = await filed(mailbot)
    assert sorted(text for _key, text in contributions) == [f"Convenio número {n} con el ministerio." for n in range(6)]
    assert {key for key, _text in contributions} == {"1.2"}
    # Never two acknowledgements; one is lost only when the kill falls between a commit and its mail.
    assert all(len(mailbot.relay.to(address)) <= 1 for address in participants)
    assert sum(len(mailbot.relay.to(address)) for address in participants) >= 5


async def test_a_bounce_marks_the_participant_unreachable_and_is_not_answered(mailbot):
    await mailbot.join(ANA, "es")
    mailbot.relay.clear()

    await mailbot.receive(mail("bounce_dsn.eml"))
    await mailbot.open_round(1)

    async with mailbot.engine.sessions() as session:
        assert await session.scalar(select(Venue.unreachable).where(Venue.chat_id == ANA)) is True
    assert mailbot.relay.received == []  # no question mailed to a dead address, nothing sent to the mail system


async def test_mail_older_than_the_discussion_in_the_mailbox_is_left_alone(mailbot):
    await mailbot.stop()
    await mailbot.mailbox.deliver(mail("fr_outlook_latin1.eml"), arrived=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    mailbot.relay.clear()

    await mailbot.start()
    await mailbot.receive(mail("en_gmail_attachment.eml"))  # a new one is read

    assert mailbot.relay.to(AYAD) == [] and mailbot.relay.to(HOWARD) != []
    assert await mailbot.mailbox.unhandled() == 1


async def test_an_out_of_office_reply_is_ignored_without_an_answer(mailbot):
    await mailbot.join(AYAD, "fr")
    await mailbot.open_round(1)
    mailbot.relay.clear()

    await mailbot.receive(mail("fr_out_of_office.eml"))

    assert await filed(mailbot) == []
    assert mailbot.relay.received == []


async def test_a_spoofed_sender_writing_to_someone_elses_address_is_not_filed_as_theirs(mailbot):
    await mailbot.join(PATRICIO, "es")
    await mailbot.join(HOWARD, "en")
    await mailbot.open_round(1)
    mailbot.relay.clear()

    await mailbot.receive(mail("spoofed_from.eml"))

    assert await filed(mailbot) == []
    [answer] = mailbot.relay.to(PATRICIO)
    assert "otro participante" in plain_text(answer) and "participar" in plain_text(answer)
    assert mailbot.relay.to(HOWARD) == []


async def test_a_forged_sender_writing_to_the_plain_address_is_neither_filed_nor_answered(mailbot):
    await mailbot.join(PATRICIO, "es")
    await mailbot.open_round(1)
    mailbot.relay.clear()
    forged = b"Authentication-Results: mx.example.org; dmarc=fail (p=REJECT) header.from=rimhuch.example\r\n" + mail(
        "spoofed_from.eml"
    ).replace(b"discussion+1.1.zhrqbh47yjvs@example.org", ADDRESS.encode())

    await mailbot.receive(forged)

    assert await filed(mailbot) == []
    assert mailbot.relay.raw == []


async def test_attachments_are_listed_as_not_recorded(mailbot):
    await mailbot.join(HOWARD, "en")
    await mailbot.open_round(1)
    mailbot.relay.clear()

    await mailbot.receive(mail("en_gmail_attachment.eml"))

    [(key, text)] = await filed(mailbot)
    assert key == "1.1" and "Toronto and Kingston" in text and "Executive Head" not in text
    texts = [plain_text(m) for m in mailbot.relay.to(HOWARD)]
    assert any("recorded under question 1.1" in t.lower() for t in texts)
    assert any("twinning-report.pdf" in t and "not recorded" in t for t in texts)


async def test_joining_by_mail_with_numbered_choices(mailbot):
    start = (
        f"From: Ana Ruiz <{ANA}>\r\nTo: {ADDRESS}\r\nSubject: start\r\nMessage-ID: <start@municipio.example>\r\n"
        "Content-Language: es-ES\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nstart\r\n"
    ).encode()

    await mailbot.receive(start)

    prompts = mailbot.relay.to(ANA)
    assert "Bienvenid" in plain_text(prompts[0]) or "Bienvenid" in plain_text(prompts[-1])
    language_prompt = prompts[-1]
    assert "1. Français" in plain_text(language_prompt) and "2. English" in plain_text(language_prompt)
    choice = (
        f"From: Ana Ruiz <{ANA}>\r\nTo: {language_prompt['Reply-To']}\r\nSubject: Re: {language_prompt['Subject']}\r\n"
        f"Message-ID: <choice@municipio.example>\r\nIn-Reply-To: {language_prompt['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n2\r\n\r\nEl lun., 8 jul. 2013 a las 11:00, discussion escribió:\r\n> 1. Français\r\n"
    ).encode()
    await mailbot.restart()  # the choices travel in the mail's id, not in the bot's memory
    await mailbot.receive(choice)

    async with mailbot.engine.sessions() as session:
        participant = await store_participant(session, ANA)
        assert participant.language == "en" and participant.onboarding_step == "consent"
    assert "From now on I will write to you in English" in plain_text(mailbot.relay.to(ANA)[-2])


async def test_organiser_commands_are_refused_by_mail(mailbot):
    await mailbot.join(ANA, "fr")
    command = (
        f"From: {ANA}\r\nTo: {ADDRESS}\r\nSubject: x\r\nMessage-ID: <cmd@municipio.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n/open_round 2\r\n"
    ).encode()

    await mailbot.receive(command)

    async with mailbot.engine.sessions() as session:
        assert await session.scalar(select(Round.status).where(Round.number == 2)) != RoundStatus.open
    assert "ligne de commande" in plain_text(mailbot.relay.to(ANA)[-1])


async def test_unsubscribe_stops_all_mail(mailbot):
    await mailbot.join(ANA, "es")
    unsubscribe = (
        f"From: {ANA}\r\nTo: {addressing.reply_address(ANA)}\r\nSubject: unsubscribe\r\nMessage-ID: <unsub@municipio.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode()
    await mailbot.receive(unsubscribe)
    confirmations = len(mailbot.relay.to(ANA))

    await mailbot.open_round(1)

    assert "no recibirá más" in plain_text(mailbot.relay.to(ANA)[-1]).lower()
    assert len(mailbot.relay.to(ANA)) == confirmations


async def test_a_word_in_a_reply_is_the_chats_command(mailbot):
    await mailbot.join(ANA, "es")
    await mailbot.open_round(1)
    mailbot.relay.clear()
    request = (
        f"From: {ANA}\r\nTo: {addressing.reply_address(ANA)}\r\nSubject: Re: x\r\nMessage-ID: <questions@municipio.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nPreguntas\r\n\r\nEnviado desde mi iPhone\r\n"
    ).encode()

    await mailbot.receive(request)

    [answer] = mailbot.relay.to(ANA)
    assert "1.1" in plain_text(answer) and "1.5" in plain_text(answer)
    assert await filed(mailbot) == []


async def test_a_reply_saying_read_and_a_question_gets_what_the_others_answered(mailbot):
    await mailbot.join(ANA, "es")
    await mailbot.join(PATRICIO, "es")
    await mailbot.open_round(1)
    await mailbot.receive(mail("es_gmail_several_questions.eml"))  # Patricio answers 1.1, 1.3 and 1.5

    def from_ana(number: int, text: str) -> bytes:
        return (
            f"From: {ANA}\r\nTo: {addressing.reply_address(ANA)}\r\nSubject: Re: x\r\nMessage-ID: <{number}@municipio.example>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        ).encode()

    await mailbot.receive(from_ana(1, "1.1: Los hermanamientos con Lyon."))
    mailbot.relay.clear()

    await mailbot.receive(from_ana(2, "leer 1.1"))

    [answer] = mailbot.relay.to(ANA)
    assert "Las últimas respuestas a la pregunta 1.1" in plain_text(answer)
    assert "Se deberían coordinar y unir esfuerzos" in plain_text(answer)


async def test_a_file_the_bot_sends_is_attached_to_the_mail(mailbot):
    chat = ChatRef("email", ANA, ChatKind.private)

    await mailbot.adapter.send(OutgoingMessage(chat=chat, text="Sus datos.", attachment=("mydata.json", b'{"name": "Ana"}')))

    [sent] = mailbot.relay.to(ANA)
    [attachment] = list(sent.iter_attachments())
    assert attachment.get_filename() == "mydata.json" and json.loads(attachment.get_content()) == {"name": "Ana"}
    assert "Sus datos." in plain_text(sent)


async def test_the_relay_is_retried_on_4xx_and_a_refused_recipient_is_unreachable(mailbot):
    mailbot.relay.defer = 2
    chat = ChatRef("email", ANA, ChatKind.private)

    await mailbot.adapter.send(OutgoingMessage(chat=chat, text="Hola"))

    assert [plain_text(m).split("\n")[0] for m in mailbot.relay.to(ANA)] == ["Hola"]
    assert mailbot.relay.attempts == 3
    mailbot.relay.refuse.add(ANA)
    with pytest.raises(RecipientUnreachable):
        await mailbot.adapter.send(OutgoingMessage(chat=chat, text="Hola otra vez"))


async def test_mail_delivered_by_lmtp_is_filed(database, clock, dovecot, relay, example):
    port = free_port()
    bot = MailBot(database, clock, dovecot, relay, lmtp_listen=f"127.0.0.1:{port}")
    await bot.engine.load(example)
    await bot.start()
    try:
        await bot.join(AYAD, "fr")
        await bot.open_round(1)

        def deliver() -> None:
            with smtplib.LMTP("127.0.0.1", port) as lmtp:
                lmtp.sendmail(AYAD, ["discussion+1.1.nqg5ose2vy2m@example.org"], mail("fr_outlook_latin1.eml"))

        await asyncio.get_running_loop().run_in_executor(None, deliver)
        await bot.engine.drain()
        assert [key for key, _text in await filed(bot)] == ["1.1"]
    finally:
        await bot.stop()


async def test_without_idle_the_mailbox_is_polled(database, clock, dovecot, relay, example):
    bot = MailBot(database, clock, dovecot, relay, imap_idle=False, poll_seconds=0.1)
    await bot.engine.load(example)
    await bot.start()
    try:
        await bot.join(AYAD, "fr")
        await bot.open_round(1)

        await bot.receive(mail("fr_outlook_latin1.eml"))

        assert [key for key, _text in await filed(bot)] == ["1.1"]
    finally:
        await bot.stop()


async def test_an_unsure_answer_is_asked_about_and_a_number_in_the_reply_files_it(mailbot):
    await mailbot.join(HOWARD, "en")
    await mailbot.open_round(1)
    mailbot.relay.clear()
    unsure = (
        f"From: Howard Duncan <{HOWARD}>\r\nTo: {addressing.reply_address(HOWARD)}\r\nSubject: Some thoughts\r\n"
        "Message-ID: <unsure@metropolis.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Radio programmes made by the diaspora itself reach families far better than any leaflet.\r\n"
    ).encode()

    await mailbot.receive(unsure)

    [ask] = mailbot.relay.to(HOWARD)
    assert "Which question does this answer?" in plain_text(ask)
    third = next(line for line in plain_text(ask).splitlines() if line.startswith("3. ")).split()[1]  # "3. 1.4 · What…"
    assert await filed(mailbot) == [(None, "Radio programmes made by the diaspora itself reach families far better than any leaflet.")]
    choice = (
        f"From: Howard Duncan <{HOWARD}>\r\nTo: {ask['Reply-To']}\r\nSubject: Re: {ask['Subject']}\r\n"
        f"Message-ID: <choice@metropolis.example>\r\nIn-Reply-To: {ask['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n3\r\n\r\nSent from my iPhone\r\n"
    ).encode()
    await mailbot.restart()
    await mailbot.receive(choice)

    assert [key for key, _text in await filed(mailbot)] == [third]
    assert f"recorded under question {third}" in plain_text(mailbot.relay.to(HOWARD)[-1]).lower()


async def test_passwords_never_appear_in_logs_or_errors(database, clock, dovecot, relay, example, caplog):
    bot = MailBot(database, clock, dovecot, relay)
    bot.config = replace(bot.config, imap_password=Secret("wrong-imap-password-1"), smtp_password=Secret("wrong-smtp-password-2"))
    bot.adapter = bot.new_adapter()
    caplog.set_level(logging.DEBUG)
    task = asyncio.create_task(bot.adapter.serve(bot.engine))
    try:
        for _wait in range(200):
            if "the IMAP mailbox is unreachable" in caplog.text:
                break
            await asyncio.sleep(0.05)
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as refused:
            await bot.adapter.send(OutgoingMessage(chat=ChatRef("email", ANA, ChatKind.private), text="Hola"))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert "login failed" in caplog.text  # the operator is told what is wrong
    shown = caplog.text + str(refused.value) + repr(bot.config)
    assert "wrong-imap-password-1" not in shown and "wrong-smtp-password-2" not in shown
