"""`facilitator invite`: invitations mailed through a real relay (aiosmtpd)
to a contact list, bad rows reported by line, nobody invited twice; the
contacts consent by replying to the mail (a real Dovecot mailbox read by the
running bot), and change their profile by replying."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.discussion import store
from bot.storage.models import Venue
from facilitator.cli import main
from facilitator.invite_command import contact_rows, read_contacts
from tests.adapters.email import conftest as email_fixtures
from tests.adapters.email.conftest import ADDRESS, TOKEN_KEY, store_participant
from tests.adapters.email.servers import Relay, plain_text

# The e-mail tests' real servers and bot, for this folder too.
dovecot, relay, mailbot = email_fixtures.dovecot, email_fixtures.relay, email_fixtures.mailbot

AYAD = "ayad.zarouali@example.ma"
ANA = "ana@municipio.example"
CONTACTS = (
    "name,e-mail,language,organisation,country,role\n"
    "Ayad Zarouali,Ayad.Zarouali@example.ma,fr,Commune de Tanger,Maroc,local_authority\n"
    "Nobody,,fr,,,\n"
    "Bad Address,ana at municipio,es,,,\n"
    "Hans,hans@stadt.example,de,,,\n"
    "Ana Ruiz,ana@municipio.example,es,Ayuntamiento de Murcia,España,\n"
)


@pytest.fixture
def invite(mailbot, database, monkeypatch, tmp_path, capsys):
    """Runs `facilitator invite` as a shell would, with the bot's mail settings; returns (exit code, stderr)."""
    if database.dialect.name != "sqlite":
        pytest.skip("the CLI's own database URL is exercised on the SQLite file")
    config = mailbot.config
    environment = {
        "DATABASE_URL": str(database.url),
        "WEB_URL": "http://127.0.0.1:8080",
        "EMAIL_ADDRESS": ADDRESS,
        "EMAIL_IMAP_HOST": "127.0.0.1",
        "EMAIL_IMAP_PORT": str(config.imap_port),
        "EMAIL_IMAP_SECURITY": "none",
        "EMAIL_SMTP_HOST": "127.0.0.1",
        "EMAIL_SMTP_PORT": str(config.smtp_port),
        "EMAIL_SMTP_SECURITY": "none",
        "EMAIL_SMTP_USER": Relay.user,
        "EMAIL_SMTP_PASSWORD": Relay.password,
        "EMAIL_TOKEN_KEY": TOKEN_KEY,
        "EMAIL_RATE": "500",
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"FACILITATOR_{name}", value)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")

    async def run() -> tuple[int, str]:
        async with mailbot.engine.sessions() as session:
            slug = (await store.find_discussion(session)).slug
        code = await asyncio.to_thread(main, ["invite", "--discussion", slug, str(contacts)])
        return code, capsys.readouterr().err

    return run


def answer(invitation, sender: str, text: str, message_id: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: {invitation['Reply-To']}\r\nSubject: Re: {invitation['Subject']}\r\nMessage-ID: {message_id}\r\n"
        f"In-Reply-To: {invitation['Message-ID']}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\n"
        f"Le lun. 8 juil. 2013, {ADDRESS} a écrit :\r\n> Vous êtes invité\r\n"
    ).encode()


async def test_each_contact_is_invited_in_their_language_and_bad_rows_are_reported_by_line(mailbot, invite):
    code, errors = await invite()

    assert code == 1
    assert "line 3: no e-mail address" in errors
    assert "line 4: 'ana at municipio' is not an e-mail address" in errors
    assert "line 5: language 'de' is not one of the discussion's" in errors
    [french] = mailbot.relay.to(AYAD)
    text = plain_text(french)
    assert french["Subject"].startswith("Vous êtes invité")
    assert "Commune de Tanger" in text and "Maroc" in text and "«oui»" in text
    assert "1. " in text and "2. " in text  # how the answers may be published: the choices, numbered
    assert "http://127.0.0.1:8080/p/" in text  # the personal web link
    assert "les organisateurs de cette e-discussion vous y invitent" in text  # why they get it, before they take part
    [spanish] = mailbot.relay.to(ANA)
    assert "Ayuntamiento de Murcia" in plain_text(spanish) and "«sí»" in plain_text(spanish)
    async with mailbot.engine.sessions() as session:
        ayad = await store_participant(session, AYAD)
        assert (ayad.name, ayad.organisation, ayad.country, ayad.language, ayad.role.value) == (
            "Ayad Zarouali",
            "Commune de Tanger",
            "Maroc",
            "fr",
            "local_authority",
        )
        assert ayad.consent is None  # nothing is published before they say yes

    mailbot.relay.clear()
    code, errors = await invite()

    assert mailbot.relay.received == []  # nobody is invited twice
    assert f"line 2: {AYAD} is already invited or taking part" in errors


async def test_replying_yes_to_the_invitation_is_consent_and_the_round_follows(mailbot, invite):
    await invite()
    [french] = mailbot.relay.to(AYAD)
    [spanish] = mailbot.relay.to(ANA)
    mailbot.relay.clear()
    await mailbot.open_round(1)
    assert mailbot.relay.received == []  # invited is not subscribed: no round's mail before consent

    await mailbot.receive(answer(french, AYAD, "Oui !", "<oui@example.ma>"))
    await mailbot.receive(answer(spanish, ANA, "2", "<anonima@municipio.example>"))

    async with mailbot.engine.sessions() as session:
        ayad, ana = await store_participant(session, AYAD), await store_participant(session, ANA)
        assert (ayad.consent, ayad.anonymous, ayad.onboarding_step) == (True, False, None)
        assert (ana.consent, ana.anonymous) == (True, True)
        assert set(await session.scalars(select(Venue.active).where(Venue.chat_id.in_([AYAD, ANA])))) == {True}
    ayad_mail = [plain_text(m) for m in mailbot.relay.to(AYAD)]
    assert any("avec votre nom" in text for text in ayad_mail)
    assert any("Question 1.1" in text and "Question 1.5" in text for text in ayad_mail)  # the open round's mail, now
    assert any("sin su nombre" in text for text in map(plain_text, mailbot.relay.to(ANA)))


async def test_yes_in_spanish_with_a_signature_consents_and_the_profile_is_changed_by_replying(mailbot, invite):
    await invite()
    [spanish] = mailbot.relay.to(ANA)
    await mailbot.receive(answer(spanish, ANA, "Sí, acepto.\r\n\r\nEnviado desde mi iPhone", "<si@municipio.example>"))
    async with mailbot.engine.sessions() as session:
        assert (await store_participant(session, ANA)).consent is True

    await mailbot.receive(answer(spanish, ANA, "perfil", "<perfil@municipio.example>"))
    prompt = mailbot.relay.to(ANA)[-1]
    await mailbot.receive(answer(prompt, ANA, "Ana María Ruiz", "<nombre@municipio.example>"))

    async with mailbot.engine.sessions() as session:
        assert (await store_participant(session, ANA)).name == "Ana María Ruiz"


def test_a_spreadsheets_list_is_read_with_its_semicolons_its_headers_and_language_names_in_french(tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "\ufeffNom;Adresse e-mail;Langue;Organisme;Pays;Rôle\n"
        "Ayad Zarouali;Ayad.Zarouali@example.ma;Français;Commune de Tanger, Maroc;Maroc;local_authority\n"
        "Ana Ruiz;ana@municipio.example;espagnol;Ayuntamiento de Murcia;España;\n",
        encoding="utf-8",
    )
    invited, problems = read_contacts(contact_rows(contacts), ["fr", "en", "es"])
    assert problems == []
    assert [(c.invited.address, c.invited.name, c.invited.organisation, c.language) for c in invited] == [
        (AYAD, "Ayad Zarouali", "Commune de Tanger, Maroc", "fr"),
        (ANA, "Ana Ruiz", "Ayuntamiento de Murcia", "es"),
    ]
