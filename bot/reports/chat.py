"""/report from chat: the consolidated report, sent as a file in the chat."""

from __future__ import annotations

import asyncio

from bot.handling.turn import Turn
from bot.i18n import _, current_language, format_number, language_name, ngettext
from bot.ports import OutgoingMessage
from bot.reports.data import gather
from bot.reports.export import FORMATS, file_name, report_bytes

DEFAULT_FORMAT = "docx"  # what organisers circulate


async def report(turn: Turn, args: list[str]) -> None:
    """/report [LANG] [FORMAT], in any order."""
    assert turn.discussion is not None
    languages = turn.discussion.languages
    language = turn.language if turn.language in languages else languages[0]
    format = DEFAULT_FORMAT
    for arg in (a.lower().lstrip(".") for a in args):
        if arg in languages:
            language = arg
        elif arg in FORMATS:
            format = arg
        else:
            turn.reply(
                _(
                    "Send /report followed by a language ({languages}) and, if you wish, a format ({formats}), for example /report {example} docx."
                ).format(languages=", ".join(languages), formats=", ".join(FORMATS), example=languages[0])
            )
            return
    data = await gather(turn.session, turn.discussion, turn.now, streamed=True)  # one question's contributions held at a time
    from bot.reports.synthesis.making import with_key_points  # scikit-learn and YAKE load with the first report

    data = await with_key_points(turn.session, turn.discussion, data, language)
    # Drawing charts and laying out thousands of contributions takes seconds:
    # off the event loop, so that other chats are answered meanwhile.
    content = await asyncio.to_thread(report_bytes, data, format, language)
    count = data.figures.contributions
    turn.replies.append(
        OutgoingMessage(
            chat=turn.chat,
            text=_("The consolidated report, in {language}.").format(language=language_name(language, current_language()))
            + " "
            + ngettext("{count} contribution.", "{count} contributions.", count).format(count=format_number(count)),
            attachment=(file_name(data, format, language), content),
        )
    )
