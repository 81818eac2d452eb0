"""What is left of a reply's body once quotes, signatures and notices are taken out."""

from __future__ import annotations

import pytest

from adapters.email.cleaning import reply_text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Per la domanda 2: abbiamo un tavolo con la prefettura.\n\n"
            "Il giorno lun 8 lug 2013 alle ore 10:00 M4D <m4d@example.org> ha scritto:\n> Question 1.2\n> What coordination",
            "Per la domanda 2: abbiamo un tavolo con la prefettura.",
        ),
        (
            "Q3: we share via UCLG.\n\nKind regards,\nJohn\n\n"
            "This e-mail and any attachments are confidential and intended solely for the addressee. If you have received it in error, "
            "please notify the sender.",
            "Q3: we share via UCLG.",
        ),
        (
            "P2: una mesa de coordinación.\n\nSaludos,\nLucía\n\nAVISO DE CONFIDENCIALIDAD: este mensaje es para su destinatario.",
            "P2: una mesa de coordinación.",
        ),
    ],
)
def test_a_quote_header_in_italian_and_a_legal_notice_are_no_part_of_the_reply(body, expected):
    assert reply_text(body) == expected


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from Mail for Windows 10",
        "Envoyé à partir de Courrier pour Windows",
        "Obtener Outlook para Android",
        "Sent from Yahoo Mail for iPhone",
    ],
)
def test_a_mail_programs_footer_is_no_part_of_the_reply(footer):
    assert reply_text(f"We hold quarterly meetings with the consulates.\n\n{footer}\n") == "We hold quarterly meetings with the consulates."


def test_a_first_name_alone_under_the_answer_signs_it():
    body = "Nous avons un comité mixte avec la préfecture.\n\nMarie\n"
    assert reply_text(body, "Marie Dupont") == "Nous avons un comité mixte avec la préfecture."
    assert reply_text("Nous avons un comité mixte.\n\nMarie et moi y siégeons depuis 2010.", "Marie Dupont").endswith("2010.")


def test_a_notice_that_is_the_whole_mail_is_kept():
    body = "Disclaimer: I am not speaking for my council, but we ran radio programmes for the diaspora."
    assert reply_text(body) == body


@pytest.mark.parametrize(
    "body",
    [
        "Bonjour,\nMerci pour cette consultation\n\n1.1 Oui, par le jumelage avec Lyon\n1.2 Pas encore\n1.3 Le comité régional",
        "Hello,\nBest practices in our town:\nradio programmes\nWhatsApp groups\ndiaspora fairs",
        "Hello,\nThanks to the diaspora fund\nwe built a school\nand a clinic",
        "Bonjour,\nMerci\nQ1 : nous passons par le jumelage.\nQ2 : un comité régional se réunit chaque trimestre.",
        "Pour la 1.4 :\nLe 12 juin 2012, le maire nous a écrit :\n\nNous voulons un guichet unique pour la diaspora.\n\n"
        "C'est devenu notre feuille de route.",
    ],
)
def test_answers_after_a_word_that_also_signs_off_or_a_letter_quoted_in_the_text_are_kept(body):
    assert reply_text(body) == body


@pytest.mark.parametrize(
    "sign_off",
    [
        "Cdlt,\nMarie Dupont\nVille de Lyon",
        "Com os melhores cumprimentos,\nJoão Silva\nCâmara Municipal de Lisboa",
        "Best,\nJane",
        "Merci,\nMarie\n06 12 34 56 78",
        "Regards,\nJohn\n\nThis message is intended only for the addressee named above and may be privileged.",
    ],
)
def test_more_sign_offs_and_notices_end_the_reply(sign_off):
    assert reply_text("Our answer: the radio.\n\n" + sign_off) == "Our answer: the radio."


@pytest.mark.parametrize(
    "forward_line",
    ["Begin forwarded message:", "Début du message réexpédié :", "Inicio del mensaje reenviado:"],
)
def test_what_apple_mail_forwards_is_the_text_of_a_bare_forward(forward_line):
    body = f"{forward_line}\n\nFrom: Ana <ana@example.org>\nSubject: Re: Question 1.2\nDate: 8 July 2013\nTo: M4D\n\nQ2: we use the radio."

    assert reply_text(body) == "Q2: we use the radio."
    assert reply_text("My note.\n\n" + body) == "My note."


def test_an_outlook_forward_with_nothing_of_its_own_is_read_from_what_it_forwards():
    body = "\n\nDe : Ana Pérez\nEnvoyé : lundi 8 juillet 2013 11:02\nÀ : M4D\nObjet : Question 1.2\n\nQ2 : la radio communautaire."

    assert reply_text(body, forwarded=True) == "Q2 : la radio communautaire."
    assert reply_text(body) == ""  # a reply that quotes the round's mail and adds nothing


ROUND_QUOTED = (
    "On 8 Jul 2013, at 11:02, M4D <m4d@example.org> wrote:\n"
    "> Question 1.1\n> How can local authorities use decentralised cooperation?\n>\n"
    "> Question 1.2\n> What coordination mechanisms are available?\n>\n"
    "> Question 1.3\n> How can lessons learnt be shared?\n"
)


@pytest.mark.parametrize("mail_end", ["", "> -- \n> You receive this mail because you take part in this e-discussion.\n"])
def test_an_answer_under_the_whole_quoted_round_is_not_headed_by_its_last_question(mail_end):
    assert (
        reply_text(ROUND_QUOTED + mail_end + "\nWe run radio programmes for the diaspora.") == "We run radio programmes for the diaspora."
    )


@pytest.mark.parametrize("numbering", ["1.1 ", "Q1.1: ", "**Question 1.1** "])
def test_answers_under_questions_an_organiser_numbered_in_their_own_mail_are_headed_by_their_keys(numbering):
    second = numbering.replace("1.1", "1.2")
    body = (
        f"> {numbering}How can RLAs make use of decentralised cooperation?\n"
        "We twin with Accra and fund joint projects.\n\n"
        f"> {second}What coordination mechanisms are available?\n"
        "A quarterly meeting with the ministry.\n\n"
        "> 1.3 What strategies can RLAs adopt?\n\n"
        "-- \nPeter Smith | City of Leeds\n"
    )
    assert (
        reply_text(body, "Peter Smith")
        == "1.1:\nWe twin with Accra and fund joint projects.\n\n1.2:\nA quarterly meeting with the ministry."
    )


def test_a_quoted_line_that_starts_with_a_quantity_heads_nothing():
    assert reply_text("> 1.5 million euros went to twinning.\nThat is our budget too.") == "That is our budget too."
