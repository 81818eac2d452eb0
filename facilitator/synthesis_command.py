"""`facilitator synthesis`: the key points per question as a draft file the organisers edit.

Run it, edit the file, run it again with the same file: the edits are saved in the database
(so that every report uses them), then the file is written again, up to date with the
contributions received meanwhile. A file with edits is never overwritten before they are
saved; a file with a problem is left as it is, and every problem is listed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.conversation.engine import utc_now
from bot.i18n import reading_in

# The synthesis (scikit-learn, YAKE) is imported when it is used, not at every command's start.


def register(commands) -> None:
    from facilitator.cli import add_discussion_option

    synthesis = commands.add_parser(
        "synthesis",
        help="the key points per question, as a draft to review: edit FILE, run again to save the edits",
    )
    add_discussion_option(synthesis)
    synthesis.add_argument("--lang", help="the language of the labels and the report (default: the discussion's first)")
    synthesis.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the draft, in YAML")
    synthesis.set_defaults(handler=lambda a: asyncio.run(write_draft(a)))


def progress_bar(total: int, what: str):
    """A progress bar on a terminal; nothing when the output is piped or logged."""
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit=" contributions", disable=not sys.stderr.isatty(), file=sys.stderr, leave=False)


async def write_draft(args: argparse.Namespace) -> int:
    from bot.reports.data import gather
    from bot.reports.synthesis import store
    from bot.reports.synthesis.making import make_synthesis
    from bot.reports.synthesis.review import draft_file, read_back
    from facilitator.cli import EXIT_PROBLEM, CommandError, held_language, with_discussion

    async def act(session, discussion) -> int:
        language = held_language(discussion, args.lang)
        report = await gather(session, discussion, utc_now())
        kept = await store.kept(session, discussion, language)
        reviewed = kept if kept is not None and kept.reviewed_at is not None else None
        if args.output.exists():
            try:
                text = args.output.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"cannot read {args.output}: {error}") from None
            edits = read_back(text, report, discussion.slug, language, utc_now(), kept)
            if edits.problems:
                return _problems(args.output, edits.problems, language, EXIT_PROBLEM)
            _say(args.output, edits.notes, language)
            if edits.review is not None:
                reviewed = edits.review
                print(f"{args.output}: the edits are saved; every report of {discussion.slug} in {language} now uses them")
        with progress_bar(report.figures.contributions, "key points") as bar:
            # Without a review, grouped afresh: the bot's own grouping improves with every contribution.
            synthesis = await make_synthesis(session, discussion, report, language, reviewed, bar.update)
        await store.keep(session, discussion, synthesis, utc_now())
        partial = args.output.with_name(args.output.name + ".part")
        try:
            partial.write_text(draft_file(synthesis, discussion.slug, args.output.name), encoding="utf-8")
            partial.replace(args.output)
        except OSError as error:
            raise CommandError(f"cannot write {args.output}: {error.strerror}") from None
        themes = sum(len(question.themes) for question in synthesis.questions)
        print(
            f"{args.output}: {themes} theme{'' if themes == 1 else 's'} over {len(synthesis.questions)} questions of {discussion.slug}, {language}"
        )
        return 0

    return await with_discussion(args, act)


def _say(path: Path, lines: Sequence[object], language: str) -> None:
    """What is wrong in the file, or left out of it, in the draft's language (that of its header)."""
    with reading_in(language):
        for line in lines:
            print(f"{path}: {line}", file=sys.stderr)


def _problems(path: Path, problems: Sequence[object], language: str, code: int) -> int:
    _say(path, problems, language)
    print(f"{path}: nothing saved, the file is left as it is", file=sys.stderr)
    return code
