"""The web as a platform: Uvicorn serves the pages (`app.py`) in the
engine's event loop. `send` hands the engine's answers to the web request
they answer; the web cannot call anyone back, so anything else sent to a web
"chat" (a round's questions, a reminder) is refused for good, and the engine
stops sending there: those people read the questions on their page."""

from __future__ import annotations

import logging
import os
import secrets
import uuid

import uvicorn

from adapters.web.app import Exchange, make_app
from bot.ports import Inbox, OutgoingMessage, RecipientUnreachable, Secret, SentMessage, answering

PLATFORM = "web"
log = logging.getLogger(__name__)


def parse_listen(listen: str) -> tuple[str, int]:
    host, _sep, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def trusts_a_proxy() -> bool:
    """Whether a proxy in front names the clients (X-Forwarded-For): only when Uvicorn's own
    FORWARDED_ALLOW_IPS says which proxies to believe. Otherwise the client is the address the
    server sees: the header is the client's to write, a new one for each link it tries."""
    return bool(os.environ.get("FORWARDED_ALLOW_IPS", "").strip())


class WebChat:
    name = PLATFORM
    answers_by_reply = False  # a box per question instead
    takes_commands = False  # buttons and forms: the bot's sentences name no command here

    def __init__(self, public_url: str, listen: str = "127.0.0.1:8080", session_secret: Secret | None = None):
        self.public_url = public_url.rstrip("/")
        self.host, self.port = parse_listen(listen)
        # Without a configured secret, sessions last until the process stops; personal links work across restarts.
        self.session_secret = session_secret or Secret(secrets.token_urlsafe(32))
        self.server: uvicorn.Server | None = None

    def link(self, token: str) -> str:
        return f"{self.public_url}/p/{token}"

    async def send(self, message: OutgoingMessage) -> SentMessage:
        exchange = answering.get()
        if isinstance(exchange, Exchange):
            exchange.replies.append(message)
            return SentMessage(message_id=uuid.uuid4().hex)
        raise RecipientUnreachable("the web answers only the page that asked")

    async def serve(self, inbox: Inbox) -> None:
        app = make_app(inbox, self.session_secret, https=self.public_url.startswith("https://"))
        # No access log: a personal link's token is in its path. No log config of uvicorn's own: the process's applies.
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            access_log=False,
            log_config=None,
            lifespan="off",
            server_header=False,
            proxy_headers=trusts_a_proxy(),
        )
        self.server = uvicorn.Server(config)
        log.info("web pages served on %s:%s for %s", self.host, self.port, self.public_url)
        await self.server.serve()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
