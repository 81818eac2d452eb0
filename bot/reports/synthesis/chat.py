"""/synthesis from chat: the draft report with its key points, and the draft file to review
them, sent to an organiser."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.handling.turn import Turn
from bot.i18n import _, current_language, language_name
from bot.ports import OutgoingMessage
from bot.reports.data import gather
from bot.reports.export import file_name, report_bytes
from bot.reports.synthesis.draft import to_yaml
from bot.reports.synthesis.making import for_report
from bot.reports.synthesis.review import editing_help, stamped


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
    data = await gather(turn.session, turn.discussion, turn.now)
    made = await for_report(turn.session, turn.discussion, data, language)
    report = dataclasses.replace(data, synthesis=made)
    content = await asyncio.to_thread(report_bytes, report, "docx", language)
    command = (
        f"facilitator synthesis --discussion {turn.discussion.slug} --lang {language} -o {turn.discussion.slug}-synthesis-{language}.yaml"
    )
    draft = to_yaml(stamped(made), editing_help().format(language=language_name(language, language), command=command))
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
            attachment=(f"{turn.discussion.slug}-synthesis-{language}.yaml", draft.encode("utf-8")),
        )
    )
