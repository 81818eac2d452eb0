"""`facilitator invite --discussion ID contacts.csv`: an invitation by mail to
each contact of the organisers' list (columns: name, e-mail, language,
organisation, country, role), in their language, their profile from the file.

Each contact becomes a participant with their address, and a venue that
receives nothing until they consent by replying «yes» (or 2: anonymously).
A bad row (no address, a bad one, a language the discussion does not have,
an unknown role) is reported with its line number and the others go on. A
contact already in the database is not invited again; one whose invitation
was written but not sent (the command stopped in between) is sent it at the
next run. With FACILITATOR_WEB_URL set, the invitation carries their personal
web link too.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from adapters.email import EmailChat
from adapters.email.inbound import ADDRESS_LIMIT, PLATFORM
from adapters.email.invitation import Invited, invitation_text
from bot.conversation import onboarding, web_access
from bot.conversation.engine import utc_now
from bot.i18n import language_named, reading_in, typed_key
from bot.ports import ChatKind, ChatRef, OutgoingMessage, RecipientUnreachable
from bot.storage.models import Participant, PlatformIdentity, Role, Venue
from facilitator.settings import Settings

# Written before the invitation is sent, cleared once it is: a contact still
# marked so was not sent theirs (the command stopped in between).
NOT_SENT_YET = "invitation"
SNIFFED_CHARACTERS = 8192  # of the file, to tell its delimiter
ROLES: dict[str, Role] = {
    **dict.fromkeys(("", "participant", "participante"), Role.participant),
    **dict.fromkeys(
        ("local_authority", "local authority", "collectivité", "collectivité locale", "autoridad local", "gobierno local"),
        Role.local_authority,
    ),
}
# Each column as organisers name it in their spreadsheet, in their language (matched as `typed_key`).
COLUMNS = {
    "address": ("e mail", "email", "mail", "courriel", "correo", "correo electronico", "adresse e mail", "adresse mail"),
    "name": ("name", "full name", "nom", "nom complet", "nombre", "nombre completo", "nome"),
    "language": ("language", "lang", "langue", "idioma", "lengua", "lingua"),
    "organisation": ("organisation", "organization", "organisme", "organizacion", "entidad", "institution", "institucion", "organizacao"),
    "country": ("country", "pays", "pais"),
    "role": ("role", "rol", "funcion", "fonction", "papel"),
}
_COLUMN_OF = {typed: column for column, names in COLUMNS.items() for typed in names}


@dataclass(frozen=True)
class Contact:
    line: int
    invited: Invited
    language: str
    role: Role


def register(commands) -> None:
    from facilitator.cli import add_discussion_option

    invite = commands.add_parser(
        "invite", help="mail an invitation to each contact of a CSV file (columns: name, e-mail, language, organisation, country, role)"
    )
    invite.add_argument("contacts", type=Path)
    add_discussion_option(invite)
    invite.set_defaults(handler=lambda a: asyncio.run(invite_contacts(a)))


def read_contacts(rows: list[dict[str, str]], languages: list[str]) -> tuple[list[Contact], list[str]]:
    """The rows that can be invited, and a sentence for each that cannot (line 1 is the header)."""
    contacts, problems = [], []
    seen: set[str] = set()
    for line, written_row in enumerate(rows, start=2):
        typed = {typed_key(key or ""): value.strip() for key, value in written_row.items() if isinstance(value, str)}
        row = {_COLUMN_OF.get(header, header): value for header, value in typed.items()}
        written = row.get("address", "")
        # "fr", "Français", "French" alike.
        language, role = language_named(row.get("language", ""), languages) or row.get("language", "").lower(), row.get("role", "").lower()
        if not written:
            problems.append(f"line {line}: no e-mail address")
            continue
        try:
            address = validate_email(written, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            problems.append(f"line {line}: {written!r} is not an e-mail address ({error})")
            continue
        if len(address) > ADDRESS_LIMIT:
            problems.append(f"line {line}: {written!r} is longer than {ADDRESS_LIMIT} characters")
        elif language not in languages:
            problems.append(f"line {line}: language {language!r} is not one of the discussion's ({', '.join(languages)})")
        elif role not in ROLES:
            problems.append(f"line {line}: role {role!r} is neither participant nor local_authority")
        elif address in seen:
            problems.append(f"line {line}: {address} is already on an earlier line")
        else:
            seen.add(address)
            invited = Invited(address, row.get("name", "")[:200], row.get("organisation", "")[:300], row.get("country", "")[:100])
            contacts.append(Contact(line, invited, language, ROLES[role]))
    return contacts, problems


def contact_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows by its header: separated by commas, or by the semicolons (or tabs) that
    spreadsheets write where the decimal mark is a comma."""
    with path.open(newline="", encoding="utf-8-sig") as contacts_file:
        sample = contacts_file.read(SNIFFED_CHARACTERS)
        contacts_file.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:  # one column, or too little to tell
            dialect = csv.excel
        return list(csv.DictReader(contacts_file, dialect=dialect))


async def invite_contacts(args: argparse.Namespace) -> int:
    from facilitator.cli import CommandError, with_discussion

    settings = Settings.from_environment()
    if settings.email is None:
        raise CommandError("set FACILITATOR_EMAIL_ADDRESS, _IMAP_HOST and _SMTP_HOST: invitations go by mail")
    try:
        rows = contact_rows(args.contacts)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"cannot read {args.contacts}: {type(error).__name__}") from None
    adapter = EmailChat(settings.email)
    web_url = settings.web_url.rstrip("/")

    async def act(session, discussion) -> int:
        contacts, problems = read_contacts(rows, discussion.languages)
        for problem in problems:
            print(problem, file=sys.stderr)
        sent = 0
        try:
            sent = await _invite_each(session, discussion, contacts, problems)
        finally:
            await adapter.relay.close()
        print(f"{sent} invitation{'' if sent == 1 else 's'} sent, {len(problems)} line{'' if len(problems) == 1 else 's'} not invited")
        return 1 if problems else 0

    async def _invite_each(session, discussion, contacts: list[Contact], problems: list[str]) -> int:
        sent = 0
        for contact in contacts:
            participant, state = await _participant(session, discussion, contact)
            if state:
                print(f"line {contact.line}: {contact.invited.address} {state}, not invited again", file=sys.stderr)
                continue
            web_link = (
                f"{web_url}/p/{await web_access.issue_participant_link(session, discussion, participant, utc_now())}" if web_url else None
            )
            await session.commit()  # written before it is sent: a stop in between sends it at the next run
            with reading_in(contact.language):
                text = invitation_text(
                    contact.invited, discussion.title.get(contact.language, ""), discussion.invitation.get(contact.language, ""), web_link
                )
                message = OutgoingMessage(
                    ChatRef(PLATFORM, contact.invited.address, ChatKind.private), text, buttons=onboarding.consent_buttons()
                )
                try:
                    await adapter.invite(message)
                except RecipientUnreachable as error:
                    problems.append(f"line {contact.line}: {contact.invited.address}: {error}")
                    print(problems[-1], file=sys.stderr)
                    continue
            participant.onboarding_step = None
            await session.commit()
            sent += 1
        return sent

    return await with_discussion(args, act)


async def _participant(session, discussion, contact: Contact) -> tuple[Participant, str]:
    """The contact as a participant with a venue waiting for their consent, and
    why they are not to be invited ("" when they are: new, or not sent theirs yet)."""
    address = contact.invited.address
    found = await session.scalar(
        select(Participant).join(PlatformIdentity).where(PlatformIdentity.platform == PLATFORM, PlatformIdentity.external_id == address)
    )
    if found is not None:
        return found, "" if found.onboarding_step == NOT_SENT_YET else "is already invited or taking part"
    now = utc_now()
    participant = Participant(
        display_name=contact.invited.name or address,
        name=contact.invited.name or None,
        organisation=contact.invited.organisation or None,
        country=contact.invited.country or None,
        language=contact.language,
        role=contact.role,
        onboarding_step=NOT_SENT_YET,
        created_at=now,
    )
    session.add(participant)
    await session.flush()
    session.add(PlatformIdentity(platform=PLATFORM, external_id=address, participant_id=participant.id))
    session.add(
        Venue(
            discussion_id=discussion.id,
            platform=PLATFORM,
            chat_id=address,
            kind=ChatKind.private,
            participant_id=participant.id,
            created_at=now,
            active=False,  # nothing is mailed to them before they consent
        )
    )
    return participant, ""
