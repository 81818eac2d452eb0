"""Raw Discord gateway payloads, as Discord sends them, for feeding into
discord.py's own connection-state parsers: the payloads are the JSON files
in tests/adapters/discord/payloads, with ids, text and people filled in."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import discord

DATA = Path(__file__).resolve().parent.parent / "adapters" / "discord" / "payloads"

GUILD_ID = "1100000000000000001"
CHANNELS = {"fr": "1100000000000000011", "en": "1100000000000000012", "es": "1100000000000000013"}
UNATTACHED_CHANNEL = "1100000000000000014"
ORGANISER_ROLE = "1100000000000000021"
BOT_ID = "1100000000000000099"  # also the application's id, as for every bot created since 2019


@cache
def _template(name: str) -> str:
    return (DATA / f"{name}.json").read_text(encoding="utf-8")


def payload(name: str) -> dict:
    return json.loads(_template(name))


_snowflakes = itertools.count(1_800_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_snowflakes))


@dataclass
class DiscordUser:
    """A person on the test server; builds the payloads their actions produce."""

    user_id: str
    username: str
    global_name: str
    locale: str = "en-US"  # their Discord client's language
    roles: list[str] = field(default_factory=list)
    dm_channel: str = field(default_factory=snowflake)

    @property
    def user(self) -> dict:
        return {
            "username": self.username,
            "public_flags": 0,
            "id": self.user_id,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
        }

    def _member(self, template: dict) -> dict:
        return {**template, "roles": list(self.roles)}

    def message(self, text: str, *, channel: str | None = None, reply_to: str | None = None, message_id: str | None = None) -> dict:
        """MESSAGE_CREATE: in a server channel or thread (`channel`), else in their DM with the bot."""
        data = payload("MESSAGE_CREATE" if channel else "MESSAGE_CREATE_dm")
        data.update(id=message_id or snowflake(), content=text, author=self.user)
        if channel:
            data.update(channel_id=channel, member=self._member(data["member"]))
        else:
            data["channel_id"] = self.dm_channel
        if reply_to:
            reference = payload("MESSAGE_CREATE_reply")["message_reference"]
            reference.update(channel_id=data["channel_id"], message_id=reply_to)
            if not channel:
                del reference["guild_id"]
            data.update(type=19, message_reference=reference, referenced_message=None)
        return data

    def edit(self, message: dict, text: str) -> dict:
        """MESSAGE_UPDATE of one of their messages."""
        data = copy.deepcopy(message)
        data.update(content=text, edited_timestamp="2013-07-08T10:12:00.000000+00:00")
        return data

    def command(self, name: str, value: str | None = None, *, channel: str | None = None) -> dict:
        """INTERACTION_CREATE of a slash command, in a server channel or in their DM."""
        data = payload("INTERACTION_CREATE_command" if channel else "INTERACTION_CREATE_command_dm")
        data.update(id=snowflake(), token=f"interaction-token-{snowflake()}", locale=self.locale)
        data["data"] = {"type": 1, "name": name, "id": "1700000000000000001"}
        if value is not None:
            data["data"]["options"] = [{"type": 3, "name": "value", "value": value}]
        self._place(data, channel)
        return data

    def choose(self, message_id: str, data_value: str, *, channel: str | None = None, select: bool = True) -> dict:
        """INTERACTION_CREATE of a select menu option chosen (or a button pressed) on a bot message."""
        data = payload("INTERACTION_CREATE_select")
        data.update(id=snowflake(), token=f"interaction-token-{snowflake()}", locale=self.locale)
        data["message"].update(id=message_id)
        if select:
            data["data"] = {"component_type": 3, "custom_id": "facilitator:choice", "values": [data_value]}
        else:
            data["data"] = {"component_type": 2, "custom_id": data_value}
        self._place(data, channel)
        if not channel:
            for key in ("guild_id", "guild", "guild_locale"):
                data.pop(key)
        data["message"]["channel_id"] = data["channel_id"]
        return data

    def _place(self, data: dict, channel: str | None) -> None:
        if channel:
            data.update(channel_id=channel)
            data["channel"] = {**data["channel"], "id": channel}
            data["member"] = {**self._member(data["member"]), "user": self.user}
        else:
            dm = payload("INTERACTION_CREATE_command_dm")
            data.pop("member", None)
            data.update(channel_id=self.dm_channel, user=self.user, context=1)
            data["channel"] = {**dm["channel"], "id": self.dm_channel, "recipients": [self.user]}


def thread_create(thread_id: str, parent: str, name: str) -> dict:
    data = payload("THREAD_CREATE")
    data.update(id=thread_id, parent_id=parent, name=name)
    data["member"]["id"] = thread_id
    return data


class Gateway:
    """Feeds payloads into a client's ConnectionState, as its gateway would,
    and waits for the handlers they start."""

    def __init__(self, client: discord.Client, engine):
        self.client = client
        self.engine = engine

    async def feed(self, event: str, data: dict) -> None:
        self.client._connection.parsers[event](data)
        await self.settle()

    async def settle(self) -> None:
        """Until discord.py's event handlers, the command tree's and the engine's posting are done."""
        current = asyncio.current_task()
        while True:
            await asyncio.sleep(0)
            busy = [
                task
                for task in asyncio.all_tasks()
                if task is not current and not task.done() and task.get_name().startswith(("discord.py: ", "CommandTree-invoker"))
            ]
            if not busy:
                break
            await asyncio.wait(busy)
        await self.engine.drain()
