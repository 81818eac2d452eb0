"""The e-mail channel's settings, read from `FACILITATOR_EMAIL_*` variables.
The passwords and the token key are `Secret`s: no log line, error or repr shows them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.ports import Secret

SECURITY = ("tls", "starttls", "none")


@dataclass(frozen=True)
class EmailConfig:
    address: str  # the discussion's mailbox, e.g. discussion@example.org
    imap_host: str
    imap_user: str
    imap_password: Secret
    smtp_host: str
    imap_port: int = 993
    imap_security: str = "tls"  # tls or none (loopback tests)
    imap_folder: str = "INBOX"
    imap_idle: bool = True  # use IDLE where the server offers it; off: poll (for servers whose IDLE misbehaves)
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls, tls or none
    smtp_user: str = ""
    smtp_password: Secret = field(default_factory=lambda: Secret(""))
    separator: str = "+"  # discussion+TOKEN@…: the mailbox must deliver sub-addresses to itself
    rate: float = 5.0  # messages per second through the relay
    poll_seconds: float = 60.0  # without IDLE, how often the mailbox is looked at; with IDLE, how often IDLE is renewed
    token_key: Secret = field(default_factory=lambda: Secret(""))  # signs the reply addresses; default: from the IMAP password
    lmtp_listen: str = ""  # host:port to receive mail by LMTP as well (empty: IMAP only)
    web_url: str = ""  # the web pages' public address (FACILITATOR_WEB_URL): the one-click unsubscribe URL is there

    def __post_init__(self) -> None:
        if "@" not in self.address:
            raise ValueError("FACILITATOR_EMAIL_ADDRESS must be an e-mail address")
        if self.imap_security not in ("tls", "none") or self.smtp_security not in SECURITY:
            raise ValueError("FACILITATOR_EMAIL_IMAP_SECURITY is tls or none; FACILITATOR_EMAIL_SMTP_SECURITY is tls, starttls or none")
        if self.rate <= 0 or self.poll_seconds <= 0:
            raise ValueError("FACILITATOR_EMAIL_RATE and FACILITATOR_EMAIL_POLL_SECONDS must be positive")

    @property
    def signing_key(self) -> bytes:
        return (self.token_key.reveal() or "imap:" + self.imap_password.reveal()).encode()

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> EmailConfig | None:
        """None unless the address and both servers are set."""

        def get(name: str, default: str = "") -> str:
            return env.get(f"FACILITATOR_EMAIL_{name}", "").strip() or default

        if not (get("ADDRESS") and get("IMAP_HOST") and get("SMTP_HOST")):
            return None
        imap_security = get("IMAP_SECURITY", "tls")
        smtp_security = get("SMTP_SECURITY", "starttls")
        return cls(
            address=get("ADDRESS"),
            separator=get("SEPARATOR", "+"),
            imap_host=get("IMAP_HOST"),
            imap_port=int(get("IMAP_PORT", "993" if imap_security == "tls" else "143")),
            imap_security=imap_security,
            imap_user=get("IMAP_USER", get("ADDRESS")),
            imap_password=Secret(env.get("FACILITATOR_EMAIL_IMAP_PASSWORD", "")),
            imap_folder=get("IMAP_FOLDER", "INBOX"),
            imap_idle=get("IMAP_IDLE", "on").lower() not in ("off", "no", "false", "0"),
            smtp_host=get("SMTP_HOST"),
            smtp_port=int(get("SMTP_PORT", {"tls": "465", "starttls": "587"}.get(smtp_security, "25"))),
            smtp_security=smtp_security,
            smtp_user=get("SMTP_USER", get("IMAP_USER", get("ADDRESS"))),
            smtp_password=Secret(env.get("FACILITATOR_EMAIL_SMTP_PASSWORD", "") or env.get("FACILITATOR_EMAIL_IMAP_PASSWORD", "")),
            rate=float(get("RATE", "5")),
            poll_seconds=float(get("POLL_SECONDS", "60")),
            token_key=Secret(env.get("FACILITATOR_EMAIL_TOKEN_KEY", "")),
            lmtp_listen=get("LMTP_LISTEN"),
            web_url=env.get("FACILITATOR_WEB_URL", "").strip().rstrip("/"),
        )
