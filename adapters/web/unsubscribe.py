"""One-click unsubscribe (RFC 8058): the https address in the
List-Unsubscribe header of the bot's mail. The mail provider posts
`List-Unsubscribe=One-Click` to it; the engine asks the platform whether it
signed the address, and sends nothing more to that chat. Only a POST does
it: link scanners and previews follow links with GET."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.ports import Inbox


def unsubscribe_routes(inbox: Inbox) -> list[Route]:
    async def unsubscribe(request: Request) -> Response:
        done = await inbox.unsubscribe(request.path_params["platform"], request.path_params["signed"])
        return Response(status_code=200 if done else 404)

    return [Route("/unsubscribe/{platform}/{signed}", unsubscribe, methods=["POST"])]
