"""Secrets never show: not in settings' repr, not in the errors the CLI prints."""

import subprocess
import sys

from facilitator.settings import Settings


def test_settings_never_show_their_secrets():
    settings = Settings.from_environment(
        {
            "FACILITATOR_DATABASE_URL": "postgresql+asyncpg://bot:pa55word@127.0.0.1:1/x",
            "FACILITATOR_TELEGRAM_TOKEN": "123456:SECRET-TOKEN",
            "FACILITATOR_DISCORD_TOKEN": "discord-secret-token",
        }
    )
    shown = repr(settings) + str(settings)
    for secret in ("pa55word", "SECRET-TOKEN", "discord-secret-token"):
        assert secret not in shown
    assert settings.telegram_token.reveal() == "123456:SECRET-TOKEN"


def test_an_unreachable_database_is_reported_without_its_password(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "facilitator", "status"],
        env={"FACILITATOR_DATABASE_URL": "postgresql+asyncpg://bot:pa55word@127.0.0.1:1/facilitator", "PATH": ""},
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    err = result.stderr.decode()
    assert result.returncode == 2
    assert "cannot use the database postgresql+asyncpg://bot:***@127.0.0.1:1/facilitator" in err
    assert "pa55word" not in err + result.stdout.decode()
    assert "Traceback" not in err
