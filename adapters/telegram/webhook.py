"""Webhook mode: Telegram posts each update to a public HTTPS URL, which a
reverse proxy hands to this small server.

An update is handled (stored, answered) before its POST is answered: Telegram
keeps an update whose POST failed and posts it again, so nothing acknowledged
is lost. A POST without the secret token is refused.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(self, url: str, listen: str, secret: str, handle: Callable[[dict], Awaitable[None]]):
        self.path = urlsplit(url).path or "/"
        host, _sep, port = listen.rpartition(":")
        self.host, self.port = host or "127.0.0.1", int(port)
        self._secret = secret
        self._handle = handle
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("listening for Telegram updates on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), self._secret.encode()):
            log.warning("refused a webhook POST without the secret token, from %s", request.remote)
            return web.Response(status=403)
        try:
            payload = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(payload, dict) or "update_id" not in payload:
            return web.Response(status=400)
        await self._handle(payload)
        return web.Response(status=200)
