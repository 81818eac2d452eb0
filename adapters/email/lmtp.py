"""Receiving by LMTP (aiosmtpd), for a deployment whose mail server delivers
the discussion's mail to the bot itself (Postfix's `lmtp:` transport).
A mail is accepted only once it is handled, so the mail server keeps and
retries what a crash interrupted."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.lmtp import LMTP


class _Delivery:
    def __init__(self, handle: Callable[[bytes], Awaitable[None]]):
        self.handle = handle

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        await self.handle(content if isinstance(content, bytes) else str(content).encode())
        # LMTP answers once per recipient after the data.
        return "\r\n".join(["250 2.0.0 delivered"] * max(1, len(envelope.rcpt_tos)))


async def serve_lmtp(listen: str, handle: Callable[[bytes], Awaitable[None]]) -> None:
    host, _colon, port = listen.rpartition(":")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: LMTP(_Delivery(handle), decode_data=False), host or "127.0.0.1", int(port))
    async with server:
        await server.serve_forever()
