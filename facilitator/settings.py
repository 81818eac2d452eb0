"""Settings from the environment. Secrets are wrapped so that no log line,
error message or repr ever shows them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from adapters.email.config import EmailConfig
from bot.ports import Secret
from bot.storage.database import DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class Settings:
    database_url: Secret  # may hold a password
    telegram_token: Secret
    telegram_api_url: str
    discord_token: Secret
    # Telegram webhook mode (polling when the URL is empty): the public HTTPS URL
    # Telegram posts to, the secret it sends back with each update, and the
    # host:port this process listens on behind the reverse proxy.
    telegram_webhook_url: str = ""
    telegram_webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    telegram_webhook_listen: str = "127.0.0.1:8443"
    # The ID of a Discord server role whose members may use the organiser commands.
    discord_organiser_role: str = ""
    # The web pages (adapters/web): the public address used in links (empty: no web),
    # the host:port served, and the key signing session cookies (random at each start if empty).
    web_url: str = ""
    web_listen: str = "127.0.0.1:8080"
    web_secret: Secret = field(default_factory=lambda: Secret(""))
    # The e-mail channel (FACILITATOR_EMAIL_*), when its address and servers are set.
    email: EmailConfig | None = None

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=Secret(env.get("FACILITATOR_DATABASE_URL") or DEFAULT_DATABASE_URL),
            telegram_token=Secret(env.get("FACILITATOR_TELEGRAM_TOKEN", "").strip()),
            telegram_api_url=env.get("FACILITATOR_TELEGRAM_API_URL") or "https://api.telegram.org/bot",
            discord_token=Secret(env.get("FACILITATOR_DISCORD_TOKEN", "").strip()),
            discord_organiser_role=env.get("FACILITATOR_DISCORD_ORGANISER_ROLE", "").strip(),
            telegram_webhook_url=env.get("FACILITATOR_TELEGRAM_WEBHOOK_URL", "").strip(),
            telegram_webhook_secret=Secret(env.get("FACILITATOR_TELEGRAM_WEBHOOK_SECRET", "").strip()),
            telegram_webhook_listen=env.get("FACILITATOR_TELEGRAM_WEBHOOK_LISTEN", "").strip() or "127.0.0.1:8443",
            web_url=env.get("FACILITATOR_WEB_URL", "").strip(),
            web_listen=env.get("FACILITATOR_WEB_LISTEN", "").strip() or "127.0.0.1:8080",
            web_secret=Secret(env.get("FACILITATOR_WEB_SECRET", "").strip()),
            email=EmailConfig.from_environment(env),
        )
