"""Receiving from the organisation's mailbox by IMAP (aioimaplib): IDLE when
the server offers it, polling otherwise.

A mail is marked handled (the `FacilitatorHandled` keyword; the `\\Seen` flag
is left to the people who read the mailbox too) only once the engine has
stored it, so a crash loses nothing; a mail handled again after a crash is
recognised by its Message-ID and stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

import aioimaplib

from adapters.email.config import EmailConfig

log = logging.getLogger(__name__)

HANDLED = "FacilitatorHandled"
RECONNECT_BACKOFF = (1.0, 5.0, 30.0, 120.0)
OLDEST_DAYS = 30  # mail that arrived in the mailbox longer ago than this is never read
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class MailboxError(Exception):
    pass


class Mailbox:
    def __init__(self, config: EmailConfig):
        self.config = config
        self.connected = asyncio.Event()  # set while logged in and watching (tests wait for it)

    async def watch(self, handle: Callable[[bytes], Awaitable[None]]) -> None:
        """Hand every mail not handled yet to `handle`, then each new one as it
        comes, until cancelled; reconnect after a lost connection."""
        failures = 0
        while True:
            try:
                await self._session(handle)
            except (OSError, TimeoutError, aioimaplib.Abort, MailboxError) as error:
                self.connected.clear()
                delay = RECONNECT_BACKOFF[min(failures, len(RECONNECT_BACKOFF) - 1)]
                failures += 1
                log.warning("the IMAP mailbox is unreachable (%s: %s); trying again in %.0f s", type(error).__name__, error, delay)
                await asyncio.sleep(delay)

    async def _session(self, handle: Callable[[bytes], Awaitable[None]]) -> None:
        config = self.config
        client_type = aioimaplib.IMAP4_SSL if config.imap_security == "tls" else aioimaplib.IMAP4
        client = client_type(host=config.imap_host, port=config.imap_port, timeout=30)
        await client.wait_hello_from_server()
        _check(await client.login(config.imap_user, config.imap_password.reveal()), "login")
        try:
            _check(await client.select(config.imap_folder), f"select {config.imap_folder}")
            idle = config.imap_idle and "IDLE" in client.protocol.capabilities
            self.connected.set()
            while True:
                await self._handle_new(client, handle)
                if idle:
                    await self._idle(client)
                else:
                    await asyncio.sleep(config.poll_seconds)
        finally:
            self.connected.clear()
            with contextlib.suppress(OSError, TimeoutError, aioimaplib.Abort):
                await client.logout()

    async def _handle_new(self, client: aioimaplib.IMAP4, handle: Callable[[bytes], Awaitable[None]]) -> None:
        # Mail that came long before (a mailbox used before the discussion) is left alone.
        oldest = dt.date.today() - dt.timedelta(days=OLDEST_DAYS)
        since = f"{oldest.day}-{MONTHS[oldest.month - 1]}-{oldest.year}"  # IMAP's English month, whatever the locale
        found = _check(await client.uid_search("UNKEYWORD", HANDLED, "UNDELETED", "SINCE", since, charset=None), "search")
        for uid in found.lines[0].decode().split():
            fetched = _check(await client.uid("fetch", uid, "(BODY.PEEK[])"), "fetch")
            raw = next((bytes(line) for line in fetched.lines if isinstance(line, bytearray)), None)
            if raw is not None:
                await handle(raw)
            _check(await client.uid("store", uid, "+FLAGS", f"({HANDLED})"), "store")

    async def _idle(self, client: aioimaplib.IMAP4) -> None:
        waiting = await client.idle_start(timeout=self.config.poll_seconds)
        try:
            await client.wait_server_push(timeout=self.config.poll_seconds + 5)
        except TimeoutError:
            pass
        finally:
            client.idle_done()
            await asyncio.wait_for(waiting, 30)


def _check(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        raise MailboxError(f"IMAP {what} failed: {response.result}")
    return response
