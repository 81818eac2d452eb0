"""FACILITATOR_EMAIL_* settings, and `facilitator run` starting e-mail beside the other platforms."""

from __future__ import annotations

import pytest

from adapters.email import EmailChat, EmailConfig
from facilitator.assembly import configured_platforms
from facilitator.settings import Settings

ENVIRONMENT = {
    "FACILITATOR_EMAIL_ADDRESS": "discussion@example.org",
    "FACILITATOR_EMAIL_IMAP_HOST": "imap.example.org",
    "FACILITATOR_EMAIL_IMAP_PASSWORD": "imap-secret-1",
    "FACILITATOR_EMAIL_SMTP_HOST": "smtp.example.org",
    "FACILITATOR_EMAIL_SMTP_SECURITY": "tls",
    "FACILITATOR_EMAIL_TOKEN_KEY": "token-secret-2",
}


def test_email_starts_when_its_address_and_servers_are_set():
    settings = Settings.from_environment(ENVIRONMENT)

    assert settings.email is not None
    assert (settings.email.imap_port, settings.email.smtp_port, settings.email.imap_user) == (993, 465, "discussion@example.org")
    assert settings.email.smtp_password.reveal() == "imap-secret-1"  # the same login, unless told otherwise
    assert [type(platform) for platform in configured_platforms(settings)] == [EmailChat]
    assert "imap-secret-1" not in repr(settings) and "token-secret-2" not in repr(settings)


def test_without_its_servers_email_is_off_and_the_console_runs():
    settings = Settings.from_environment({"FACILITATOR_EMAIL_ADDRESS": "discussion@example.org"})

    assert settings.email is None
    assert [platform.name for platform in configured_platforms(settings)] == ["console"]


@pytest.mark.parametrize(
    "change",
    [{"FACILITATOR_EMAIL_ADDRESS": "not-an-address"}, {"FACILITATOR_EMAIL_SMTP_SECURITY": "ssl3"}, {"FACILITATOR_EMAIL_RATE": "0"}],
)
def test_wrong_settings_are_refused_with_the_variable_named(change):
    with pytest.raises(ValueError, match="FACILITATOR_EMAIL_"):
        EmailConfig.from_environment({**ENVIRONMENT, **change})


def test_with_the_web_configured_the_one_click_unsubscribe_address_is_there():
    config = EmailConfig.from_environment({**ENVIRONMENT, "FACILITATOR_WEB_URL": "https://consult.example.org/"})

    assert config is not None and config.web_url == "https://consult.example.org"
