"""/hide and /unhide: a contribution taken out of every report and export,
and kept in the database for the record, as is each such act (`HidingAct`:
who, when, and the reason given after the number: /hide 123 insults)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handling.command import N_, Command, typed_id
from bot.handling.turn import Turn
from bot.i18n import _, ngettext
from bot.storage.models import Contribution, Discussion, HidingAct, Message
from bot.text import shorten

LISTED_IN_STATUS = 20  # hidden contributions named by number in /status; the others are counted


async def status_lines(session: AsyncSession, discussion: Discussion) -> list[str]:
    """For /status: the contributions hidden from the reports, by number, so that none is lost from sight."""
    hidden = list(
        await session.scalars(
            select(Contribution.id)
            .join(Message)
            .where(Message.discussion_id == discussion.id, Contribution.hidden.is_(True))
            .order_by(Contribution.id)
        )
    )
    if not hidden:
        return []
    numbers = ", ".join(f"#{number}" for number in hidden[:LISTED_IN_STATUS]) + (" …" if len(hidden) > LISTED_IN_STATUS else "")
    return [
        ngettext(
            "{count} contribution is hidden from the reports: {numbers}. /unhide N shows one again.",
            "{count} contributions are hidden from the reports: {numbers}. /unhide N shows one again.",
            len(hidden),
        ).format(count=len(hidden), numbers=numbers)
    ]


async def _contribution(turn: Turn, args: list[str]) -> Contribution | None:
    assert turn.discussion is not None
    contribution_id = typed_id(args[0].lstrip("#")) if args else None
    if contribution_id is None:
        return None
    return await turn.session.scalar(
        select(Contribution).join(Message).where(Contribution.id == contribution_id, Message.discussion_id == turn.discussion.id)
    )


async def _set_hidden(turn: Turn, args: list[str], hidden: bool) -> None:
    contribution = await _contribution(turn, args)
    if contribution is None:
        turn.reply(
            _("Give the number of a contribution of this discussion, as the report shows it (#123), for example /{command} 123.").format(
                command="hide" if hidden else "unhide"
            )
        )
        return
    excerpt = shorten(contribution.text, 80)
    if contribution.hidden == hidden:
        turn.reply(
            (_("Contribution #{id} was already hidden.") if hidden else _("Contribution #{id} was not hidden.")).format(id=contribution.id)
        )
        return
    contribution.hidden = hidden
    turn.session.add(
        HidingAct(
            contribution_id=contribution.id,
            hidden=hidden,
            by_platform=turn.sender.platform,
            by_user=turn.sender.user_id,
            reason=" ".join(args[1:])[:2000],
            at=turn.now,
        )
    )
    if not hidden:
        said = _("Contribution #{id} appears in reports again. «{excerpt}»")
    elif turn.takes_commands:
        said = _(
            "Contribution #{id} is hidden: it appears in no report or export, and is kept for the record. /unhide {id} shows it again. «{excerpt}»"
        )
    else:  # the desk shows it again with a button
        said = _("Contribution #{id} is hidden: it appears in no report or export, and is kept for the record. «{excerpt}»")
    turn.reply(said.format(id=contribution.id, excerpt=excerpt))


async def hide(turn: Turn, args: list[str]) -> None:
    await _set_hidden(turn, args, hidden=True)


async def unhide(turn: Turn, args: list[str]) -> None:
    await _set_hidden(turn, args, hidden=False)


COMMANDS: tuple[Command, ...] = (
    Command("hide", N_("hide a contribution from reports"), hide, organiser_only=True, arguments=N_("N [reason]")),
    Command("unhide", N_("show a hidden contribution again"), unhide, organiser_only=True, arguments=N_("N [reason]")),
)
