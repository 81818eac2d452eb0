"""/report: the consolidated report, sent as a file in the chat."""

from __future__ import annotations

from bot.handling.command import N_, Command
from bot.handling.turn import Turn


async def report(turn: Turn, args: list[str]) -> None:
    """The renderers (matplotlib, python-docx, openpyxl) take half a second to
    import, so they load with the first report, not at every start."""
    from bot.reports.chat import report as send_report

    await send_report(turn, args)


async def synthesis(turn: Turn, args: list[str]) -> None:
    from bot.reports.synthesis.chat import synthesis as send_synthesis

    await send_synthesis(turn, args)


COMMANDS: tuple[Command, ...] = (
    Command("report", N_("the consolidated report, as a file"), report, organiser_only=True, arguments="LANG [FORMAT]"),
    Command("synthesis", N_("the key points per question, as a draft to review"), synthesis, organiser_only=True, arguments="LANG"),
)
