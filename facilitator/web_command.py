"""`facilitator web links contacts.csv` and `facilitator desk link PLATFORM:ID`:
personal links printed for people to be sent by hand (a contact list, an
organiser without a chat yet). Needs FACILITATOR_WEB_URL, the address the
links point at."""

from __future__ import annotations

import argparse
import asyncio
import csv
import re
import sys
from pathlib import Path

from bot.conversation import web_access
from bot.conversation.engine import utc_now
from bot.discussion import store
from bot.storage.models import Participant
from facilitator.settings import Settings


def register(commands) -> None:
    from facilitator.cli import add_discussion_option

    web = commands.add_parser("web", help="personal links to the web page").add_subparsers(required=True, metavar="ACTION")
    links = web.add_parser("links", help="a personal link for each contact of a CSV file (columns: name, language, organisation, country)")
    links.add_argument("contacts", type=Path)
    add_discussion_option(links)
    links.set_defaults(handler=lambda a: asyncio.run(print_participant_links(a)))
    revoke = web.add_parser("revoke", help="end a participant's personal links, given one of them")
    revoke.add_argument("link")
    add_discussion_option(revoke)
    revoke.set_defaults(handler=lambda a: asyncio.run(revoke_participant_links(a)))
    desk = commands.add_parser("desk", help="the organisers' desk").add_subparsers(required=True, metavar="ACTION")
    link = desk.add_parser("link", help="a one-time sign-in link to the desk for an organiser, as PLATFORM:USER_ID")
    link.add_argument("identity")
    add_discussion_option(link)
    link.set_defaults(handler=lambda a: asyncio.run(print_desk_link(a)))


def _public_url() -> str:
    from facilitator.cli import CommandError

    url = Settings.from_environment().web_url.rstrip("/")
    if not url:
        raise CommandError("set FACILITATOR_WEB_URL to the web pages' public address (e.g. http://127.0.0.1:8080)")
    return url


async def print_participant_links(args: argparse.Namespace) -> int:
    from facilitator.cli import CommandError, with_discussion

    url = _public_url()
    try:
        with args.contacts.open(newline="", encoding="utf-8-sig") as contacts_file:
            reader = csv.DictReader(contacts_file)
            contacts = list(reader)
            columns = {(column or "").strip().lower() for column in reader.fieldnames or ()}
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"cannot read {args.contacts}: {type(error).__name__}") from None
    if "name" not in columns:
        raise CommandError(f"{args.contacts} has no «name» column: each link is printed beside its contact's name")

    async def act(session, discussion) -> int:
        out = csv.writer(sys.stdout)
        out.writerow(["name", "link"])
        now = utc_now()
        problems = 0
        for line, row in enumerate(contacts, start=2):  # line 1 is the header
            contact = {(key or "").strip().lower(): (value or "").strip() for key, value in row.items() if isinstance(value, str)}
            name = contact.get("name", "")[:200]
            language = contact.get("language", "").lower()
            problem = (
                "no name: whose link would it be?"
                if not name
                else f"language {language!r} is not one of the discussion's ({', '.join(discussion.languages)})"
                if language and language not in discussion.languages
                else None
            )
            if problem:
                print(f"line {line}: {problem}; no link made", file=sys.stderr)
                problems += 1
                continue
            participant = await web_access.linked_participant_named(session, discussion, name)
            if participant is None:
                participant = Participant(
                    display_name=name,
                    name=name,
                    organisation=contact.get("organisation", "")[:200] or None,
                    country=contact.get("country", "")[:100] or None,
                    language=language or None,
                    created_at=now,
                )
                session.add(participant)
                await session.flush()
            token = await web_access.issue_participant_link(session, discussion, participant, now)
            out.writerow([name, f"{url}/p/{token}"])
        await session.commit()
        return 1 if problems else 0

    return await with_discussion(args, act)


async def revoke_participant_links(args: argparse.Namespace) -> int:
    from facilitator.cli import CommandError, with_discussion

    async def act(session, discussion) -> int:
        count = await web_access.revoke_link(session, args.link.strip().rstrip("/").rsplit("/", 1)[-1], utc_now())
        if not count:
            raise CommandError("no valid personal link is known by that address")
        print(f"{count} personal link{'' if count == 1 else 's'} revoked")
        return 0

    return await with_discussion(args, act)


async def print_desk_link(args: argparse.Namespace) -> int:
    from facilitator.cli import CommandError, with_discussion

    url = _public_url()
    match = re.fullmatch(r"([a-z]+):(\S+)", args.identity)
    if not match:
        raise CommandError(f"{args.identity!r} is not PLATFORM:USER_ID, such as telegram:123456")
    platform, user_id = match.groups()

    async def act(session, discussion) -> int:
        if not await store.is_organiser(session, discussion, platform, user_id):
            raise CommandError(f"{args.identity} does not organise {discussion.slug}: `facilitator organiser add {args.identity}` first")
        print(await desk_link(session, discussion, platform, user_id, url))
        await session.commit()
        return 0

    return await with_discussion(args, act)


async def desk_link(session, discussion, platform: str, user_id: str, url: str) -> str:
    return f"{url.rstrip('/')}/p/{await web_access.issue_desk_link(session, discussion, platform, user_id, utc_now())}"
