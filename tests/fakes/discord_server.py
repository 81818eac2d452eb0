"""A local HTTP server answering the Discord REST calls discord.py makes for
the adapter: log in, sync the slash commands, post messages (and files),
open threads, answer interactions, read a channel's history. Point
`discord.http.Route.BASE` at `url`.

It keeps what the bot posted, can refuse a DM (50007), answer a 429 (with the
`Via` header Discord's own 429s carry; without it discord.py takes the answer
for a Cloudflare ban) and hold posts unanswered, as a process killed mid-way
leaves them."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import re
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.discord_gateway import BOT_ID, GUILD_ID, payload

API = "/api/v10"


@dataclass
class Posted:
    """A message the bot posted in a channel, or an answer to an interaction."""

    id: str
    channel_id: str | None  # None for interaction answers
    content: str
    components: list = field(default_factory=list)
    reference: str | None = None
    flags: int = 0
    files: list[tuple[str, bytes]] = field(default_factory=list)
    interaction_token: str | None = None
    thread_id: str | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    @property
    def choices(self) -> list[str]:
        """The custom ids of its buttons, or the values of its select menu."""
        found = []
        for row in self.components:
            for component in row["components"]:
                found += [o["value"] for o in component.get("options", [])] or [component["custom_id"]]
        return found

    @property
    def kinds(self) -> set[int]:
        return {component["type"] for row in self.components for component in row["components"]}


class FakeDiscord:
    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.requests: list[tuple[str, str, dict | None]] = []  # method, path, JSON body
        self.command_sync: list[dict] | None = None
        self.command_syncs = 0  # how many times the commands were registered
        self.refusing_sync: int | None = None  # the HTTP status a command sync gets instead
        self.dm_channels: dict[str, str] = {}  # user id → their DM channel with the bot
        self.deferred: dict[str, dict] = {}  # interaction token → the deferral's data
        self.deleted_originals: list[str] = []
        self.refusing: dict[str, int] = {}  # channel id → Discord error code
        self.rate_limited: int = 0  # how many next posts get a 429
        self.rate_limit_answers: int = 0
        self.hold_after: int | None = None  # posts beyond this many are held, never answered
        self.held = asyncio.Event()
        self._closing = asyncio.Event()
        self.channels: dict[str, dict] = {}  # what GET /channels/{id} answers
        self.written: list[dict] = []  # people's messages, as a channel's history returns them
        self._ids = itertools.count(1_400_000_000_000_000_001)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{API}"
        return self.url

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests look at -------------------------------------------------

    def in_channel(self, channel_id: str) -> list[Posted]:
        return [p for p in self.posted if p.channel_id == channel_id]

    def answers(self, interaction: dict) -> list[Posted]:
        return [p for p in self.posted if p.interaction_token == interaction["token"]]

    def write(self, message: dict) -> None:
        """A person's message (a MESSAGE_CREATE payload) kept in its channel's
        history, as Discord keeps what is written while a bot is away."""
        history = {key: value for key, value in message.items() if key not in ("guild_id", "member")}
        self.written.append(history)

    # --- the server ---------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix(API)
        body, files = await self._body(request)
        self.requests.append((request.method, path, body))
        for pattern, method, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and request.method == method:
                return await handler(request, body, files, *match.groups())
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _routes(self):
        return (
            (r"/users/@me", "GET", self._me),
            (r"/oauth2/applications/@me", "GET", self._application),
            (r"/applications/(\d+)/commands", "PUT", self._sync),
            (r"/users/@me/channels", "POST", self._open_dm),
            (r"/channels/(\d+)/messages", "POST", self._post_message),
            (r"/channels/(\d+)/messages", "GET", self._history),
            (r"/channels/(\d+)/messages/(\d+)/threads", "POST", self._open_thread),
            (r"/channels/(\d+)", "GET", self._channel),
            (r"/interactions/(\d+)/([^/]+)/callback", "POST", self._interaction_callback),
            (r"/webhooks/(\d+)/([^/]+)", "POST", self._followup),
            (r"/webhooks/(\d+)/([^/]+)/messages/@original", "DELETE", self._delete_original),
        )

    async def _body(self, request: web.Request) -> tuple[dict | None, list[tuple[str, bytes]]]:
        if request.content_type == "application/json":
            return await request.json(), []
        if request.content_type.startswith("multipart/"):
            body, files = None, []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files.append((part.filename, bytes(await part.read())))
            return body, files
        return None, []

    async def _me(self, request, body, files):
        return _json(payload("GUILD_CREATE")["members"][0]["user"] | {"flags": 0, "mfa_enabled": True, "verified": True})

    async def _application(self, request, body, files):
        bot = payload("GUILD_CREATE")["members"][0]["user"]
        return _json(
            {
                "id": BOT_ID,
                "name": "facilitator",
                "icon": None,
                "description": "Runs multilingual e-discussions",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 8953856,
                "owner": {**bot, "bot": False, "id": "1200000000000000009", "username": "organiser"},
                "bot": bot,
            }
        )

    async def _sync(self, request, body, files, application_id):
        if self.refusing_sync is not None:
            return _json({"message": "Internal Server Error", "code": 0}, status=self.refusing_sync)
        self.command_sync = body
        self.command_syncs += 1
        return _json([{**command, "id": str(next(self._ids)), "application_id": application_id, "version": "1"} for command in body])

    async def _open_dm(self, request, body, files):
        recipient = str(body["recipient_id"])
        channel_id = self.dm_channels.setdefault(recipient, str(next(self._ids)))
        user = {"id": recipient, "username": recipient, "global_name": None, "discriminator": "0", "avatar": None}
        return _json({"id": channel_id, "type": 1, "last_message_id": None, "flags": 0, "recipients": [user]})

    async def _post_message(self, request, body, files, channel_id):
        if channel_id in self.refusing:
            code = self.refusing[channel_id]
            return _json({"message": "Cannot send messages to this user", "code": code}, status=403)
        if self.rate_limited:
            self.rate_limited -= 1
            self.rate_limit_answers += 1
            return _json(
                {"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
                status=429,
                headers={"Via": "1.1 google", "Retry-After": "1", "X-RateLimit-Scope": "user"},
            )
        if self.hold_after is not None and len([p for p in self.posted if p.channel_id]) >= self.hold_after:
            self.held.set()
            await self._closing.wait()  # not answered before the process is killed
            return _json({"message": "server closing", "code": 0}, status=503)
        reference = (body.get("message_reference") or {}).get("message_id")
        reference = str(reference) if reference is not None else None
        posted = Posted(
            id=str(next(self._ids)),
            channel_id=channel_id,
            content=body.get("content") or "",
            components=body.get("components") or [],
            reference=reference,
            files=files,
        )
        self.posted.append(posted)
        return _json(self._message(posted, channel_id))

    async def _history(self, request, body, files, channel_id):
        """The `limit` messages right after `after`, newest first, as Discord answers."""
        after, limit = int(request.query.get("after", 0)), int(request.query.get("limit", 50))
        messages = [m for m in self.written if m["channel_id"] == channel_id]
        messages += [self._message(p, channel_id) for p in self.in_channel(channel_id)]
        messages = sorted((m for m in messages if int(m["id"]) > after), key=lambda m: int(m["id"]))[:limit]
        return _json(messages[::-1])

    async def _open_thread(self, request, body, files, channel_id, message_id):
        for posted in self.posted:
            if posted.id == message_id:
                posted.thread_id = message_id  # a thread opened from a message shares its id
        thread = payload("THREAD_CREATE") | {"id": message_id, "parent_id": channel_id, "name": body["name"]}
        self.channels[message_id] = thread
        return _json(thread, status=201)

    async def _channel(self, request, body, files, channel_id):
        if channel_id in self.channels:
            return _json(self.channels[channel_id])
        return _json({"message": "Unknown Channel", "code": 10003}, status=404)

    async def _interaction_callback(self, request, body, files, interaction_id, token):
        self.deferred[token] = body
        return _json(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": 2,
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
                }
            }
        )

    async def _followup(self, request, body, files, application_id, token):
        posted = Posted(
            id=str(next(self._ids)),
            channel_id=None,
            content=body.get("content") or "",
            components=body.get("components") or [],
            flags=body.get("flags", 0),
            files=files,
            interaction_token=token,
        )
        self.posted.append(posted)
        return _json(self._message(posted, GUILD_ID))

    async def _delete_original(self, request, body, files, application_id, token):
        self.deleted_originals.append(token)
        return web.Response(status=204)

    def _message(self, posted: Posted, channel_id: str) -> dict:
        return {
            "id": posted.id,
            "channel_id": channel_id,
            "type": 0,
            "content": posted.content,
            "author": payload("GUILD_CREATE")["members"][0]["user"],
            "timestamp": dt.datetime(2013, 7, 8, 10, tzinfo=dt.UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {"id": str(next(self._ids)), "filename": name, "size": len(content), "url": "", "proxy_url": ""}
                for name, content in posted.files
            ],
            "embeds": [],
            "pinned": False,
            "flags": posted.flags,
            "components": posted.components,
        }


def _json(data, status: int = 200, headers: dict | None = None) -> web.Response:
    # discord.py reads a body as JSON only when the Content-Type is exactly this.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})})
