"""Sending through the organisation's SMTP relay (aiosmtplib): a few
connections kept open (one SMTP conversation is several round trips, so one
connection alone cannot keep up with the rate), messages paced to the
configured rate, 4xx answers and dropped connections retried with back-off, a
permanent refusal of the recipient turned into `RecipientUnreachable`. A
mail on the wire when the sender is cancelled (a shutdown in the middle of
a round's mail) is sent to its end, and its outcome returned, so that the
engine records it rather than sending it again after the restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

import aiosmtplib

from adapters.email.config import EmailConfig
from bot.ports import RecipientUnreachable

log = logging.getLogger(__name__)


class RelayUnavailable(Exception):
    """The relay kept answering "try later" (or could not be reached)."""


class Relay:
    def __init__(self, config: EmailConfig, *, attempts: int = 6, first_backoff: float = 1.0, connections: int = 4):
        self.config = config
        self.attempts = attempts
        self.first_backoff = first_backoff
        self._interval = 1.0 / config.rate
        self._next_slot = 0.0
        self._slots = asyncio.Lock()
        self._idle: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _connection in range(connections):
            self._idle.put_nowait(None)  # opened when first needed

    async def deliver(self, raw: bytes, recipient: str) -> None:
        for attempt in range(self.attempts):
            await self._wait_for_slot()
            client = await self._idle.get()
            try:
                client = await self._connected(client)
                await _to_its_end(client.sendmail(self.config.address, [recipient], raw))
                return
            except aiosmtplib.SMTPRecipientsRefused as error:
                codes = [refusal.code for refusal in error.recipients]
                if not all(400 <= code < 500 for code in codes):
                    raise RecipientUnreachable(f"the relay refuses the recipient ({codes[0] if codes else '?'})") from None
                reason = f"recipient deferred ({codes[0]})"
            except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused):
                raise  # our settings, not the recipient: the operator has to see it
            except aiosmtplib.SMTPResponseException as error:
                if error.code >= 500:
                    raise RecipientUnreachable(f"the relay refuses the message ({error.code})") from None
                reason = f"relay answered {error.code}"
                await _dropped(client)
                client = None
            except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, OSError) as error:
                reason = type(error).__name__
                await _dropped(client)
                client = None
            finally:
                self._idle.put_nowait(client)
            delay = self.first_backoff * 2**attempt
            log.info("sending mail failed (%s); retrying in %.1f s", reason, delay)
            await asyncio.sleep(delay)
        raise RelayUnavailable(f"the relay did not take the message after {self.attempts} attempts")

    async def close(self) -> None:
        """Close the open connections (those in use close when their mail is sent); the relay stays usable."""
        idle = [self._idle.get_nowait() for _connection in range(self._idle.qsize())]
        for client in idle:
            await _dropped(client)
            self._idle.put_nowait(None)

    async def _wait_for_slot(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._slots:
            now = loop.time()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        await asyncio.sleep(slot - now)

    async def _connected(self, client: aiosmtplib.SMTP | None) -> aiosmtplib.SMTP:
        if client is not None and client.is_connected:
            return client
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.smtp_host,
            port=config.smtp_port,
            use_tls=config.smtp_security == "tls",
            start_tls=config.smtp_security == "starttls",
            username=config.smtp_user if config.smtp_password else None,
            password=config.smtp_password.reveal() if config.smtp_password else None,
            timeout=30,
        )
        await client.connect()
        return client


async def _to_its_end(transaction: Coroutine[Any, Any, Any]) -> Any:
    """An SMTP transaction run to its end even if the caller is cancelled
    meanwhile: abandoned, it may leave a mail the relay took and the engine
    never recorded. Its outcome is returned, and the cancellation requested
    again: the caller's next wait raises it (the engine's recording of the
    delivery finishes first, `schedules.rounds`)."""
    task = asyncio.ensure_future(transaction)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():  # however often the caller is cancelled meanwhile
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        caller = asyncio.current_task()
        if caller is not None:
            caller.cancel()
        return task.result()


async def _dropped(client: aiosmtplib.SMTP | None) -> None:
    """Close a connection that failed (or at the end); the next use opens a new one."""
    if client is not None and client.is_connected:
        try:
            await client.quit()
        except aiosmtplib.SMTPException:
            client.close()
