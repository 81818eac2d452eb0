"""/synthesis from chat: the draft report with its key points, and the draft file to review
them, sent to an organiser."""

from __future__ import annotations

import asyncio

from bot.handling.turn import Turn
from bot.i18n import _, current_language, language_name
from bot.ports import OutgoingMessage
from bot.reports.data import gather
from bot.reports.export import file_name, report_bytes
from bot.reports.synthesis.making import with_key_points
from bot.reports.synthesis.review import draft_file


async def synthesis(turn: Turn, args: list[str]) -> None:
    """/synthesis [LANG]"""
    assert turn.discussion is not None
    languages = turn.discussion.languages
    if len(args) > 1 or (args and args[0].lower() not in languages):
        turn.reply(
            _("Send /synthesis followed by a language ({languages}), for example /synthesis {example}.").format(
                languages=", ".join(languages), example=languages[0]
            )
        )
        return
    language = args[0].lower() if args else (turn.language if turn.language in languages else languages[0])
    report = await with_key_points(
        turn.session, turn.discussion, await gather(turn.session, turn.discussion, turn.now, streamed=True), language
    )
    made = report.synthesis
    assert made is not None
    content = await asyncio.to_thread(report_bytes, report, "docx", language)
    draft_name = f"{turn.discussion.slug}-synthesis-{language}.yaml"
    command = f"facilitator synthesis --discussion {turn.discussion.slug} --lang {language} -o {draft_name}"
    draft = draft_file(made, turn.discussion.slug, draft_name)
    reviewed = made.reviewed_at is not None
    turn.replies.append(
        OutgoingMessage(
            chat=turn.chat,
            text=(
                _("The report with its key points, in {language}, as the organisers reviewed them.")
                if reviewed
                else _("The draft report with its key points, in {language}: not reviewed yet.")
            ).format(language=language_name(language, current_language())),
            attachment=(file_name(report, "docx", language), content),
        )
    )
    turn.replies.append(
        OutgoingMessage(
            chat=turn.chat,
            text=_("To review the key points, edit this file and save it with: {command}").format(command=command),
            attachment=(draft_name, draft.encode("utf-8")),
        )
    )
