"""The `facilitator` command: runs the bot, and lets organisers act on the
database from a shell while it runs (the database is the meeting point)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import cast

from bot.conversation import filing
from bot.conversation.commands.organisers import status_text
from bot.conversation.engine import utc_now
from bot.discussion import store
from bot.discussion.spec import DiscussionFileError, DiscussionSpec, example_discussion_path, load_discussion, past_dates_warning
from bot.i18n import catalog_languages, reading_in
from bot.ports.identity import identity_parts, identity_problem
from bot.reports import FORMATS
from bot.storage.database import create_engine, migrate, safe_url, session_factory, sqlite_file
from bot.storage.models import Discussion
from bot.storage.run_lock import DatabaseInUse, RunLock
from facilitator import invite_command, link_command, synthesis_command, web_command
from facilitator import schedule_command as schedule_command
from facilitator.settings import Settings
from schedules import rounds, timetable

log = logging.getLogger("facilitator")
EXIT_PROBLEM = 2
COMMAND_LINE_ORGANISER = ("cli", "")  # who filed an answer from the shell, in the organisers' audit log


# argparse takes "-1d" for an option it does not know; a space ahead keeps it a value,
# which the duration's own check then explains ("a round is not moved back").
_NEGATIVE_DURATION = re.compile(r"-(?:\d+\s*[wdhm]|P\w+)", re.IGNORECASE)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else argv
    args = parser.parse_args([f" {word}" if _NEGATIVE_DURATION.fullmatch(word) else word for word in words])
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader stopped reading (`facilitator status | head`): end quietly,
        # with stdout pointed away so that the final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CommandError as error:
        print(f"facilitator: {error}", file=sys.stderr)
        return EXIT_PROBLEM


class CommandError(Exception):
    """A problem the person at the shell can fix; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facilitator", description="Runs multilingual e-discussions in chat.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="load a discussion and start every configured chat platform")
    discussion_file = run.add_mutually_exclusive_group()
    discussion_file.add_argument("file", nargs="?", type=Path, default=None, help="discussion file (default: the 2013 example)")
    discussion_file.add_argument("--discussion", type=Path, default=None, help="the same, as an option")
    run.add_argument("--organiser", action="store_true", help="in the console, you are also an organiser")
    schedule_command.add_run_options(run)
    run.set_defaults(handler=lambda a: asyncio.run(run_bot(a)))

    validate = commands.add_parser("validate", help="check a discussion file")
    validate.add_argument("file", type=Path)
    validate.set_defaults(handler=validate_file)

    round_ = commands.add_parser("round", help="open or close a round").add_subparsers(required=True, metavar="ACTION")
    for action in ("open", "close"):
        sub = round_.add_parser(action, help=f"{action} round N")
        sub.add_argument("number", type=int)
        add_discussion_option(sub)
        sub.set_defaults(handler=lambda a, action=action: asyncio.run(set_round(a, action == "open")))

    status = commands.add_parser("status", help="contributions per round and question")
    add_discussion_option(status)
    status.add_argument("--lang", help="language of the report (default en, or the discussion's first if it is not held in English)")
    status.set_defaults(handler=lambda a: asyncio.run(show_status(a)))

    pending = commands.add_parser("pending", help="answers waiting for their question")
    add_discussion_option(pending)
    pending.add_argument("--lang", help="language of the list (default en, or the discussion's first if it is not held in English)")
    pending.set_defaults(handler=lambda a: asyncio.run(show_pending(a)))

    file = commands.add_parser("file", help="tie answer N to question Q (e.g. file 123 1.4)")
    file.add_argument("contribution", metavar="N")
    file.add_argument("question", metavar="Q")
    add_discussion_option(file)
    file.add_argument("--lang", help="language of the answer (default en, or the discussion's first if it is not held in English)")
    file.set_defaults(handler=lambda a: asyncio.run(file_contribution(a)))

    export = commands.add_parser("export", help="write the consolidated report, or its data, to a file")
    add_discussion_option(export)
    export.add_argument("--format", choices=FORMATS, help="default: the output file's extension")
    export.add_argument("--lang", help="the report's language (default: the discussion's first)")
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    export.add_argument("--no-charts", action="store_true", help="Markdown: leave the charts out (else FILE-<chart>.png beside it)")
    export.set_defaults(handler=lambda a: asyncio.run(export_report(a)))

    organiser = commands.add_parser("organiser", help="grant, revoke or list organisers").add_subparsers(required=True, metavar="ACTION")
    for action in ("add", "remove"):
        sub = organiser.add_parser(action, help=f"{action} an organiser, as PLATFORM:USER_ID (e.g. telegram:123456)")
        sub.add_argument("identity")
        add_discussion_option(sub)
        sub.set_defaults(handler=lambda a, action=action: asyncio.run(change_organiser(a, action == "add")))
    listing = organiser.add_parser("list", help="who organises the discussion")
    add_discussion_option(listing)
    listing.set_defaults(handler=lambda a: asyncio.run(list_organisers(a)))

    invite_command.register(commands)
    link_command.register(commands)
    schedule_command.register(commands)
    synthesis_command.register(commands)
    web_command.register(commands)
    return parser


def add_discussion_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--discussion", help="the discussion's id, where more than one is loaded")


def validate_file(args: argparse.Namespace) -> int:
    try:
        spec = load_discussion(args.file)
    except DiscussionFileError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEM
    print(
        f"{args.file}: valid: {spec.slug}, {len(spec.rounds)} rounds, {len(spec.questions)} questions, languages {', '.join(spec.languages)}"
    )
    if note := untranslated_note(spec):
        print(f"{args.file}: note: {note}", file=sys.stderr)
    if warning := past_dates_warning(spec, utc_now()):
        print(f"{args.file}: warning: {warning}", file=sys.stderr)
    return 0


def untranslated_note(spec: DiscussionSpec) -> str | None:
    """A discussion may be held in a language the bot's own sentences are not
    translated into: its questions are, the bot's prompts fall back to English."""
    missing = [code for code in spec.languages if code not in catalog_languages()]
    if not missing:
        return None
    return (
        f"the bot's own messages exist in {', '.join(catalog_languages())}; participants reading "
        f"{', '.join(missing)} get the questions and invitation in their language and the bot's messages in English"
    )


def load_spec(path: Path | None) -> DiscussionSpec:
    try:
        return load_discussion(path or example_discussion_path())
    except DiscussionFileError as error:
        raise CommandError("the discussion file has problems:\n" + str(error)) from None


async def open_database(settings: Settings, existing: bool = False):
    """`existing`: an SQLite file must be there already; only `run` creates one
    (a command typed in the wrong folder would otherwise make an empty one)."""
    if existing and (path := sqlite_file(settings.database_url.reveal())) is not None and not path.exists():
        raise CommandError(
            f"no database at {path.resolve()}: run this command where `facilitator run` runs, "
            "or set FACILITATOR_DATABASE_URL to its database"
        )
    engine = create_engine(settings.database_url.reveal())
    try:
        await migrate(engine)
    except Exception as error:
        await engine.dispose()
        raise CommandError(f"cannot use the database {safe_url(settings.database_url.reveal())}: {type(error).__name__}") from None
    return engine


async def run_bot(args: argparse.Namespace) -> int:
    from bot.linking import meaning
    from facilitator.assembly import configured_platforms, make_engine, serve

    meaning.load_later()  # the sentence-embedding model loads once the bot can answer: see below

    settings = Settings.from_environment()
    spec = load_spec(args.file or args.discussion)
    if note := untranslated_note(spec):
        log.warning("%s", note)
    database = await open_database(settings)
    try:
        lock = await RunLock.acquire(database, settings.database_url.reveal())
    except DatabaseInUse as holder:
        await database.dispose()
        raise CommandError(
            f"another `facilitator run` uses {safe_url(settings.database_url.reveal())}: {holder}; run one per database"
        ) from None
    try:
        engine = make_engine(session_factory(database), web_url=settings.web_url)
        discussion = await schedule_command.load_for_run(engine, spec, args.rehearse)
        if args.organiser:
            async with engine.sessions() as session:
                await store.grant_organiser(session, discussion, "console", "local", utc_now())
                if settings.web_url:
                    print(f"The organisers' desk: {await web_command.desk_link(session, discussion, 'console', 'local', settings.web_url)}")
                await session.commit()
        platforms = configured_platforms(settings)
        log.info("discussion %s loaded; platforms: %s", spec.slug, ", ".join(p.name for p in platforms))
        if any(platform.name == "console" for platform in platforms) and not sys.stdin.isatty():
            # A conversation read from a pipe has nobody waiting for the first answer: it is linked as a live one is, by meaning too.
            await asyncio.to_thread(meaning.shared_embedder)
        else:
            meaning.load_in_background(meaning.LOAD_AFTER_SECONDS)  # meanwhile the bot answers by markers and words
        await stopped_by_sigterm(serve(engine, platforms, database, args.grace))
    finally:
        await asyncio.to_thread(meaning.stop_loading)
        await lock.release()
        await database.dispose()
    return 0


async def stopped_by_sigterm(work: Coroutine[object, object, None]) -> None:
    """Run `work`; SIGTERM (systemd, docker) stops it as Ctrl-C does: it is
    cancelled, so the platforms, the scheduler and the posting of questions
    end in order, each question posted recorded as delivered."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if not task.cancelled() or (current is not None and current.cancelling()):
            raise  # Ctrl-C, or a cancellation from outside: not the stop asked for
        log.info("stopped (SIGTERM)")
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def held_language(discussion: Discussion, requested: str | None, default: str | None = None) -> str:
    """The language a command writes in: one the discussion is held in, or a CommandError.
    Without one asked for, `default` if the discussion is held in it, else its first language."""
    language: str = requested or (default if default in discussion.languages else None) or discussion.languages[0]
    if language not in discussion.languages:
        raise CommandError(f"{discussion.slug} is held in {', '.join(discussion.languages)}, not {language!r}")
    return language


async def with_discussion(args: argparse.Namespace, action) -> int:
    settings = Settings.from_environment()
    database = await open_database(settings, existing=True)
    try:
        async with session_factory(database)() as session:
            discussions = await store.list_discussions(session)
            if args.discussion:
                chosen = [d for d in discussions if d.slug == args.discussion]
            else:
                chosen = discussions if len(discussions) <= 1 else []
                if not chosen and discussions:
                    raise CommandError(
                        "several discussions are loaded; name one with --discussion: " + ", ".join(d.slug for d in discussions)
                    )
            if not chosen:
                raise CommandError(
                    f"no discussion {args.discussion!r} in the database"
                    if args.discussion
                    else "no discussion loaded yet: run `facilitator run` first"
                )
            result = await action(session, chosen[0])
            await session.commit()
            return result
    finally:
        await database.dispose()


async def set_round(args: argparse.Namespace, opening: bool) -> int:
    async def act(session, discussion) -> int:
        round_ = await store.round_by_number(session, discussion, args.number)
        if round_ is None:
            count = len(await store.rounds_of(session, discussion))
            raise CommandError(f"{discussion.slug} has rounds 1 to {count}; there is no round {args.number}")
        if opening:
            changed = await timetable.open_by_hand(session, discussion, round_, utc_now())
            print(
                f"round {args.number} of {discussion.slug} is open; the running bot posts its questions within seconds"
                if changed
                else f"round {args.number} of {discussion.slug} was already open"
            )
        else:
            changed = await rounds.close_round(session, round_, utc_now())
            print(f"round {args.number} of {discussion.slug} is closed" if changed else f"round {args.number} was not open")
        return 0

    return await with_discussion(args, act)


async def show_status(args: argparse.Namespace) -> int:
    async def act(session, discussion) -> int:
        with reading_in(held_language(discussion, args.lang, "en")):
            print(await status_text(session, discussion))
        return 0

    return await with_discussion(args, act)


async def show_pending(args: argparse.Namespace) -> int:
    async def act(session, discussion) -> int:
        with reading_in(held_language(discussion, args.lang, "en")):
            print(await filing.pending_text(session, discussion))
        return 0

    return await with_discussion(args, act)


async def file_contribution(args: argparse.Namespace) -> int:
    async def act(session, discussion) -> int:
        with reading_in(held_language(discussion, args.lang, "en")):
            outcome = await filing.file_as_organiser(
                session, discussion, args.contribution.lstrip("#"), args.question, utc_now(), COMMAND_LINE_ORGANISER
            )
        print(outcome.text, file=sys.stdout if outcome.filed else sys.stderr)
        return 0 if outcome.filed else EXIT_PROBLEM

    return await with_discussion(args, act)


async def export_report(args: argparse.Namespace) -> int:
    format = args.format or args.output.suffix.lstrip(".").lower()
    if format not in FORMATS:
        raise CommandError(f"give --format, one of {', '.join(FORMATS)}, or an output file ending in one")

    from bot.reports.data import gather  # the renderers load only for an export
    from bot.reports.export import write_report

    async def act(session, discussion) -> int:
        language = held_language(discussion, args.lang)
        report = await gather(session, discussion, utc_now(), streamed=True)  # one question's contributions held at a time
        from bot.reports.synthesis.making import with_key_points

        with synthesis_command.progress_bar(report.figures.contributions, "key points") as bar:
            report = await with_key_points(session, discussion, report, language, bar.update)
        partial = args.output.with_name(args.output.name + ".part")  # no half-written report under the real name

        def save_chart(chart) -> str:
            image = args.output.with_name(f"{args.output.stem}-{chart.name}.png")
            image.write_bytes(chart.png)
            return image.name  # linked from beside it

        try:
            with partial.open("wb") as out:
                # In a worker thread: a streamed report reads each question through the open session.
                await asyncio.to_thread(write_report, report, format, language, out, None if args.no_charts else save_chart)
            partial.replace(args.output)
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror}") from None
        count = report.figures.contributions
        print(f"{args.output}: {count} contribution{'' if count == 1 else 's'} of {discussion.slug}, {format}, {language}")
        return 0

    return await with_discussion(args, act)


def parse_identity(identity: str) -> tuple[str, str]:
    parts = identity_parts(identity)
    if parts is None:
        raise CommandError(cast(str, identity_problem(identity)))
    return parts


async def change_organiser(args: argparse.Namespace, granting: bool) -> int:
    platform, user_id = parse_identity(args.identity) if granting else _any_identity(args.identity)

    async def act(session, discussion) -> int:
        if granting:
            changed = await store.grant_organiser(session, discussion, platform, user_id, utc_now())
            print(f"{args.identity} {'now organises' if changed else 'already organises'} {discussion.slug}")
        else:
            revoked = await store.revoke_organiser(session, discussion, platform, user_id)
            print(f"{args.identity} {'no longer organises' if revoked else 'was not an organiser of'} {discussion.slug}")
            if revoked is not None and revoked.from_file:
                print(
                    f"{args.identity} is listed under organisers in the discussion file: take it out there too, or it organises again at the next start"
                )
        return 0

    return await with_discussion(args, act)


def _any_identity(identity: str) -> tuple[str, str]:
    """Removing takes whatever was granted, a mistyped one included."""
    match = re.fullmatch(r"([a-z]+):(\S+)", identity)
    if not match:
        raise CommandError(f"{identity!r} is not PLATFORM:USER_ID, such as telegram:123456")
    platform, user_id = match.groups()
    return platform, user_id


async def list_organisers(args: argparse.Namespace) -> int:
    async def act(session, discussion) -> int:
        grants = await store.organisers_of(session, discussion)
        for grant in grants:
            origin = "from the discussion file" if grant.from_file else f"added {grant.granted_at:%Y-%m-%d %H:%M} UTC"
            print(f"{grant.platform}:{grant.external_id}  {origin}")
        if not grants:
            print(f"{discussion.slug} has no organiser yet: `facilitator organiser add telegram:123456` names one")
        return 0

    return await with_discussion(args, act)
