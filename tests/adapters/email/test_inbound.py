"""Received mail read at the adapter's edge: decoded, cleaned of quotes and
signatures, auto-replies and bounces recognised. The payloads are the
fixtures beside this file; the rules one by one after them."""

from __future__ import annotations

import pytest

from adapters.email import inbound
from adapters.email.addresses import Addressing, SubAddress, stored_id
from adapters.email.cleaning import reply_text
from adapters.email.inbound import Kind
from tests.adapters.email.conftest import ADDRESS, TOKEN_KEY, mail

addressing = Addressing(ADDRESS, "+", TOKEN_KEY.encode())


@pytest.mark.parametrize(
    ("name", "starts", "ends"),
    [
        (
            "es_gmail_several_questions.eml",
            "Pregunta 1: Se deberían coordinar",
            "no dando la importancia debida al aspecto humano y social.",
        ),
        ("fr_outlook_latin1.eml", "Deux points de « vécu »", "Je vous prie de croire dans ma pleine collaboration,"),
        ("en_apple_inline_reply.eml", "1.2:\nCoordination works best", "renewed every three years."),
        ("es_thunderbird_html_only.eml", "Q2) En la Región de Murcia", "con el Plan Director nacional."),
        ("en_gmail_attachment.eml", "Decentralised cooperation works", "The attached report has the figures."),
        ("fr_gmail_forwarded.eml", "Question 1.4 : à Tanger", "pour les porteurs de projets."),
        ("pt_gmail_wrapped_header.eml", "Sobre a questão 1.3", "numa rede nacional de municípios."),
    ],
)
def test_what_the_author_wrote_is_kept_and_nothing_else(name, starts, ends):
    received = inbound.parse(mail(name), addressing)

    assert received.kind == Kind.mail
    assert received.text.startswith(starts) and received.text.endswith(ends), received.text
    assert not received.undecodable


def test_the_inline_reply_keeps_both_answers_and_no_quoted_line():
    text = inbound.parse(mail("en_apple_inline_reply.eml"), addressing).text

    assert text == (
        "1.2:\n"  # the question quoted above the answers, as the linker's marker
        "Coordination works best when a city's migration office and its cooperation office sit at the same table: "
        "in Ontario the municipal immigration councils do exactly that.\n\n"
        "Alignment with national strategies comes from a formal agreement between the city and the national ministry, "
        "renewed every three years."
    )


def test_answers_written_under_the_round_mails_quoted_questions_are_headed_by_their_keys():
    text = inbound.parse(mail("fr_thunderbird_inline_round.eml"), addressing).text

    assert text.startswith("Bonjour,\n\n1.1:\nNous passons par le jumelage")
    assert "1.3:\nNous publions chaque trimestre" in text  # 1.2 quoted and left unanswered heads nothing
    assert "1.2:" not in text and "1.4:" not in text and ">" not in text


def test_an_html_only_inline_reply_keeps_its_answers_headed_by_the_quoted_questions():
    text = inbound.parse(mail("es_thunderbird_html_inline.eml"), addressing).text

    assert text == (
        "Buenos días:\n\n"
        "1.1:\nEn Murcia la cooperación descentralizada financia oficinas de retorno en los municipios de origen.\n\n"
        "1.3:\nPublicamos una guía anual con los ayuntamientos de la región."
    )


def test_windows_quotes_and_dashes_in_a_mail_labelled_latin_1_are_read_as_written():
    text = inbound.parse(mail("fr_outlook_cp1252_labelled_latin1.eml"), addressing).text

    assert (
        text
        == "Pour la question 1.2 : nous réunissons chaque trimestre un comité « diaspora » – élus, associations et bailleurs – à la mairie."
    )


def test_an_outlook_forward_with_no_word_of_its_own_is_read_from_what_it_forwards():
    text = inbound.parse(mail("fr_outlook_forward.eml"), addressing).text

    assert text == "P3: compartimos las lecciones aprendidas en la red de ciudades del Mediterráneo."


def test_addresses_ids_charsets_and_attachments_are_read():
    outlook = inbound.parse(mail("fr_outlook_latin1.eml"), addressing)
    gmail = inbound.parse(mail("en_gmail_attachment.eml"), addressing)

    assert outlook.sender == "ayad.zarouali@example.ma" and outlook.display_name == "Ayad Zarouali"
    assert outlook.sub_address == SubAddress(token=addressing.token(outlook.sender), question="1.1")
    assert addressing.owns(outlook.sub_address, outlook.sender)
    assert outlook.language_code == "fr" and "codéveloppement" in outlook.text  # quoted-printable latin-1
    assert outlook.sent_at is not None and outlook.sent_at.utcoffset() is not None
    assert gmail.attachments == ("twinning-report.pdf",)


def test_a_long_message_id_is_stored_as_the_same_short_digest():
    long_id = "<" + "x" * 80 + "@mail.gmail.com>"

    assert len(stored_id(long_id)) <= 64
    assert stored_id(long_id) == stored_id(long_id) != stored_id(long_id.replace("x", "y", 1))
    assert stored_id("<short@example.org>") == "<short@example.org>"


def test_a_spoofed_sender_does_not_own_the_address_it_wrote_to():
    spoofed = inbound.parse(mail("spoofed_from.eml"), addressing)

    assert spoofed.sub_address is not None and not addressing.owns(spoofed.sub_address, spoofed.sender)
    assert "cooperación" in spoofed.text  # an undeclared 8-bit latin-1 body is still read


def test_a_from_that_the_receiving_server_found_forged_is_recognised():
    genuine = mail("es_gmail_several_questions.eml")
    results = "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=rimhuch.example; dmarc=fail (p=REJECT) header.from=rimhuch.example\r\n"
    forwarded = "Authentication-Results: mx.example.org; dmarc=pass header.from=rimhuch.example\r\nAuthentication-Results: elsewhere; dmarc=fail\r\n"

    assert inbound.parse(results.encode() + genuine, addressing).kind == Kind.forged
    assert inbound.parse(forwarded.encode() + genuine, addressing).kind == Kind.mail
    assert inbound.parse(genuine, addressing).kind == Kind.mail


def test_a_delivery_status_notification_names_the_failed_recipient():
    bounce = inbound.parse(mail("bounce_dsn.eml"), addressing)

    assert bounce.kind == Kind.bounce and bounce.bounced == ("ana@municipio.example",)


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\r\nSubject: Re: Question 1.1",
        "X-Autoreply: yes\r\nSubject: Re: Question 1.1",
        "Precedence: bulk\r\nSubject: Lettre d'information",
        "Precedence: auto_reply\r\nSubject: Re: Question 1.1",
        "Subject: Out of Office: Question 1.1",
        "Subject: Absent du bureau jusqu'au 22 juillet",
        "Subject: Respuesta automática: Pregunta 1.1",
        "Subject: Ausencia: Re: Pregunta 1.1",
        "Subject: Absence : Re: Question 1.1",
        "Subject: Absente jusqu'au 22 juillet",
        "Subject: On annual leave until 22 July",
        "Subject: De vacaciones hasta el 22 de julio",
    ],
)
def test_auto_replies_are_recognised(headers):
    raw = f"From: someone@example.com\r\nTo: {ADDRESS}\r\n{headers}\r\n\r\nI am away.\r\n".encode()

    assert inbound.parse(raw, addressing).kind == Kind.auto_reply
    assert inbound.parse(mail("fr_out_of_office.eml"), addressing).kind == Kind.auto_reply


@pytest.mark.parametrize("subject", ["Défis : l'absence de données sur la diaspora", "Re: ausente el Estado, los municipios actúan"])
def test_an_answer_whose_subject_speaks_of_absence_is_no_auto_reply(subject):
    raw = f"From: someone@example.com\r\nTo: {ADDRESS}\r\nSubject: {subject}\r\n\r\nNous manquons de données.\r\n".encode()

    assert inbound.parse(raw, addressing).kind != Kind.auto_reply


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Mi respuesta.\n\nEl lun, 8 jul 2013 a las 11:02, X <x@example.org> escribió:\n> pregunta", "Mi respuesta."),
        ("Ma réponse.\n\nLe 8 juil. 2013 à 11:02, X <x@example.org> a écrit :\n> question", "Ma réponse."),
        ("My answer.\n\nOn Mon, Jul 8, 2013 at 11:02 AM, X <x@example.org> wrote:\n> question", "My answer."),
        ("A minha resposta.\n\nEm 8 de jul de 2013, X escreveu:\n> pergunta", "A minha resposta."),
        ("My answer.\n\n-----Original Message-----\nFrom: X\nSent: Monday\nthe question", "My answer."),
        ("Ma réponse.\n\nDe : X\nEnvoyé : lundi 8 juillet 2013 11:02\nÀ : Y\nObjet : Question\n\nla question", "Ma réponse."),
        ("Mi respuesta.\n\nDe: X\nEnviado el: lunes, 8 de julio de 2013 11:02\nPara: Y\nAsunto: Pregunta\n\nla pregunta", "Mi respuesta."),
        ("My answer.\n> a quoted line without a header", "My answer."),
        ("My answer.\n\n-- \nJane Doe\nCity of Kingston", "My answer."),
        ("Ma réponse.\n\nEnvoyé de mon iPhone", "Ma réponse."),
        ("Mi respuesta.\n\nEnviado desde mi Samsung Galaxy", "Mi respuesta."),
        ("Ma réponse.\n\nBien à vous,\n\nAntonio García-Nieto Gómez-Guillamón", "Ma réponse."),
        ("My answer.\n\nHoward Duncan\nExecutive Head, Metropolis Project", "My answer."),
    ],
)
def test_each_quote_and_signature_rule(body, expected):
    assert reply_text(body, author_name="Howard Duncan") == expected


def test_a_sentence_that_looks_like_a_quote_header_is_kept():
    body = "On this point, the mayor of Kingston wrote:\n\nMigrants sit on the steering committee of every twinning."

    assert reply_text(body) == body


def test_a_closing_word_inside_the_answer_keeps_what_follows():
    body = (
        "Gracias por la pregunta.\n\nSaludos a todos los municipios que participan: "
        + "en Murcia trabajamos así. " * 3
        + "\n"
        + ("Segundo párrafo con más detalles sobre los convenios.\n" * 8)
    )

    assert reply_text(body) == body.strip()
