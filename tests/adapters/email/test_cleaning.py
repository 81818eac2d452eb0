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


def test_a_notice_that_is_the_whole_mail_is_kept():
    body = "Disclaimer: I am not speaking for my council, but we ran radio programmes for the diaspora."
    assert reply_text(body) == body
