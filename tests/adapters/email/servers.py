"""Real mail servers on 127.0.0.1 for the e-mail adapter's tests: Debian's
Dovecot as the organisation's IMAP mailbox, run with a configuration written
into a temporary folder, and aiosmtpd as the SMTP relay, recording what the
bot sent and answering as a test tells it to."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import aioimaplib
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from adapters.email import EmailConfig
from bot.ports import Secret

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """One Dovecot for the test session, one mailbox; each test gets a folder of its own."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="facilitator-dovecot-"))
        self.folder.chmod(0o755)
        self.port = free_port()
        self.user, self.password = "discussion@example.org", "mailbox-password"
        (self.folder / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        self.process: subprocess.Popen | None = None
        self._count = 0

    @staticmethod
    def available() -> bool:
        return Path(DOVECOT).exists()

    def start(self) -> Dovecot:
        if os.geteuid() == 0:
            # Dovecot refuses to run its login processes as root: the package's own users then.
            login, internal = "dovenull", "dovecot"
            mail_user, mail_group = "dovecot", "dovecot"
        else:
            login = internal = mail_user = pwd.getpwuid(os.getuid()).pw_name
            mail_group = grp.getgrgid(os.getgid()).gr_name
        mail = self.folder / "mail"
        mail.mkdir()
        shutil.chown(mail, mail_user, mail_group)
        (self.folder / "dovecot.conf").write_text(
            f"""
base_dir = {self.folder}/run
state_dir = {self.folder}/state
log_path = {self.folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {mail_group}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.folder}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""
        )
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.folder / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                if probe.recv(100).startswith(b"* OK"):
                    return self
            time.sleep(0.1)
        log = (self.folder / "dovecot.log").read_text() if (self.folder / "dovecot.log").exists() else ""
        raise RuntimeError(f"Dovecot did not start: {log}")

    def new_folder(self) -> str:
        self._count += 1
        return f"test{self._count}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


class MailboxClient:
    """What a person's mail reaching the organisation's mailbox looks like to it: an IMAP APPEND."""

    def __init__(self, dovecot: Dovecot, folder: str):
        self.dovecot, self.folder = dovecot, folder

    async def create(self) -> None:
        client = aioimaplib.IMAP4(host="127.0.0.1", port=self.dovecot.port, timeout=10)
        await client.wait_hello_from_server()
        await client.login(self.dovecot.user, self.dovecot.password)
        assert (await client.create(self.folder)).result == "OK"
        await client.logout()

    async def _client(self) -> aioimaplib.IMAP4:
        client = aioimaplib.IMAP4(host="127.0.0.1", port=self.dovecot.port, timeout=10)
        await client.wait_hello_from_server()
        await client.login(self.dovecot.user, self.dovecot.password)
        await client.select(self.folder)
        return client

    async def deliver(self, raw: bytes, arrived: dt.datetime | None = None) -> None:
        client = await self._client()
        try:
            response = await client.append(raw, mailbox=self.folder, date=arrived)
            assert response.result == "OK", response
        finally:
            await client.logout()

    async def unhandled(self) -> int:
        client = await self._client()
        try:
            response = await client.uid_search("UNKEYWORD", "FacilitatorHandled", charset=None)
            return len(response.lines[0].split())
        finally:
            await client.logout()

    async def seen(self) -> int:
        """Mails a person reading the mailbox has seen: the bot leaves \\Seen to them."""
        client = await self._client()
        try:
            response = await client.uid_search("SEEN", charset=None)
            return len(response.lines[0].split())
        finally:
            await client.logout()


@dataclass
class Relay:
    """aiosmtpd as the organisation's relay: it records each accepted mail;
    `defer` answers 451 to the next N attempts, `refuse` answers 550 for those recipients."""

    user: str = "relay-user"
    password: str = "relay-password"
    raw: list[tuple[str, bytes]] = field(default_factory=list)  # (recipient, mail) as accepted
    defer: int = 0
    refuse: set[str] = field(default_factory=set)
    attempts: int = 0
    port: int = 0
    _server: asyncio.AbstractServer | None = None

    async def start(self) -> Relay:
        relay = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                relay.attempts += 1
                if relay.defer > 0:
                    relay.defer -= 1
                    return "451 4.3.0 try again later"
                if address.lower() in relay.refuse:
                    return "550 5.1.1 user unknown"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                raw = envelope.original_content or envelope.content
                for recipient in envelope.rcpt_tos:
                    relay.raw.append((recipient.lower(), raw))
                return "250 OK"

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
                relay.user.encode(),
                relay.password.encode(),
            )
            return AuthResult(success=ok, handled=False)

        def session() -> SMTP:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # AUTH without TLS: on the loopback, on purpose
                return SMTP(Handler(), authenticator=authenticate, auth_require_tls=False, auth_required=True)

        self._server = await asyncio.get_running_loop().create_server(session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def received(self) -> list[tuple[str, EmailMessage]]:
        return [(recipient, message_from_bytes(raw, policy=policy.default)) for recipient, raw in self.raw]  # type: ignore[misc]

    def to(self, address: str) -> list[EmailMessage]:
        return [mail for recipient, mail in self.received if recipient == address]

    def clear(self) -> None:
        self.raw.clear()


def local_settings(dovecot: Dovecot, folder: str, relay_port: int, *, address: str, token_key: str, **settings) -> EmailConfig:
    """The e-mail adapter's settings for a folder of the local Dovecot and the
    local relay (the relay's credentials are the `Relay` class's)."""
    return EmailConfig(
        address=address,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="none",
        imap_user=dovecot.user,
        imap_password=Secret(dovecot.password),
        imap_folder=folder,
        smtp_host="127.0.0.1",
        smtp_port=relay_port,
        smtp_security="none",
        smtp_user=Relay.user,
        smtp_password=Secret(Relay.password),
        token_key=Secret(token_key),
        **{"rate": 500.0, "poll_seconds": 5.0, **settings},
    )


def plain_text(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")
