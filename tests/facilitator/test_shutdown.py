"""`facilitator run` stopped by SIGTERM (systemd, docker) in the middle of a
broadcast: it stops in order, as on Ctrl-C, and at the next start every
question reaches every group once."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import signal
import sys

import yaml
from sqlalchemy import select

from bot.ports import ChatKind
from bot.storage.database import create_engine, session_factory
from bot.storage.models import Discussion, Venue
from tests.conftest import SMALL_DISCUSSION
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "6234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
GROUPS = 60


def discussion_starting_now() -> dict:
    """The small discussion, its first round open since a minute ago, with four questions."""
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    first, second = SMALL_DISCUSSION["rounds"]
    questions = [
        {"id": f"1.{n}", "text": {language: f"{text} ({n})" for language, text in first["questions"][0]["text"].items()}}
        for n in range(1, 5)
    ]
    return SMALL_DISCUSSION | {
        "timezone": "UTC",
        "starts": started.strftime("%Y-%m-%dT%H:%M"),
        "rounds": [first | {"questions": questions}, second],
    }


async def start_run(folder, api: FakeTelegram, database_url: str | None = None) -> asyncio.subprocess.Process:
    """`facilitator run` in `folder` with its `small.yaml`, on Telegram; on the folder's SQLite file unless `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    env.update(FACILITATOR_TELEGRAM_TOKEN=TOKEN, FACILITATOR_TELEGRAM_API_URL=api.base_url)
    if database_url:
        env.update(FACILITATOR_DATABASE_URL=database_url)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "facilitator",
        "run",
        "--discussion",
        "small.yaml",
        cwd=folder,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def until(condition, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def questions_posted(api: FakeTelegram) -> list[tuple[int, str]]:
    return [(sent.chat_id, sent.text) for sent in api.sent if sent.method == "sendMessage" and sent.chat_id < 0]


async def test_sigterm_mid_broadcast_stops_in_order_and_no_question_is_posted_twice(tmp_path):
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(discussion_starting_now(), allow_unicode=True), encoding="utf-8")
    api = await FakeTelegram(TOKEN).start()
    api.latency = 0.3  # each post a while on the wire: several under way at any moment
    groups = [api.group(-1_001_000_000_000 - n, f"Group {n}")["id"] for n in range(GROUPS)]
    database = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'facilitator.db'}")
    try:
        run = await start_run(tmp_path, api)
        await until(lambda: any(method == "getUpdates" for method, _params in api.calls))
        async with session_factory(database)() as session:  # sixty groups follow the discussion (as /attach en leaves them)
            discussion = await session.scalar(select(Discussion))
            for chat_id in groups:
                session.add(
                    Venue(
                        discussion_id=discussion.id,
                        platform="telegram",
                        chat_id=str(chat_id),
                        kind=ChatKind.group,
                        language="en",
                        created_at=dt.datetime.now(dt.UTC),
                    )
                )
            await session.commit()
        await until(lambda: len(questions_posted(api)) >= GROUPS)  # the broadcast is under way
        run.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(run.communicate(), 90)
        assert run.returncode == 0, err.decode()
        assert b"Traceback" not in err

        again = await start_run(tmp_path, api)
        await until(lambda: len(questions_posted(api)) >= GROUPS * 4)
        await asyncio.sleep(4)  # a pass of the watcher more: anything left to post twice would be
        again.send_signal(signal.SIGTERM)
        await asyncio.wait_for(again.communicate(), 90)
        assert again.returncode == 0
    finally:
        await database.dispose()
        await api.stop()
    posted = collections.Counter(questions_posted(api))
    assert len(posted) == GROUPS * 4, "every question in every group"
    assert [post for post, times in posted.items() if times > 1] == [], "none twice"
