"""/web and /desk: a personal link to the web page, and an organiser's
one-time sign-in to the desk, sent only in a private chat (whoever holds a
link acts as its owner). They exist when the web is served (`web_commands`
with its public address, put in the command table by `facilitator.assembly`)."""

from __future__ import annotations

from bot.conversation import web_access
from bot.handling.command import N_, Command
from bot.handling.turn import Turn
from bot.i18n import _


def web_commands(public_url: str) -> tuple[Command, ...]:
    base = public_url.rstrip("/")

    async def web(turn: Turn, args: list[str]) -> None:
        if not turn.private:
            turn.reply(_("Write to me in a private chat: your personal link is for you alone."), private=True)
            return
        if turn.discussion is None:
            turn.reply(_("No discussion is running here yet."))
            return
        participant = await turn.ensure_participant()
        token = await web_access.issue_participant_link(turn.session, turn.discussion, participant, turn.now)
        turn.reply(
            _(
                "Your personal page, to answer and read the discussion in a browser: {link} It works for {days} days. "
                "Keep it to yourself: whoever has it answers in your name."
            ).format(link=f"{base}/p/{token}", days=web_access.PARTICIPANT_LINK_LIFETIME.days),
            private=True,
        )

    async def desk(turn: Turn, args: list[str]) -> None:
        assert turn.discussion is not None  # an organiser's command: the engine checked
        if not turn.private:
            turn.reply(_("Write to me in a private chat: your personal link is for you alone."), private=True)
            return
        token = await web_access.issue_desk_link(turn.session, turn.discussion, turn.sender.platform, turn.sender.user_id, turn.now)
        turn.reply(
            _("The organisers' desk: {link} The link signs you in once, within {minutes} minutes.").format(
                link=f"{base}/p/{token}", minutes=int(web_access.DESK_LINK_LIFETIME.total_seconds() // 60)
            ),
            private=True,
        )

    return (
        Command("web", N_("your personal web page"), web),
        Command("desk", N_("the organisers' desk on the web"), desk, organiser_only=True),
    )
